/**
 * The program a worker process runs: `<runtime> host <side fd> <module URL>`,
 * with its channel on fd 3 and the socket fds travel on at <side fd>
 * (worker.ts); a side fd of -1 says the parent's runtime made the channel
 * (it runs without the library): then no fds travel, and the channel is
 * this runtime's socket too (socket-connection.ts), the library not
 * loaded. It imports the module, says HELLO (or
 * FAIL), then serves CALLs to the module's exports until the channel
 * closes, and then exits. Messages and fds from the parent go to the
 * `parent` object of "aspawn/worker" (child.ts), found through a global so
 * that the module's copy of this package and ours meet.
 */
import { closeSync } from "node:fs";
import { getChannel } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import { runtime } from "../ffi/runtime.ts";
import type { Native } from "../ffi/symbols.ts";
import { CHANNEL_FD } from "./channel-fd.ts";
import { CodecError, makeError } from "./codec.ts";
import { PARENT_KEY } from "./child.ts";
import { Connection, type ConnectionHandlers, type FrameChannel } from "./connection.ts";
import { Endpoint } from "./endpoint.ts";
import { DEFAULT_MAX_FRAME, frame, type Frame, frameValue, Kind, MAX_FRAME_ENV, MAX_FRAME_LIMIT } from "./protocol.ts";
import { SocketConnection } from "./socket-connection.ts";

type ReplyKind = typeof Kind.FAIL | typeof Kind.RESULT | typeof Kind.ERROR | typeof Kind.WARM;

class Parent extends Endpoint {
  /** The module, once loaded and HELLO is in the socket: calls then start in the turn their frame arrives. */
  #loaded: Record<string, unknown> | undefined;
  /** Calls that came before that, in order. */
  #waiting: [id: number, name: string, args: unknown[]][] = [];

  constructor(href: string, side: number, maxFrame: number) {
    const handlers = { frame: (f: Frame, fds: number[]) => this.#frame(f, fds), end: (e?: Error) => this.#end(e) };
    const [conn, closeFd] = channel(side, maxFrame, handlers);
    super(conn, closeFd, () => {}); // always ref'd: the worker lives for its channel
    // Before the module runs: its `parent` is this.
    (globalThis as Record<symbol, unknown>)[PARENT_KEY] = this;
    this.#load(href);
    conn.start();
  }

  #load(href: string): void {
    const module = import(href) as Promise<Record<string, unknown>>;
    // HELLO goes before any answer: a call that ends the process
    // (process.exit) must not leave the parent without the exports.
    module.then(async (mod) => {
      const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      await this.conn.write(helloFrame(names, this.conn.maxFrame)).catch(() => {});
      // In one go: no frame can come between #loaded and the calls that waited.
      this.#loaded = mod;
      for (const [id, name, args] of this.#waiting.splice(0)) this.#call(id, name, args);
    }, (e) => {
      void this.conn.write(replyFrame(Kind.FAIL, 0, loadError(e, href), this.conn.maxFrame)).finally(() => exitFlushed(1));
    });
  }

  #frame(f: Frame, fds: number[]): void {
    if (f.kind === Kind.FD) return this.received(f.kind, undefined, fds);
    const value = frameValue(f);
    if (f.kind === Kind.MESSAGE) return this.received(f.kind, value, fds);
    if (f.kind === Kind.WARM) return void this.#reply(Kind.WARM, 0, value);
    if (f.kind !== Kind.CALL) throw new Error(`aspawn/worker: unexpected frame of kind ${f.kind} from the parent`);
    if (!Array.isArray(value) || typeof value[0] !== "string" || !Array.isArray(value[1])) {
      throw new Error("aspawn/worker: a call frame is not [name, args]");
    }
    this.#call(f.id, value[0], value[1]);
  }

