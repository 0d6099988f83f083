/** Bun: Bun.serve, with its WebSocket upgrade and `drain` for backpressure. */
import { mayOpenShell, staticFile } from "./routes.ts";
import type { ServeOptions, WebTerminal } from "./server.ts";
import { Shells, type ShellSession } from "./session.ts";

/** The little of Bun's types used here (the project type-checks against Node's). */
interface BunSocket {
  data: { url: URL; session?: ShellSession; drained?: () => void };
  send(data: Uint8Array): number;
  close(): void;
}
interface BunServer {
  port: number;
  upgrade(req: Request, o: { data: BunSocket["data"] }): boolean;
  stop(closeActive?: boolean): Promise<void> | void;
}
declare const Bun: {
  serve(o: {
    hostname: string;
    port: number;
    fetch(req: Request, server: BunServer): Response | undefined;
    websocket: {
      open(ws: BunSocket): void;
      message(ws: BunSocket, m: string | Uint8Array): void;
      drain(ws: BunSocket): void;
      close(ws: BunSocket): void;
    };
  }): BunServer;
};

export async function serve(options: ServeOptions): Promise<WebTerminal> {
  const shells = new Shells(options);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 8080,
    fetch(req, server) {
      const url = new URL(req.url);
      if (url.pathname !== "/pty") return staticFile(url.pathname);
      if (!mayOpenShell(req.headers.get("host"), req.headers.get("origin"), server.port)) return new Response(null, { status: 403 });
      return server.upgrade(req, { data: { url } }) ? undefined : new Response(null, { status: 400 });
    },
    websocket: {
      open(ws) {
        ws.data.session = shells.open({
          // -1: queued behind backpressure; wait for `drain` before more
          send: (bytes) => ws.send(bytes) === -1 ? new Promise<void>((r) => (ws.data.drained = r)) : undefined,
          close: () => ws.close(),
        }, ws.data.url);
      },
      message: (ws, m) => ws.data.session?.message(typeof m === "string" ? m : new TextDecoder().decode(m)),
      drain: (ws) => ws.data.drained?.(),
      close(ws) {
        ws.data.drained?.();
        void ws.data.session?.close();
      },
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/`,
    port: server.port,
    async close() {
      await shells.closeAll();
      await server.stop(true);
    },
  };
}
