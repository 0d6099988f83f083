/**
 * worker(): a runtime process running a module of the caller's, whose
 * exported functions the parent calls over a socketpair (fd 3 in the
 * child). The process is an ordinary spawn(): every option applies, and the
 * default cleanup (it dies with us) with it.
 */
import { closeSync } from "node:fs";
import type { Socket } from "node:net";
import { describe, everyElement } from "../api/check.ts";
import { commandLine, SpawnError } from "../api/errors.ts";
import { errnoCode, errnoMessage } from "../api/errno.ts";
import type { ExitStatus } from "../api/exit-status.ts";
import type { Options } from "../api/options.ts";
import { checkSpawn, spawn, spawnWithChannel } from "../api/spawn.ts";
import type { Subprocess } from "../api/subprocess.ts";
import { getChannel } from "../ffi/channel.ts";
import { runtime } from "../ffi/runtime.ts";
import type { Native } from "../ffi/symbols.ts";
import { Connection, type ConnectionHandlers, type FrameChannel } from "./connection.ts";
import { SocketConnection } from "./socket-connection.ts";
import { Endpoint } from "./endpoint.ts";
import { CHANNEL_FD } from "./channel-fd.ts";
import { CodecError } from "./codec.ts";
import { DEFAULT_MAX_FRAME, frame, frameValue, type Frame, Kind, MAX_FRAME_ENV, MAX_FRAME_LIMIT, ProtocolError } from "./protocol.ts";
import { hostPath, moduleHref, runtimeOf, workerArgs } from "./runtime-command.ts";
import { WorkerError } from "./worker-error.ts";
import { type CallOptions, checkCall, type GiveUp, watchCall } from "./call-options.ts";
import { ownOptions } from "../api/own-options.ts";
import { backendChoice, libraryBeside } from "../api/backend.ts";
import { portableWhereHere } from "../portable/index.ts";
import { closedFd } from "./fd-check.ts";
import { type WorkerStdio, workerStdio } from "./worker-stdio.ts";

export interface WorkerOptions extends Options {
  /** The worker's runtime: "node", "bun", "deno" or the path of one (default: the caller's own, `process.execPath`). */
  runtime?: "node" | "bun" | "deno" | (string & {});
  /** Flags for the runtime, before the host program (`--max-old-space-size=512`; Deno: after `run --allow-all`). */
  runtimeArgs?: readonly string[];
  /**
   * The largest frame on the channel, both ways (the worker is told it):
   * a call, message or result over it is that one's error (a CodecError
   * before anything is sent); a frame over it from the worker anyway is a
   * protocol error (default 256 MiB, at most 2 ** 32).
   */
  maxFrameSize?: number;
}

/** What WARM carries: a call's shape, with the common kinds of values. */
const WARM_VALUE = ["", [1, "a", { a: [true, null] }, new Uint8Array(1)]];

/** How much of the worker's stderr a WorkerError keeps. */
const STDERR_TAIL = 4096;
/** After the channel ended unexpectedly, how long the worker may take to exit before SIGKILL. */
const EXIT_GRACE_MS = 2000;

interface Call {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Stops watching the call's signal and timeout. */
  unwatch(): void;
}

function strings(v: unknown, what: string): readonly string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !everyElement(v, (s) => typeof s === "string")) throw new TypeError(`${what} must be an array of strings`);
  return v;
}

export class Worker extends Endpoint {
  /** The worker's process id. */
  readonly pid: number;
  readonly #proc: Subprocess;
  readonly #exited: Promise<ExitStatus>;
  readonly #module: string;
  readonly #calls = new Map<number, Call>();
  #nextId = 1;
  #waiting = false;
  #closing: Promise<void> | undefined;
  /** Set once the channel ended: every later call fails with it. */
  #failure: Promise<WorkerError> | undefined;
  #loadError: unknown;
  #stderrTail = "";
  #stderrDone: Promise<void> = Promise.resolve();
  #exports: string[] | undefined;
  #warmed = false;
  /** Resolves with #failure's error once the channel ended and the worker exited. */
  readonly #failed: Promise<WorkerError>;
  #setFailed!: (e: WorkerError) => void;
  #onEnd: (() => void) | undefined;

