/**
 * A received fd (worker.receiveFd(), parent.receiveFd()) as the runtime's
 * own socket objects, where the runtime can adopt an fd:
 *
 *   listening socket → node:net Server (`server.listen({ fd })`): Node, Bun, Deno;
 *     an http.Server too, but not on Bun, whose http.Server ignores the fd
 *     and listens on a new port: serverFromFd() refuses it there.
 *   connected socket → node:net Socket (`new net.Socket({ fd })`): Node, Deno.
 *     Bun's node:net cannot (such a Socket is closed at once): there it is
 *     an FdSocket, a Duplex over the fd through the library's reactor.
 */
import { closeSync, fstatSync } from "node:fs";
import * as net from "node:net";
import { libraryBeside } from "../api/backend.ts";
import { describe } from "../api/check.ts";
import { fdError } from "../api/pipe-end.ts";
import { runtime } from "../ffi/runtime.ts";
import { FdSocket } from "./fd-socket.ts";

function checkFd(fd: unknown, what: string): number {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new TypeError(`${what}: fd must be a non-negative integer, got ${describe(fd)}`);
  }
  return fd;
}

/**
 * Close a received fd (worker.receiveFd(), parent.receiveFd()). Node's and
 * Bun's `fs.closeSync()` do it too, but Deno's node:fs refuses an fd it did
 * not open itself (EBADF), and Deno has no close of its own: this one works
 * on every runtime. An fd that is not open is an `Error` with `code` EBADF.
 */
export function closeFd(fd: number): void {
  checkFd(fd, "closeFd");
  const native = libraryBeside();
  if (!native) return closeSync(fd); // no library here: no fd travelled through it either
  const r = native.asp_close(fd);
  if (r < 0) throw fdError(-r, "close");
}

/** fd, if it is a socket: refused as node:net's Socket refuses another kind (Node, Deno). */
function socketFd(fd: number): number {
  const st = fstatSync(fd);
  if (st.isSocket()) return fd;
  const kind = st.isFile() ? "FILE" : st.isFIFO() ? "PIPE" : st.isCharacterDevice() ? "TTY or device" : "UNKNOWN";
  throw Object.assign(new TypeError(`socketFromFd: unsupported fd type: ${kind} (fd ${fd} is not a socket)`), { code: "ERR_INVALID_FD_TYPE" });
}

/**
 * A connected stream socket's fd (TCP, Unix) as a `net.Socket` (Node,
 * Deno), or on Bun an `FdSocket`: a Duplex over the fd read and written
 * through the library's reactor. Either owns the fd from now on
 * (destroy() closes it).
 */
export function socketFromFd(fd: number): net.Socket | FdSocket {
  checkFd(fd, "socketFromFd");
  if (runtime === "bun") return new FdSocket(socketFd(fd));
  return new net.Socket({ fd, readable: true, writable: true });
}

/**
 * A listening socket's fd as a `net.Server` accepting on it (`server`, or a
 * new one with `onConnection`); resolves once it listens. The server owns
 * the fd from then on (close() closes it). Node, Bun (net.Server only) and Deno.
 */
export function serverFromFd(fd: number, server: net.Server | ((socket: net.Socket) => void) = new net.Server()): Promise<net.Server> {
  checkFd(fd, "serverFromFd");
  const s = typeof server === "function" ? net.createServer(server) : server;
  if (typeof (s as { listen?: unknown })?.listen !== "function") {
    throw new TypeError("serverFromFd: server must be a net.Server or http.Server, or a connection listener");
  }
  if (runtime === "bun" && !(s instanceof net.Server)) {
    throw new Error(
      "serverFromFd: Bun's http.Server cannot listen on an fd (it ignores { fd } and listens on a new port); " +
        "on Bun give a net.Server or a connection listener",
    );
  }
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    s.once("error", onError);
    s.listen({ fd }, () => {
      s.off("error", onError);
      resolve(s);
    });
  });
}
