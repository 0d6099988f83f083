/**
 * Node's IPC channel, the parent's side: the child finds its end of a
 * socketpair on fd NODE_CHANNEL_FD and speaks NODE_CHANNEL_SERIALIZATION_MODE
 * over it, so an unmodified Node child's process.send() and
 * process.on("message") just work:
 *   - "json": each message is JSON.stringify(message) + "\n";
 *   - "advanced": a u32 big-endian size, then the message as V8 serializes
 *     it (serialization.ts).
 * Messages whose `cmd` starts with "NODE_" are Node's own (handles and their
 * acknowledgements): emitted as `internalMessage`, as Node does. The socket
 * is read and written by the worker's Connection (src/worker/connection.ts),
 * with this protocol's framing.
 */
import type { EventEmitter } from "node:events";
import { errnoCode, errnoMessage } from "../api/errno.ts";
import { getChannel } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import type { Native } from "../ffi/symbols.ts";
import { Connection } from "../worker/connection.ts";
import { errnoError, invalidArgType, nodeError } from "./node-errors.ts";
import { codecFor, type Codec } from "./serialization.ts";

/** The side of ChildProcess (or of process, in a child) a channel drives. */
export interface ChannelOwner extends EventEmitter {
  connected: boolean;
  maybeClose(): void;
}

const channelClosed = () => nodeError(Error, "ERR_IPC_CHANNEL_CLOSED", "Channel closed");

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
  /** The last write queued: disconnect() closes after it. */
  #last: Promise<unknown> = Promise.resolve();

  constructor(native: Native, owner: ChannelOwner, fd: number, childFd: number, codec: Codec) {
    this.#native = native;
    this.#owner = owner;
    this.#fd = fd;
    this.childFd = childFd;
    this.#codec = codec;
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
    this.#conn = new Connection(this.#native, getChannel(), this.#fd, handlers, undefined, this.#codec.parser());
    this.#conn.setRef(this.#ref);
    this.#conn.start();
  }

  #message(body: Uint8Array): void {
    const message = this.#codec.decode(body);
    const internal = message !== null && typeof message === "object" &&
      typeof (message as { cmd?: unknown }).cmd === "string" && (message as { cmd: string }).cmd.startsWith("NODE_");
    // Emitted from a tick of its own: a listener that throws must not end the channel.
    process.nextTick(() => this.#owner.emit(internal ? "internalMessage" : "message", message));
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#owner.connected = false;
    process.nextTick(() => {
      if (error && (error as { code?: string }).code !== "EPIPE") this.#owner.emit("error", error);
      this.#owner.emit("disconnect");
      this.#owner.maybeClose();
    });
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
    if (handle !== undefined && handle !== null) {
      throw nodeError(TypeError, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
        "aspawn/child_process: passing a handle (socket, server) with send() is not supported");
    }
    const fail = (e: Error) => {
      if (callback) process.nextTick(callback, e);
      else process.nextTick(() => this.#owner.emit("error", e));
    };
    if (!this.#owner.connected || !this.#conn) {
      fail(channelClosed());
      return false;
    }
    const bytes = this.#codec.encode(message);
    this.#last = this.#conn.write([bytes]).then(
      () => callback?.(null),
      (e: { errno?: number }) => fail(e.errno ? errnoError(e.errno, "write") : e as Error),
    );
    return true;
  }

  /** Close once what was sent is written: `disconnect` follows here and in the child. */
  disconnect(): void {
    this.#owner.connected = false;
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
  const r = native.asp_socketpair(new Uint8Array(pair.buffer));
  if (r < 0) {
    const code = errnoCode(-r);
    throw Object.assign(new Error(`spawn: cannot create the IPC channel (${code}: ${errnoMessage(-r)})`), { code, errno: -r, syscall: "socketpair" });
  }
  return new Channel(native, owner, pair[0]!, pair[1]!, codec);
}
