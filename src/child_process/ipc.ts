/**
 * Node's IPC channel, the parent's side: the child finds its end of a
 * socketpair on fd NODE_CHANNEL_FD and speaks NODE_CHANNEL_SERIALIZATION_MODE
 * over it, so an unmodified Node child's process.send() and
 * process.on("message") just work:
 *   - "json": each message is JSON.stringify(message) + "\n";
 *   - "advanced": a u32 big-endian size, then the message as V8 serializes
 *     it (serialization.ts).
 * Messages whose `cmd` starts with "NODE_" are Node's own (handles and their
 * acknowledgements, handles.ts and socket-list.ts): emitted as
 * `internalMessage`, as Node does, after this file's handling of them. The socket
 * is read and written by the worker's Connection (src/worker/connection.ts),
 * with this protocol's framing.
 */
import type { EventEmitter } from "node:events";
import { errnoCode, errnoMessage } from "../api/errno.ts";
import { getChannel } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import { runtime } from "../ffi/runtime.ts";
import type { Native } from "../ffi/symbols.ts";
import { Connection } from "../worker/connection.ts";
import { errnoError, invalidArgType, nodeError } from "./node-errors.ts";
import { handleType, incoming, outgoing, type HandleMessage, type Outgoing, type SocketLists } from "./handles.ts";
import { codecFor, type Codec } from "./serialization.ts";
import { socketLists } from "./socket-list.ts";

/** The side of ChildProcess (or of process, in a child) a channel drives. */
export interface ChannelOwner extends EventEmitter {
  connected: boolean;
  maybeClose(): void;
  /** The channel is closed, or closes once what was sent is written: Node's `channel` is null from here on. */
  channelClosed(): void;
}

const channelClosed = () => nodeError(Error, "ERR_IPC_CHANNEL_CLOSED", "Channel closed");
/** Bun's and Deno's net.Socket({ fd }) and server.listen({ fd }) do not take a TCP socket's fd. */
const receivesHandles = runtime === "node";
/** Node's limit of NACKed resends of one handle. */
const MAX_RETRANSMISSIONS = 3;

type Callback = (error: Error | null) => void;
interface SendOptions {
  keepOpen?: boolean;
  swallowErrors?: boolean;
}
/** A message waiting for the last handle's acknowledgement. */
interface Queued {
  message: unknown;
  handle: object | null;
  options: SendOptions;
  callback: Callback | undefined;
}

const isInternal = (m: unknown): m is { cmd: string } =>
  m !== null && typeof m === "object" && typeof (m as { cmd?: unknown }).cmd === "string" && (m as { cmd: string }).cmd.startsWith("NODE_");
const isAck = (m: unknown) => isInternal(m) && (m.cmd === "NODE_HANDLE_ACK" || m.cmd === "NODE_HANDLE_NACK");

/** Node's send() returns false from this many bytes waiting to be written (its channel's writeQueueSize). */
const BACKLOG_MAX = 2 * 65536;

/** A failed send: to its callback, else as `error` (a write that failed after send() returned calls back directly). */
function fail(owner: EventEmitter, e: Error, callback: Callback | undefined, now: boolean): void {
  if (callback) now ? callback(e) : process.nextTick(callback, e);
  else process.nextTick(() => owner.emit("error", e));
}

export class Channel {
  /** The child's end, to pass as its NODE_CHANNEL_FD; -1 once passed. */
  childFd: number;
  readonly #native: Native;
  readonly #owner: ChannelOwner;
  readonly #codec: Codec;
  readonly #fd: number;
  #conn: Connection | undefined;
  #ref = true;
  #ended = false;
  /** `disconnect` was emitted. */
  #disconnected = false;
  /** Called once it is (see ChildProcess#exited). */
  #onDisconnected: (() => void)[] = [];
  /** The last write queued: disconnect() closes after it. */
  #last: Promise<unknown> = Promise.resolve();
  /** Messages waiting for a handle's acknowledgement (Node's _handleQueue): set while one is awaited. */
  #queue: Queued[] | undefined;
  /** The socket sent and not yet acknowledged, to resend on NACK or close on ACK (Node's _pendingMessage). */
  #pending: { message: unknown; out: Outgoing; callback: Callback | undefined; retransmissions: number } | undefined;
  readonly #lists: SocketLists;
  /** What send()'s callbacks wait for besides their write (holdUntil). */
  #callbacksAfter: Promise<void> = Promise.resolve();
  /** What was read and waits to be told until `spawn` is (holdUntil), in order; undefined once told. */
  #held: (() => void)[] | undefined;

