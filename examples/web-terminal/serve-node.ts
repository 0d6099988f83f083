/** Node: node:http for the files, its "upgrade" event and node-websocket.ts for the terminal. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { acceptWebSocket } from "./node-websocket.ts";
import { mayOpenShell, staticFile } from "./routes.ts";
import type { ServeOptions, WebTerminal } from "./server.ts";
import { Shells, type ShellSession } from "./session.ts";

export async function serve(options: ServeOptions): Promise<WebTerminal> {
  const shells = new Shells(options);
  const server = http.createServer(async (req, res) => {
    const r = staticFile(new URL(req.url ?? "/", "http://x").pathname);
    res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "text/plain" });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: import("node:stream").Duplex) => {
    const url = new URL(req.url ?? "/", "http://x");
    const ok = url.pathname === "/pty" && req.headers.upgrade?.toLowerCase() === "websocket" &&
      typeof req.headers["sec-websocket-key"] === "string" && mayOpenShell(req.headers.host, req.headers.origin, port);
    if (!ok) return void socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    let session: ShellSession | undefined;
    const ws = acceptWebSocket(req, socket, {
      message: (text) => session?.message(text),
      closed: () => void session?.close(),
    });
    session = shells.open(ws, url);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 8080, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      await shells.closeAll();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