  #call(id: number, name: string, args: unknown[]): void {
    const mod = this.#loaded;
    // A module that failed to load answers no call: FAIL and the exit say why.
    if (!mod) return void this.#waiting.push([id, name, args]);
    let result: unknown;
    try {
      const fn = Object.hasOwn(mod, name) ? mod[name] : undefined;
      if (typeof fn !== "function") throw new TypeError(`the worker's module has no exported function "${name}"`);
      result = fn(...args);
    } catch (e) {
      return void this.#reply(Kind.ERROR, id, e);
    }
    // A primitive is the answer now; an object may be a thenable, settled as `await` would.
    if (result === null || (typeof result !== "object" && typeof result !== "function")) return void this.#reply(Kind.RESULT, id, result);
    Promise.resolve(result).then((v) => this.#reply(Kind.RESULT, id, v), (e) => this.#reply(Kind.ERROR, id, e));
  }

  /** A reply (see replyFrame); resolves once in the socket, or the parent is gone (the end handler exits). */
  #reply(kind: ReplyKind, id: number, value: unknown): Promise<void> {
    return this.conn.write(replyFrame(kind, id, value, this.conn.maxFrame)).catch(() => {});
  }

  #end(error: Error | undefined): void {
    // A reply written after the parent closed the channel (close() does not
    // wait for WARM's answer): the parent is gone, as at EOF.
    if ((error as { code?: string } | undefined)?.code === "EPIPE") error = undefined;
    this.ended(error);
    if (error) process.stderr.write(`aspawn/worker: the channel to the parent failed: ${error.message}\n`);
    exitFlushed(error ? 70 : 0);
  }
}

/**
 * process.exit() once stdout and stderr have written what they queued: Node
 * queues a write to a full pipe, and exit() drops it (a worker's 200 000
 * bytes of console.log arrived as 64 KiB once close() ended it). Not waited
 * for: a stream that stops moving for half a second (a pipe nobody reads),
 * nor one that is still writing after two (the module's own timers keep
 * printing, so its queue never empties).
 */
function exitFlushed(code: number): void {
  const queued = () => (process.stdout.writableLength ?? 0) + (process.stderr.writableLength ?? 0);
  let last = queued(), still = 0, waited = 0;
  if (!last) process.exit(code);
  setInterval(() => {
    const now = queued();
    still = now === last ? still + 20 : 0;
    waited += 20;
    last = now;
    if (!now || still >= 500 || waited >= 2000) process.exit(code);
  }, 20);
}

/** The library, if this process can load it; else undefined. */
function loadedHere(): Native | undefined {
  try {
    return loadNative();
  } catch {
    return undefined;
  }
}

/** Our end of the channel (see the top), and how to close an fd received on it. */
function channel(side: number, maxFrame: number, handlers: ConnectionHandlers): [FrameChannel, (fd: number) => void] {
  const none = () => {
    process.stderr.write("aspawn/worker: no channel on fd 3: this program is started by worker() of aspawn\n");
    process.exit(2);
  };
  if (side === -1) {
    const refuse = (what: string) =>
      new TypeError(`${what}: fds cannot travel to or from this worker: its parent runs without the native library, which passing them needs`);
    // Deno's node:net adopting an fd lost its own fds under load (connection.ts):
    // a Deno worker reads through the reactor when it can load the library itself.
    const native = runtime === "deno" ? loadedHere() : undefined;
    if (native && native.asp_set_nonblock(CHANNEL_FD, 1) >= 0) return [new Connection(native, getChannel(), CHANNEL_FD, handlers, { maxFrame, refuse }), (fd) => native.asp_close(fd)];
    try {
      return [new SocketConnection(CHANNEL_FD, handlers, { maxFrame, refuse }), closeSync];
    } catch {
      return none();
    }
  }
  const native = loadNative();
  if (!(side > CHANNEL_FD) || native.asp_set_nonblock(CHANNEL_FD, 1) < 0 || native.asp_set_nonblock(side, 1) < 0) return none();
  return [new Connection(native, getChannel(), CHANNEL_FD, handlers, { side, maxFrame }), (fd) => native.asp_close(fd)];
}

/**
 * A reply's frame. A value that cannot be sent (a function, a cycle, a
 * getter that throws, a frame over maxFrameSize) becomes the call's error;
 * an error that cannot be sent either becomes one that says so: every call
 * gets its answer, whatever maxFrameSize (a failed reply would end the
 * channel, and the worker with it). (A thrown error's own unsendable
 * properties are left out by the codec: the error itself still goes.)
 */
