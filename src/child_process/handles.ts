/**
 * Handles sent over Node's IPC channel (`send(message, handle)`), Node's way:
 * the message goes as `{ cmd: "NODE_HANDLE", type, msg, key?, dgramType? }`
 * with the handle's fd attached (SCM_RIGHTS), and the receiver rebuilds an
 * object of the same type around the fd it got. This file knows the types:
 * which one a handle is, its fd, what the sender gives up, and how a
 * received fd becomes a net.Server, net.Socket or dgram.Socket again.
 * It reads the fds of Node's own objects (`_handle.fd`), so it works where
 * those exist: on Node (and Bun, whose objects have them); elsewhere
 * send() says the runtime cannot.
 */
import dgram from "node:dgram";
import { createRequire } from "node:module";
import net from "node:net";
import { runtime } from "../ffi/runtime.ts";
import { nodeError } from "./node-errors.ts";

export type HandleType = "net.Server" | "net.Socket" | "net.Native" | "dgram.Socket" | "dgram.Native";

/** Node's wrapped message; `msg` is the user's. */
export interface HandleMessage {
  cmd: "NODE_HANDLE";
  type: HandleType;
  msg: unknown;
  key?: string;
  dgramType?: string;
}

/** What goes with a handle message: the fd, and what to do once the receiver has it. */
export interface Outgoing {
  fd: number;
  /** Close the sender's copy after the receiver acknowledged (a socket sent without keepOpen). */
  release?: () => void;
}

/** The Node internals this file touches, typed loosely: they are not public API. */
interface RawHandle {
  fd?: number;
  onread?: unknown;
  close(cb?: () => void): void;
  readStop?(): unknown;
}
interface ServerInternals {
  _handle: RawHandle | null;
  _connectionKey?: string;
  _connections: number;
  _setupWorker?(list: unknown): void;
}
interface SocketInternals {
  _handle: RawHandle | null;
  server?: ServerInternals | null;
  parser?: unknown;
  _httpMessage?: { detachSocket(socket: unknown): void } | null;
}

/** What the socket-tracking side (socket-list.ts) offers the conversions. */
export interface SocketLists {
  /** The list of sockets sent for a server's key (created on first use). */
  sent(key: string): { created: boolean; list: unknown };
  /** Count a socket received for a key until it closes. */
  got(key: string, socket: net.Socket): void;
}

const nativeTypes: Record<string, HandleType> = { TCP: "net.Native", Pipe: "net.Native", UDP: "dgram.Native" };

/** Node's classification (instanceof net.Socket, net.Server, a libuv wrap, dgram.Socket); ERR_INVALID_HANDLE_TYPE for anything else. */
export function handleType(handle: object): HandleType {
  if (handle instanceof net.Socket) return "net.Socket";
  if (handle instanceof net.Server) return "net.Server";
  if (handle instanceof dgram.Socket) return "dgram.Socket";
  const native = nativeTypes[(handle as { constructor?: { name?: string } }).constructor?.name ?? ""];
  if (native && typeof (handle as RawHandle).fd === "number") return native;
  throw nodeError(TypeError, "ERR_INVALID_HANDLE_TYPE", "This handle type cannot be sent");
}

const fdOf = (raw: RawHandle | null | undefined): number | undefined =>
  raw && typeof raw.fd === "number" && raw.fd >= 0 ? raw.fd : undefined;

/** dgram.Socket keeps its wrap under a symbol (its `_handle` getter is deprecated and warns). */
function dgramHandle(socket: dgram.Socket): RawHandle | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === "state symbol");
  return state ? (socket as unknown as Record<symbol, { handle?: RawHandle }>)[state]?.handle : undefined;
}

let httpCommon: { freeParser(parser: unknown, req: unknown, socket: unknown): void; HTTPParser: new () => unknown } | null | undefined;

/** An HTTP server's socket sent away: its parser and response let go of it, as Node does. */
function releaseHttp(socket: SocketInternals): void {
  if (!socket.parser) return;
  if (httpCommon === undefined) {
    try {
      httpCommon = createRequire(import.meta.url)("_http_common");
    } catch {
      httpCommon = null;
    }
  }
  if (!httpCommon || !(socket.parser instanceof httpCommon.HTTPParser)) return;
  httpCommon.freeParser(socket.parser, null, socket);
  socket._httpMessage?.detachSocket(socket);
}