  /** @internal use worker() */
  constructor(module: string | URL, options: WorkerOptions) {
    options = ownOptions(options);
    const start = workerStart(module, options);
    const native = channelLibrary(start);
    const handlers = { frame: (f: Frame, fds: number[]) => this.#frame(f, fds), end: (e?: Error) => this.#end(e) };
    const { proc, conn, closeFd } = native ? nativeChannel(native, start, options, handlers) : runtimeChannel(start, options, handlers);
    super(conn, closeFd, (waiting) => {
      this.#waiting = waiting;
      this.#updateRef();
    });
    this.#failed = new Promise((r) => (this.#setFailed = r));
    this.#proc = proc;
    this.pid = proc.pid;
    this.#module = start.href;
    // An idle worker does not keep us alive: calls, awaited messages and close() do.
    proc.unref();
    this.#exited = proc.exited;
    this.#exited.catch(() => {});
    this.#updateRef();
    if (proc.stderr) this.#stderrDone = this.#forwardStderr(proc.stderr);
    conn.start();
  }

  /**
   * Resolves with how the worker ended (and keeps this process alive until
   * then); rejects with the SpawnError of a worker that never started (a
   * bad `cwd`, a runtime not found: the failure is the child's, after
   * worker() returned).
   */
  get exited(): Promise<ExitStatus> {
    this.#proc.ref();
    return this.#exited;
  }

  /**
   * @internal For pool(): `fn` runs once, when the channel ends (the worker
   * failed, was killed or closed), before the calls in flight are rejected.
   */
  onEnd(fn: () => void): void {
    if (this.#failure) fn();
    else this.#onEnd = fn;
  }

  /**
   * Messages from the worker (its `parent.send()`), in order; one reader at
   * a time. The iteration ends when the channel closes after close(), or
   * when the worker exits by itself with code 0 (what it sent before that
   * comes first); it throws the worker's WorkerError when the worker
   * crashed (another exit code), was killed or broke the protocol.
   */
  override get messages(): AsyncIterableIterator<unknown> {
    return super.messages;
  }

  /** The names of the module's exported functions, once it has loaded (empty when they do not fit in maxFrameSize). */
  get exports(): readonly string[] | undefined {
    return this.#exports;
  }

  /** The worker's stderr is ours too (forwarded as it comes); its tail is kept for WorkerError. */
  async #forwardStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        process.stderr.write(value);
        this.#stderrTail = (this.#stderrTail + decoder.decode(value, { stream: true })).slice(-STDERR_TAIL);
      }
    } catch {
      // the pipe failed: the tail is what we have
    }
  }

  #updateRef(): void {
    this.conn.setRef(this.#calls.size > 0 || this.#waiting || this.#closing !== undefined);
  }

  /**
   * Call the module's exported function `name` with `args`; resolves with
   * its (awaited) result, rejects with what it threw (an Error with the
   * worker's name, message and stack), or with a WorkerError when the worker
   * could not load the module or ended before answering. With `signal` or
   * `timeout` (CallOptions), a call that does not settle in time has the
   * worker killed, and rejects with a WorkerError whose `aborted` or
   * `timedOut` is true; the worker's other calls in flight, and every later
   * one, reject with the WorkerError of its end, which names that call.
   */
  call(name: string, args: readonly unknown[] = [], options?: CallOptions): Promise<unknown> {
    const o = checkCall(name, args, options);
    if (o instanceof TypeError) return Promise.reject(o);
    if (this.#failure) return this.#failure.then((e) => Promise.reject(e));
    if (this.#closing) return Promise.reject(new WorkerError(`worker ${this.pid} is closing`, { pid: this.pid }));
    if (o.fds?.length) {
      const closed = this.conn.fdsRefused(`call("${name}")`) ?? closedFd(o.fds, (i) => `call("${name}"): fds[${i}]`);
      if (closed) return Promise.reject(closed);
    }
    let parts: Uint8Array[];
    try {
      parts = frame(Kind.CALL, this.#nextId, [name, args], 0, this.conn.maxFrame);
    } catch (e) {
      // The frame's value is [name, args]: a path the caller can read names args.
      if (e instanceof CodecError) e.message = e.message.replace("(at value[1]", "(at args");
      return Promise.reject(e);
    }
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    if (o.signal?.aborted) {
      return Promise.reject(new WorkerError(`call "${name}" was aborted before it was sent to worker ${this.pid}`, {
        pid: this.pid, aborted: true, cause: o.signal.reason,
      }));
    }
    return new Promise((resolve, reject) => {
      const unwatch = o.signal || o.timeout !== undefined ? watchCall(o, (why) => this.#giveUp(id, name, why)) : noop;
      this.#calls.set(id, { resolve, reject, unwatch });
      this.#updateRef();
      if (o.fds?.length) this.conn.write(frame(Kind.FD, 0, undefined, o.fds.length), o.fds).catch(() => {});
      this.conn.write(parts).catch(() => {}); // a failed write ends the channel: #end rejects the call
    });
  }

  #settle(id: number): Call {
    const c = this.#calls.get(id);
    if (!c) {
      // A call given up (timeout, abort) is answered by a worker being killed: no error.
      if (this.#given.has(id)) return { resolve: noop, reject: noop, unwatch: noop };
      throw new ProtocolError(`the worker answered call ${id}, which is not pending`);
    }
    this.#calls.delete(id);
    c.unwatch();
    this.#updateRef();
    return c;
  }

  /** Ids of calls given up, whose answers may still arrive before the kill lands. */
  readonly #given = new Set<number>();
  /** Why the first call given up had the worker killed: its end's WorkerError says so. */
  #killedFor: string | undefined;

  /** @internal A call's timeout or signal had this worker killed: its end is ours, loaded or not (pool.ts replaces it). */
  get killedForCall(): boolean {
    return this.#killedFor !== undefined;
  }

  /** A call's signal or timeout fired: the worker cannot be interrupted otherwise, so it is killed. */
  #giveUp(id: number, name: string, why: GiveUp): void {
    const c = this.#calls.get(id);
    if (!c) return;
    this.#calls.delete(id);
    this.#given.add(id);
    this.#killedFor ??= `call "${name}" ${why.text}`;
    this.#proc.kill("SIGKILL");
    // The rejection waits for the worker's end: when it comes, no process is left.
    void this.#failed.then((f) => {
      c.reject(new WorkerError(`call "${name}" ${why.text}: worker ${this.pid} (${this.#module}) was killed`, {
        pid: this.pid, exitCode: f.exitCode, signal: f.signal, stderr: f.stderr, cause: why.cause,
        timedOut: why.timedOut, aborted: why.aborted,
      }));
    });
  }

  /** HELLO or FAIL, once, the worker's first word about its module: a second is a protocol error (it would rewrite `exports`, or blame a late FAIL for a kill). */
  #greeted(kind: number): void {
    if (this.#exports !== undefined || this.#loadError !== undefined) {
      throw new ProtocolError(`the worker sent ${kind === Kind.HELLO ? "HELLO" : "FAIL"} after it had said whether its module loaded`);
    }
  }

  /**
   * WARM: the worker runs a call's decoding and encoding once before the
   * first call. Not sent where it would not fit in maxFrameSize (its least,
   * 64 bytes, is smaller): nothing is warmed, and nothing asked for.
   */
  #warm(): void {
    let warm: Uint8Array[];
    try {
      warm = frame(Kind.WARM, 0, WARM_VALUE, 0, this.conn.maxFrame);
    } catch {
      this.#warmed = true;
      return;
    }
    this.conn.write(warm).catch(() => {});
  }

  #frame(f: Frame, fds: number[]): void {
    if (f.kind === Kind.FD) return this.received(f.kind, undefined, fds);
    const value = frameValue(f);
    switch (f.kind) {
      case Kind.HELLO: {
        this.#greeted(f.kind);
        const names = (value as { exports?: unknown })?.exports;
        this.#exports = Array.isArray(names) ? names.map(String) : [];
        this.#warm();
        return;
      }
      case Kind.WARM:
        // The echo of the one WARM we sent, after HELLO.
        if (this.#exports === undefined || this.#warmed) throw new ProtocolError("the worker sent WARM unasked");
        this.#warmed = true;
        return;
      case Kind.FAIL:
        this.#greeted(f.kind);
        this.#loadError = value;
        return;
      case Kind.RESULT:
        return this.#settle(f.id).resolve(value);
      case Kind.ERROR:
        return this.#settle(f.id).reject(value);
      case Kind.MESSAGE:
        return this.received(f.kind, value, fds);
      default:
        throw new ProtocolError(`the worker sent a frame of kind ${f.kind}, which only a parent sends`);
    }
  }

  /** The channel ended: after close() that is the plan; otherwise the worker failed. */
  #end(error: Error | undefined): void {
    const planned = this.#closing !== undefined && !error && this.#calls.size === 0;
    this.#failure = this.#explain(error, planned, this.#calls.size > 0);
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
    this.#failure.then((e) => {
      this.#setFailed(e);
      // Messages end as the channel did: cleanly after close(), or when the
      // worker ended by itself with code 0; a crash, a kill or a protocol
      // error is their error too.
      // A wait for an fd rejects with the WorkerError either way.
      this.ended(planned || (!error && e.exitCode === 0) ? undefined : e, e);
      const calls = [...this.#calls.values()];
      this.#calls.clear();
      this.#updateRef();
      for (const c of calls) {
        c.unwatch();
        c.reject(e);
      }
    });
  }

  /** The WorkerError of an ended channel, once the worker exited (its status and stderr known). */
  async #explain(error: Error | undefined, planned: boolean, pending: boolean): Promise<WorkerError> {
    // A worker that breaks the protocol is not trusted to exit.
    if (error) this.#proc.kill("SIGKILL");
    this.#proc.ref();
    const force = setTimeout(() => this.#proc.kill("SIGKILL"), EXIT_GRACE_MS);
    let status: ExitStatus | undefined, spawnError: unknown;
    try {
      status = await this.#exited;
    } catch (e) {
      spawnError = e;
    } finally {
      clearTimeout(force);
    }
    // The stderr pipe ends with the worker, unless a descendant holds it.
    await Promise.race([this.#stderrDone, new Promise((r) => setTimeout(r, 200))]);
    this.#proc.unref();
    const how = status ? (status.signal ? `was killed by ${status.signal}` : `exited with code ${status.exitCode}`) : "did not start";
    const why = spawnError !== undefined
      ? `: ${(spawnError as Error).message}`
      : error
      ? ` after a protocol error: ${error.message}`
      : this.#loadError !== undefined
      ? ` because its module did not load: ${withoutEscapes(String((this.#loadError as Error)?.message ?? this.#loadError))}`
      : !planned && pending
      ? " while calls were pending"
      : "";
    // Killed because a call gave up: the other calls' error says which.
    const killer = this.#killedFor !== undefined && !spawnError && !error ? ` (${this.#killedFor})` : "";
    return new WorkerError(`worker ${this.pid} (${this.#module}) ${how}${why}${killer}`, {
      pid: this.pid,
      exitCode: status?.exitCode ?? null,
      signal: status?.signal ?? null,
      stderr: withoutEscapes(this.#stderrTail),
      cause: spawnError ?? error ?? this.#loadError,
    });
  }

  /**
   * Graceful: waits for the calls in flight, closes the channel (the worker
   * exits when it sees that) and resolves once the worker has exited.
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      this.#updateRef();
      this.#proc.ref();
      await Promise.allSettled([...this.#calls.values()].map((c) => new Promise((r) => {
        const { resolve, reject } = c;
        c.resolve = (v) => (resolve(v), r(undefined));
        c.reject = (e) => (reject(e), r(undefined));
      })));
      this.conn.close();
      await this.#exited.catch(() => {});
      await this.#stderrDone;
    })());
  }

  /** send()'s write: once the worker has ended, it rejects with the WorkerError its calls get. */
  protected override written(p: Promise<void>): Promise<void> {
    return this.#orEnded(p);
  }

  /** As Endpoint's; once the worker has ended, rejects with the WorkerError its calls get. */
  override sendFd(fd: number): Promise<void> {
    return this.#orEnded(super.sendFd(fd));
  }

  /** A write that failed because the channel ended (it ends before the rejection runs) fails with why it ended. */
  #orEnded(p: Promise<void>): Promise<void> {
    return p.catch((e) => (this.#failure && (e as { code?: string }).code === "EPIPE" ? this.#failure.then((f) => Promise.reject(f)) : Promise.reject(e)));
  }

  /** Send the worker a signal (default SIGKILL); calls in flight reject with a WorkerError. */
  kill(signal: Parameters<Subprocess["kill"]>[0] = "SIGKILL"): boolean {
    return this.#proc.kill(signal);
  }
}

const noop = () => {};

/**
 * The tail as text: terminal escape sequences (colours, which Deno writes
 * even to a pipe) taken out. What is forwarded to our stderr keeps them.
 */
const withoutEscapes = (text: string) => text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");

interface OpenChannel {
  proc: Subprocess;
  conn: FrameChannel;
  /** Closes an fd received on the channel that nobody took. */
  closeFd(fd: number): void;
}

/**
 * How this context makes workers' channels, decided once as the backend
 * is (libraryBeside()): the library's socketpairs, with a side socket for
 * fds, wherever it loads; else the runtime's own, through the portable
 * backend's spawn (Node's and Bun's extra "pipe"), which passes no fds.
 * Deno's (Deno.Command) cannot pass the channel to the child at all.
 */
function channelLibrary(start?: WorkerStart): Native | undefined {
  const { reason } = backendChoice();
  if (reason !== undefined && runtime === "deno") {
    throw new TypeError(
      `worker(): workers need the native backend on ${runtime}: their channel is an extra fd (fd ${CHANNEL_FD}), which the portable ` +
        `backend cannot pass to a child here (it runs because ${reason})`,
    );
  }
  try {
    return libraryBeside();
  } catch (e) {
    // Out of fds for loading the library (errno EMFILE): no process can be
    // made, the SpawnError run() gives then, not a verdict on the library.
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno !== "number") throw e;
    throw new SpawnError(errno, "spawn", start ? commandLine(start.executable, [start.href]) : "worker()");
  }
}

/** The TypeError for fds given to `what` on a channel the runtime made (no library to pass them). */
function fdsRefused(what: string): TypeError {
  const where = portableWhereHere(runtime, backendChoice().reason ?? "");
  return new TypeError(`${what}: fds cannot travel to or from a worker on ${where}: passing them needs the native library`);
}

/**
 * @internal For pool(), whose calls wait before a worker has them: the
 * TypeError a call's fds get where workers' channels pass none, or undefined.
 */
export function workerFdsRefused(what: string): TypeError | undefined {
  return channelLibrary() ? undefined : fdsRefused(what);
}

/** The library's channel: a socketpair on fd 3, and a side socket the fds travel on. */
function nativeChannel(native: Native, start: WorkerStart, options: WorkerOptions, handlers: ConnectionHandlers): OpenChannel {
  const [ours, theirs] = socketPair(native, "channel");
  let side: [number, number];
  try {
    side = socketPair(native, "fd socket");
  } catch (e) {
    native.asp_close(ours);
    native.asp_close(theirs);
    throw e;
  }
  let proc: Subprocess;
  try {
    const [file, args, spawnOptions] = workerSpawn(start, options, theirs, side[1]);
    proc = spawn(file, args, spawnOptions);
  } catch (e) {
    native.asp_close(ours);
    native.asp_close(side[0]);
    throw e;
  } finally {
    native.asp_close(theirs); // the child has its own now
    native.asp_close(side[1]);
  }
  native.asp_set_nonblock(ours, 1);
  native.asp_set_nonblock(side[0], 1);
  const conn = new Connection(native, getChannel(), ours, handlers, { maxFrame: start.maxFrame, side: side[0] });
  return { proc, conn, closeFd: (fd) => native.asp_close(fd) };
}

/** The runtime's channel (no library): the worker's spawn makes it, an extra "pipe" on fd 3. */
function runtimeChannel(start: WorkerStart, options: WorkerOptions, handlers: ConnectionHandlers): OpenChannel {
  let end: number | Socket | undefined;
  const [file, args, spawnOptions] = workerSpawn(start, options, "pipe", undefined);
  // No end when no child was started: the channel then ends at once, and the calls say why.
  const proc = spawnWithChannel(file, args, spawnOptions, { fd: CHANNEL_FD, take: (e) => (end = e) });
  const conn = new SocketConnection(end, handlers, { maxFrame: start.maxFrame, refuse: fdsRefused });
  // No fd is ever received on it.
  return { proc, conn, closeFd: (fd) => closeSync(fd) };
}

/**
 * Each end's buffers: larger than the default (~208 KiB), so a 64 MiB
 * payload crosses in a few dozen reactor wake-ups instead of hundreds.
 */
const SOCK_BUF = 4 << 20;

/** A socketpair for the worker: [ours, the child's]. */
function socketPair(native: Native, what: string): [number, number] {
  const pair = new Int32Array(2);
  const r = native.asp_socketpair(new Uint8Array(pair.buffer), SOCK_BUF);
  if (r < 0) {
    const code = errnoCode(-r);
    throw Object.assign(new Error(`aspawn: cannot create the worker's ${what} (${code}: ${errnoMessage(-r)})`), { code, errno: -r });
  }
  return [pair[0]!, pair[1]!];
}

/**
 * Start a worker process running `module` (see Worker). Throws a TypeError
 * for bad options, and an Error (a SpawnError, or one with the `code` of a
 * socketpair that cannot be made) only when no process can be created at
 * all (EMFILE, EAGAIN). A worker that fails in the child before its
 * runtime runs (a bad `cwd`, `uid`, a runtime not found) is still returned:
 * its calls reject with a WorkerError "did not start" whose `cause` is the
 * SpawnError, and `exited` rejects with it.
 */
/** What worker() makes of its arguments before it opens anything (the checks: TypeErrors). */
interface WorkerStart extends WorkerStdio {
  href: string;
  kind: ReturnType<typeof runtimeOf>["kind"];
  executable: string;
  env: Record<string, string> | undefined;
  runtimeArgs: readonly string[];
  maxFrame: number;
}

function workerStart(module: string | URL, options: WorkerOptions): WorkerStart {
  const href = moduleHref(module);
  const { kind, executable, env } = runtimeOf(options.runtime);
  const runtimeArgs = strings(options.runtimeArgs, "runtimeArgs");
  const maxFrame = options.maxFrameSize ?? DEFAULT_MAX_FRAME;
  if (typeof maxFrame !== "number" || !Number.isInteger(maxFrame) || maxFrame < 64 || maxFrame > MAX_FRAME_LIMIT) {
    throw new TypeError(`maxFrameSize must be an integer number of bytes from 64 to 2 ** 32, got ${describe(maxFrame)}`);
  }
  if (options.shell) throw new TypeError("shell: a worker runs a runtime, not a shell command");
  return { href, kind, executable, env, runtimeArgs, maxFrame, ...workerStdio(options) };
}

/**
 * The spawn of a worker whose channel and side socket are `channel` and
 * `side` (the child's ends); a channel the runtime makes ("pipe") has no
 * side socket: the host is told -1, and passes no fds.
 */
function workerSpawn(w: WorkerStart, options: WorkerOptions, channel: number | "pipe", side: number | undefined): [string, string[], Options] {
  const stdio: unknown[] = [...w.stdio];
  stdio[CHANNEL_FD] = channel;
  // The side socket takes the first fd after the caller's: the host is told which.
  const sideFd = side === undefined ? -1 : Math.max(stdio.length, CHANNEL_FD + 1);
  if (side !== undefined) stdio[sideFd] = side;
  const args = workerArgs(w.kind, w.runtimeArgs, hostPath(w.kind), w.href, sideFd);
  return [w.executable, args, {
    ...options,
    // The worker holds what it sends to the limit we read with (told only
    // when not the default: the usual worker inherits the environment as is).
    env: workerEnv(options.env, { ...w.env, ...(w.maxFrame !== DEFAULT_MAX_FRAME && { [MAX_FRAME_ENV]: String(w.maxFrame) }) }) as Options["env"],
    stdio: stdio as Options["stdio"],
    stdin: w.stdin,
    stdout: w.stdout,
    stderr: w.stderr,
  }];
}

/**
 * @internal Every TypeError worker(module, options) would throw, nothing
 * started (pool() checks its workers' options at once, started or not).
 */
export function checkWorker(module: string | URL, options: WorkerOptions): void {
  options = ownOptions(options);
  const start = workerStart(module, options);
  // Placeholder fds: only their shape is checked (Node and Bun, which make
  // the runtime's channel, take fd numbers too).
  const [file, args, spawnOptions] = workerSpawn(start, options, 0, channelLibrary() ? 0 : undefined);
  checkSpawn(file, args, spawnOptions);
}

export function worker(module: string | URL, options: WorkerOptions = {}): Worker {
  if (options === null || typeof options !== "object") throw new TypeError(`worker(): options must be an object, got ${describe(options)}`);
  return new Worker(module, options);
}

/** The caller's env with the worker's variables; one that is not a plain object is left for spawn() to refuse. */
function workerEnv(given: unknown, ours: Record<string, string>): unknown {
  if (Object.keys(ours).length === 0) return given;
  if (given === undefined) return ours;
  const proto = typeof given === "object" && given !== null && !Array.isArray(given) ? Object.getPrototypeOf(given) : undefined;
  const plain = proto === Object.prototype || proto === null || (typeof process !== "undefined" && given === process.env);
  return plain ? { ...given, ...ours } : given;
}
