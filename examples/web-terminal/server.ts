/**
 * A web terminal on loopback: a page with xterm.js, a shell on a
 * pseudo-terminal behind a WebSocket (issue 18's example). Each runtime
 * serves it with its own server: Bun.serve, Deno.serve, and on Node
 * node:http with the small RFC 6455 of node-websocket.ts.
 *
 *   bun examples/web-terminal/server.ts                     then open http://127.0.0.1:8080/
 *   deno run --allow-all examples/web-terminal/server.ts
 *
 * Node 20 runs no TypeScript: the tests run the Node server (vitest
 * compiles it); see the README's "Web terminal" for Node.
 * PORT and SHELL choose the port and the program. Anyone who can reach the
 * port gets a shell as you: it listens on 127.0.0.1 only and accepts
 * WebSockets only from its own page (routes.ts).
 */
import { fileURLToPath } from "node:url";
import type { ShellOptions } from "./session.ts";

export interface ServeOptions extends ShellOptions {
  /** 0: any free port. @default 8080 */
  port?: number;
}

export interface WebTerminal {
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends every shell (hung up, reaped). */
  close(): Promise<void>;
}

declare const Bun: unknown;
declare const Deno: unknown;

/** The web terminal on this runtime's own server. */
export async function serve(options: ServeOptions = {}): Promise<WebTerminal> {
  const module = typeof Bun !== "undefined" ? await import("./serve-bun.ts")
    : typeof Deno !== "undefined" ? await import("./serve-deno.ts")
    : await import("./serve-node.ts");
  return module.serve(options);
}

// Run, not imported: import.meta.main on Bun and Deno; on Node (20 has no import.meta.main), a bundle run by path.
if ((import.meta as { main?: boolean }).main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  const t = await serve({ port: Number(process.env.PORT ?? 8080) });
  console.log(`a shell in your browser: ${t.url}`);
}