function unavailable(): Error {
  return nodeError(TypeError, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
    `aspawn/child_process: passing a handle with send() needs the fd of ${runtime}'s net or dgram object, which ${runtime} does not expose`);
}

/**
 * The sender's side: the fd to attach, with `message` completed (key,
 * dgramType); undefined when the handle has nothing to send (a socket
 * already sent or closed, a server not listening): Node then sends the
 * plain message.
 */
export function outgoing(message: HandleMessage, handle: object, keepOpen: boolean, lists: SocketLists): Outgoing | undefined {
  switch (message.type) {
    case "net.Server": {
      const raw = (handle as unknown as ServerInternals)._handle;
      if (raw && fdOf(raw) === undefined) throw unavailable();
      return raw ? { fd: raw.fd! } : undefined;
    }
    case "net.Socket":
      return outgoingSocket(message, handle as unknown as SocketInternals, keepOpen, lists);
    case "dgram.Socket": {
      message.dgramType = (handle as unknown as { type: string }).type;
      const fd = fdOf(dgramHandle(handle as dgram.Socket));
      if (fd === undefined) throw unavailable();
      return { fd };
    }
    default:
      return { fd: (handle as RawHandle).fd! };
  }
}

function outgoingSocket(message: HandleMessage, socket: SocketInternals, keepOpen: boolean, lists: SocketLists): Outgoing | undefined {
  const raw = socket._handle;
  if (!raw) return undefined;
  const fd = fdOf(raw);
  if (fd === undefined) throw unavailable();
  const server = socket.server;
  if (server && server._connectionKey !== undefined) {
    // The receiver tracks the sockets of this server's key, so that the
    // server's getConnections() and close() can ask it (socket-list.ts).
    message.key = server._connectionKey;
    const { created, list } = lists.sent(message.key);
    if (created) server._setupWorker?.(list);
    if (!keepOpen) server._connections--;
  }
  if (keepOpen) return { fd };
  // The socket lets go of its handle now; the handle closes once the receiver has its copy.
  raw.onread = () => {};
  raw.readStop?.();
  socket._handle = null;
  (socket as unknown as net.Socket).setTimeout(0);
  releaseHttp(socket);
  return { fd, release: () => raw.close() };
}

let wraps: { TCP?: new (type: number) => RawHandle & { open(fd: number): number }; constants?: { SOCKET: number } } | undefined;

/**
 * The receiver's side: an object of the sender's type around the fd we got
 * (ours from now on), given to `emit` when ready (a server once listening).
 */
export function incoming(message: HandleMessage, fd: number, lists: SocketLists, emit: (handle: unknown) => void, fail: (e: Error) => void): void {
  switch (message.type) {
    case "net.Server": {
      const server = new net.Server();
      server.once("error", fail);
      server.listen({ fd }, () => {
        server.removeListener("error", fail);
        emit(server);
      });
      return;
    }
    case "net.Socket": {
      const socket = new net.Socket({ fd, readable: true, writable: true });
      if (message.key) lists.got(message.key, socket);
      return emit(socket);
    }
    case "dgram.Socket": {
      const socket = dgram.createSocket(message.dgramType as dgram.SocketType);
      socket.once("error", fail);
      socket.bind({ fd } as dgram.BindOptions, () => {
        socket.removeListener("error", fail);
        emit(socket);
      });
      return;
    }
    case "net.Native": {
      // A bare libuv TCP wrap, as Node gives it: Node's legacy binding makes one.
      // deno-lint-ignore no-explicit-any
      wraps ??= (process as any).binding?.("tcp_wrap") ?? {};
      if (!wraps!.TCP || !wraps!.constants) return emit(new net.Socket({ fd, readable: false, writable: false }));
      const wrap = new wraps!.TCP(wraps!.constants.SOCKET);
      const err = wrap.open(fd);
      return err ? fail(Object.assign(new Error(`cannot open the received handle (${err})`), { errno: err })) : emit(wrap);
    }
    case "dgram.Native": {
      const socket = dgram.createSocket("udp4");
      socket.once("error", fail);
      socket.bind({ fd } as dgram.BindOptions, () => emit(dgramHandle(socket)));
      return;
    }
    default:
      // The caller closes the fd.
      throw new TypeError(`a handle of unknown type ${JSON.stringify(String(message.type)).slice(0, 60)} came over the IPC channel`);
  }
}
