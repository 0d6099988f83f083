/** Deno: Deno.serve and Deno.upgradeWebSocket. */
import { mayOpenShell, staticFile } from "./routes.ts";
import type { ServeOptions, WebTerminal } from "./server.ts";
import { Shells, type ShellSession } from "./session.ts";

/** The little of Deno's types used here (the project type-checks against Node's). */
declare const Deno: {
  serve(
    o: { hostname: string; port: number; onListen(addr: { port: number }): void },
    handler: (req: Request) => Response,
  ): { addr: { port: number }; shutdown(): Promise<void> };
  upgradeWebSocket(req: Request): { socket: WebSocket; response: Response };
};

/** Above this many bytes not yet sent, the shell's output waits (backpressure). */
const HIGH_WATER = 1 << 20;

export async function serve(options: ServeOptions): Promise<WebTerminal> {
  const shells = new Shells(options);
  let port = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: options.port ?? 8080, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/pty") return staticFile(url.pathname);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket" || !mayOpenShell(req.headers.get("host"), req.headers.get("origin"), port)) {
      return new Response(null, { status: 403 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    let session: ShellSession | undefined;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      session = shells.open({
        async send(bytes) {
          socket.send(bytes);
          while (socket.bufferedAmount > HIGH_WATER && socket.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 10));
        },
        close: () => socket.close(),
      }, url);
    };
    socket.onmessage = (e) => session?.message(typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data));
    socket.onclose = () => void session?.close();
    return response;
  });
  port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      await shells.closeAll();
      await server.shutdown();
    },
  };
}
