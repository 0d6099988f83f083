/**
 * A received fd (worker.receiveFd(), parent.receiveFd()) as the runtime's
 * own socket objects, where the runtime can adopt an fd:
 *
 *   listening socket → node:net Server (`server.listen({ fd })`): Node, Bun, Deno;
 *     an http.Server too, but not on Bun, whose http.Server ignores the fd
 *     and listens on a new port: serverFromFd() refuses it there.
 *   connected socket → node:net Socket (`new net.Socket({ fd })`): Node, Deno.
 *     Bun's node:net cannot (such a Socket is closed at once): socketFromFd()
 *     throws there, saying so.
 */
import * as net from "node:net";
import { runtime } from "../ffi/runtime.ts";

function checkFd(fd: unknown, what: string): number {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new TypeError(`${what}: fd must be a non-negative integer, got ${typeof fd === "number" ? fd : typeof fd}`);
  }
  return fd;
}

/**
 * A connected stream socket's fd (TCP, Unix) as a `net.Socket`, which owns
 * it from now on (destroy() closes it). Node and Deno; on Bun it throws.
 */
export function socketFromFd(fd: number): net.Socket {
  checkFd(fd, "socketFromFd");
  if (runtime === "bun") {
    throw new Error(
      "socketFromFd: Bun's node:net cannot adopt a connected socket's fd (new net.Socket({ fd }) is closed at once); " +
        "hand connections to a Node or Deno worker, or hand the listening socket over (serverFromFd works on Bun)",
    );
  }
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