function replyFrame(kind: ReplyKind, id: number, value: unknown, max: number): Uint8Array[] {
  let why: unknown;
  try {
    return frame(kind, id, value, 0, max);
  } catch (e) {
    why = e;
  }
  const failed = kind === Kind.FAIL ? Kind.FAIL : Kind.ERROR;
  // Smaller and smaller: a thrown error without its properties, then
  // without its stack; then what stopped the answer (whatever the encoding
  // threw: a getter's own throw is sent as the error), likewise; then an
  // error saying that could not go either.
  const tries: unknown[] = [];
  if (kind === Kind.ERROR && value instanceof Error) {
    try {
      const own = bare(value);
      tries.push(own, stackless(own));
    } catch {
      // its name or message cannot be read (a getter that throws)
    }
  }
  tries.push(why);
  if (why instanceof CodecError) tries.push(stackless(why));
  let last: unknown = why;
  for (const v of tries) {
    try {
      return frame(failed, id, v, 0, max);
    } catch (e) {
      last = e;
    }
  }
  const said = new TypeError(`the worker could not send its answer: ${unsendable(last)}`);
  for (const v of [said, stackless(said)]) {
    try {
      return frame(failed, id, v, 0, max);
    } catch {
      // smaller still, below
    }
  }
  // Below the size of any Error (maxFrameSize near its least, 64): the
  // reason as a string, then shorter ones that still say it; cut to fit last.
  const texts = [said.message, `the answer is over maxFrameSize (${max} bytes)`, "answer over maxFrameSize"];
  for (const text of texts) {
    try {
      return frame(failed, id, text, 0, max);
    } catch {
      // shorter
    }
  }
  for (let text = texts[2]!; ; text = text.slice(0, text.length >> 1)) {
    try {
      return frame(failed, id, text, 0, max);
    } catch {
      // shorter
    }
  }
}

/**
 * HELLO with the names of the module's functions (the parent's `exports`),
 * or with none when they would not fit in maxFrameSize: the calls work
 * all the same.
 */
function helloFrame(names: string[], max: number): Uint8Array[] {
  try {
    return frame(Kind.HELLO, 0, { exports: names }, 0, max);
  } catch {
    return frame(Kind.HELLO, 0, { exports: [] }, 0, max);
  }
}

/** An error's name, message and stack alone (each read once, as strings). */
function bare(e: Error): Error {
  return makeError(String(e.name), String(e.message), typeof e.stack === "string" ? e.stack : undefined);
}

/** A copy without its stack of an error whose name and message are plain data (bare's, or our own). */
function stackless(e: Error): Error {
  return Object.defineProperty(makeError(e.name, e.message, undefined), "stack", { value: undefined });
}

/**
 * The parent's maxFrameSize, which it sets in our environment; taken out
 * of it, so that the module and its children do not see it.
 */
function maxFrameFromParent(): number {
  const v = process.env[MAX_FRAME_ENV];
  delete process.env[MAX_FRAME_ENV];
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n >= 64 && n <= MAX_FRAME_LIMIT ? n : DEFAULT_MAX_FRAME;
}

function unsendable(e: unknown): string {
  try {
    return e instanceof Error ? e.message : typeof e;
  } catch {
    return "an error that cannot be read";
  }
}

/** Why the module did not load, with the fix for TypeScript on a Node without type stripping. */
function loadError(e: unknown, href: string): unknown {
  const code = (e as { code?: string })?.code;
  if (runtime === "node" && code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[mc]?ts$/.test(new URL(href).pathname)) {
    const err = new TypeError(
      `Node ${process.version} cannot run the TypeScript module ${href}: give worker() a JavaScript module ` +
        `(compiled or bundled), or run the worker on Bun or Deno (runtime: "bun" or "deno")`,
    );
    return Object.assign(err, { code });
  }
  return e;
}

const [side, href] = process.argv.slice(-2);
new Parent(href!, Number(side), maxFrameFromParent());