  constructor(native: Native, owner: ChannelOwner, fd: number, childFd: number, codec: Codec) {
    this.#native = native;
    this.#owner = owner;
    this.#fd = fd;
    this.childFd = childFd;
    this.#codec = codec;
    this.#lists = socketLists(owner, (m, swallow) => this.#send(m, null, {}, undefined, swallow));
  }

  /**
   * Until `p` resolves (`spawn` or `error` emitted), send()'s callbacks wait,
   * and so do the messages and the end read meanwhile: Node emits `spawn`
   * before any. A message read in the same turn as the exec's report would
   * otherwise come first: its tick runs before the promise reactions that
   * emit `spawn` (a fast child's first message, or any once the event loop
   * was held up).
   */
  holdUntil(p: Promise<void>): void {
    this.#callbacksAfter = p;
    const held: (() => void)[] = (this.#held = []);
    void p.then(() => {
      this.#held = undefined;
      for (const tell of held) tell();
    });
  }

  /** `tell` now, or once `spawn` is emitted, after what was held before it. */
  #tell(tell: () => void): void {
    if (this.#held) this.#held.push(tell);
    else tell();
  }

  /** The child has its copy now (or failed to start): ours is the only end left here. */
  childStarted(): void {
    if (this.childFd >= 0) this.#native.asp_close(this.childFd);
    this.childFd = -1;
  }

  /** No child was started: close our end too. */
  abandon(): void {
    this.childStarted();
    if (!this.#conn) this.#native.asp_close(this.#fd);
  }

  /** Start reading messages. */
  start(): void {
    this.#native.asp_set_nonblock(this.#fd, 1);
    const handlers = {
      frame: (f: { json: Uint8Array }) => this.#message(f.json),
      end: (e?: Error) => this.#end(e),
    };
    // Eager: a message is in the socket when send() returns, as Node's is
    // (send() then kill() must not meet EPIPE).
    this.#conn = new Connection(this.#native, getChannel(), this.#fd, handlers, { parser: this.#codec.parser(), eager: true });
    this.#conn.setRef(this.#ref);
    // Reading starts in a later turn, as Node's does: a child that exits at
    // once must not be seen disconnected (its EOF read) before spawn() returns.
    const conn = this.#conn;
    setImmediate(() => conn.start());
  }

  #message(body: Uint8Array): void {
    const message = this.#codec.decode(body);
    if (!isInternal(message)) {
      // Emitted from a tick of its own: a listener that throws must not end the channel.
      this.#tell(() => process.nextTick(() => this.#owner.emit("message", message, undefined))); // Node passes the (absent) handle too
      return;
    }
    // A handle's fd came with its message's first byte: take it now, in order.
    const fd = message.cmd === "NODE_HANDLE" ? this.#conn?.takeFd() ?? -1 : undefined;
    this.#tell(() => process.nextTick(() => {
      this.#internal(message, fd);
      this.#owner.emit("internalMessage", message);
    }));
  }

  /** Node's handle protocol, before anyone else sees the message. */
  #internal(message: { cmd: string }, fd: number | undefined): void {
    if (message.cmd === "NODE_HANDLE_ACK" || message.cmd === "NODE_HANDLE_NACK") return this.#acknowledged(message.cmd === "NODE_HANDLE_ACK");
    if (fd === undefined) return;
    // No fd (the ancillary data was lost): the sender sends it again.
    if (fd < 0) return void this.#send({ cmd: "NODE_HANDLE_NACK" }, null, {}, undefined, true);
    this.#send({ cmd: "NODE_HANDLE_ACK" }, null, {}, undefined, true);
    const wrapped = message as HandleMessage;
    const emit = (handle: unknown) => {
      const inner = wrapped.msg;
      process.nextTick(() => this.#owner.emit(isInternal(inner) ? "internalMessage" : "message", inner, handle));
    };
    if (!receivesHandles) {
      // The message still comes, without its handle: the sender's logic goes on, and the warning says why.
      this.#native.asp_close(fd);
      process.emitWarning(`aspawn/child_process: a ${wrapped.type} received over the IPC channel was closed: ${runtime}'s net and dgram cannot be built around an fd`, "UnsupportedWarning");
      return emit(undefined);
    }
    try {
      incoming(wrapped, fd, this.#lists, emit, (e) => this.#owner.emit("error", e));
    } catch (e) {
      this.#native.asp_close(fd);
      this.#owner.emit("error", e);
    }
  }

  /** The receiver has the last handle sent (or not: NACK): send what waited for it. */
  #acknowledged(ack: boolean): void {
    const pending = this.#pending;
    if (pending && (ack || pending.retransmissions++ === MAX_RETRANSMISSIONS)) {
      this.#pending = undefined;
      pending.out.release?.();
      if (!ack) process.emitWarning("Handle did not reach the receiving process correctly", "SentHandleNotReceivedWarning");
    }
    const queue = this.#queue ?? [];
    this.#queue = undefined;
    if (this.#pending) this.#write(this.#pending.message, this.#pending.out, this.#pending.callback, false);
    for (const q of queue) this.#send(q.message, q.handle, q.options, q.callback, false);
    if (!this.#owner.connected && !this.#queue) this.#close();
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    // A socket sent and never acknowledged: the receiver is gone, ours is closed.
    this.#pending?.out.release?.();
    this.#pending = undefined;
    // Connected until `disconnect`, as in Node: the messages read with the
    // end are emitted in the ticks queued before this one, and their
    // listeners see the channel open (a reply then fails with EPIPE).
    this.#tell(() => process.nextTick(() => {
      this.#owner.connected = false;
      this.#owner.channelClosed();
      // What those listeners sent failed (EPIPE): reported first, as Node's are.
      const disconnected = () => {
        if (error && (error as { code?: string }).code !== "EPIPE") this.#owner.emit("error", error);
        this.#owner.emit("disconnect");
        this.#owner.maybeClose();
        this.#disconnected = true;
        for (const fn of this.#onDisconnected.splice(0)) fn();
      };
      const later = () => process.nextTick(disconnected);
      void this.#last.then(later, later);
    }));
  }

  /** Whether `disconnect` was emitted. */
  get disconnected(): boolean {
    return this.#disconnected;
  }

  /** Call fn right after `disconnect` is emitted. */
  onDisconnected(fn: () => void): void {
    this.#onDisconnected.push(fn);
  }

  /** Our end's fd, while open (Node's channel.fd); -1 after. */
  get fd(): number {
    return this.#ended || !this.#conn || this.#conn.closed ? -1 : this.#fd;
  }

  /** Node's send(message[, handle][, options][, callback]). */
  send(message: unknown, handle?: unknown, options?: unknown, callback?: (error: Error | null) => void): boolean {
    if (typeof handle === "function") {
      callback = handle as typeof callback;
      handle = undefined;
      options = undefined;
    } else if (typeof options === "function") {
      callback = options as typeof callback;
      options = undefined;
    } else if (options !== undefined && (options === null || typeof options !== "object")) {
      throw invalidArgType("options", "object", options);
    }
    if (callback !== undefined && typeof callback !== "function") throw invalidArgType("callback", "Function", callback);
    if (message === undefined) {
      throw nodeError(TypeError, "ERR_MISSING_ARGS", 'The "message" argument must be specified');
    }
    if (!["string", "object", "number", "boolean"].includes(typeof message)) {
      throw invalidArgType("message", ["string", "object", "number", "boolean"], message);
    }
    if (handle !== undefined && handle !== null && typeof handle !== "object") {
      throw nodeError(TypeError, "ERR_INVALID_HANDLE_TYPE", "This handle type cannot be sent");
    }
    if (!this.#owner.connected || !this.#conn) {
      fail(this.#owner, channelClosed(), callback, false);
      return false;
    }
    return this.#send(message, (handle as object | undefined) ?? null, (options ?? {}) as SendOptions, callback, false);
  }

  /**
   * Node's _send: a message with a handle waits for the previous handle's
   * acknowledgement, and every message after it waits too, in order (the
   * first to wait returns true, the others false: back off).
   */
  #send(message: unknown, handle: object | null, options: SendOptions, callback: Callback | undefined, swallow: boolean): boolean {
    let out: Outgoing | undefined;
    if (handle) {
      const wrapped: HandleMessage = { cmd: "NODE_HANDLE", type: handleType(handle), msg: message };
      if (this.#queue) return this.#wait({ message, handle, options, callback });
      out = outgoing(wrapped, handle, options.keepOpen === true, this.#lists);
      if (out) message = wrapped;
    } else if (this.#queue && !isAck(message)) {
      return this.#wait({ message, handle, options, callback });
    }
    this.#write(message, out, callback, swallow || options.swallowErrors === true);
    if (out) {
      this.#queue ??= [];
      // A socket given up (not keepOpen) closes here once the receiver acknowledges it.
      if (out.release) this.#pending = { message, out, callback, retransmissions: 0 };
    }
    // As Node's: false once 128 KiB wait to be written (the child is over two reads behind).
    return (this.#conn?.backlog ?? 0) < BACKLOG_MAX;
  }

  #wait(q: Queued): boolean {
    this.#queue!.push(q);
    return this.#queue!.length === 1;
  }

  #write(message: unknown, out: Outgoing | undefined, callback: Callback | undefined, swallow: boolean): void {
    if (!this.#conn) return void (swallow || fail(this.#owner, channelClosed(), callback, false));
    const bytes = this.#codec.encode(message);
    const conn = this.#conn;
    const written = conn.write([bytes], out ? [out.fd] : []);
    // As Node's: a write that fails at once (the peer is gone: EPIPE) is the
    // send's error; one that fails after it waited in the queue (the child
    // went away meanwhile) is dropped, its callback called with null (libuv's
    // write completion, whose status Node ignores), never an 'error' event
    // that would end a program without a listener.
    const atOnce = conn.failedAtOnce;
    // Callbacks, failed or not, in the order of their writes, and after `spawn`.
    this.#last = written.then(
      () => callback && this.#callbacksAfter.then(() => callback(null)),
      (e: { errno?: number }) => {
        if (out && this.#pending?.out === out) this.#pending = undefined;
        out?.release?.();
        if (swallow) return;
        if (!atOnce) return callback && this.#callbacksAfter.then(() => callback(null));
        return this.#callbacksAfter.then(() => fail(this.#owner, e.errno ? errnoError(e.errno, "write") : e as Error, callback, true));
      },
    );
  }

  /** Close once what was sent is written (and every handle acknowledged): `disconnect` follows here and in the child. */
  disconnect(): void {
    this.#owner.connected = false;
    if (!this.#queue) this.#close();
  }

  #close(): void {
    this.#owner.channelClosed();
    if (this.#pending) {
      this.#pending.out.release?.();
      this.#pending = undefined;
    }
    void this.#last.finally(() => this.#conn?.close());
  }

  /** Close at once (the child never ran). */
  close(): void {
    if (this.#conn) this.#conn.close();
    else this.abandon();
  }

  ref(): void {
    this.setRef(true);
  }

  unref(): void {
    this.setRef(false);
  }

  setRef(ref: boolean): void {
    this.#ref = ref;
    this.#conn?.setRef(ref);
  }
}

/** A socketpair for a child's "ipc" stdio entry. */
export function openChannel(owner: ChannelOwner, serialization: string): Channel {
  const codec = codecFor(serialization);
  const native = loadNative();
  const pair = new Int32Array(2);
  // The kernel's default buffers, as Node's channel has: send() returns
  // false at the same point (128 KiB queued once the socket is full).
  const r = native.asp_socketpair(new Uint8Array(pair.buffer), 0);
  if (r < 0) {
    const code = errnoCode(-r);
    throw Object.assign(new Error(`spawn: cannot create the IPC channel (${code}: ${errnoMessage(-r)})`), { code, errno: -r, syscall: "socketpair" });
  }
  return new Channel(native, owner, pair[0]!, pair[1]!, codec);
}
