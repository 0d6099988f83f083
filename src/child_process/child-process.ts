/**
 * ChildProcess: Node's EventEmitter face over a Subprocess of this library.
 * Events in Node's order — `spawn`; then `exit` (or `error` when the program
 * never ran); `disconnect` when an IPC channel closes; `close` once the
 * child exited and every stdio stream it had (stdout, stderr, extra pipes)
 * and the channel have closed.
 */
import { EventEmitter } from "node:events";
import { Readable, Writable } from "node:stream";
import { SpawnError } from "../api/errors.ts";
import type { ExitStatus } from "../api/exit-status.ts";
import { type ExtraFdOption, type Options, shFallback, socketStdio } from "../api/options.ts";
import { spawn as aspawn } from "../api/spawn.ts";
import { type Internals, internals, type Subprocess } from "../api/subprocess.ts";
import { errnoError, invalidArgType, invalidArgValue, nodeError } from "./node-errors.ts";
import { EINVAL, ENOSYS, ENOTDIR, EPIPE } from "../api/errno.ts";
import { loadNative } from "../ffi/load.ts";
import { precheck } from "./precheck.ts";
import { readStdio, type Slot } from "./stdio.ts";
import { isKept } from "./call-cache.ts";
import { PipeDuplex, PipeReadable, PipeWritable } from "./streams.ts";
import { OutputTap, type TapListener } from "./output-tap.ts";
import { idOf, NO_ID, toSignal, type NormalizedSpawn } from "./validate.ts";
import { type Channel, openChannel } from "./ipc.ts";
import { ChannelControl } from "./channel-control.ts";

let warnedChannel = false;
const noop = () => {};
/** How long `exit` waits for the channel's end (see #exited). */
const CHANNEL_END_WAIT_MS = 100;
/** How long an unref'd child's ended pipe holds the loop for its exit (see #holdForExit). */
const EXIT_AFTER_EOF_MS = 100;
/**
 * Streams of ours given to another child as its stdio (Node's
 * kIsUsedAsStdio): that child reads them, so we never drain them.
 */
const usedAsStdio = new WeakSet<object>();
/** How many running children have each stream of ours as their stdio. */
const borrowers = new WeakMap<PipeReadable | PipeWritable, number>();

/**
 * A stream of ours becomes, or stops being, one more child's stdio. While
 * any child has it, its fd is blocking, as stdio is (libuv does the same),
 * and our reads of it wait (FdReader.lend()); the last child to exit gives
 * it back. The fd's flags are the pipe's, shared with every child holding
 * it: made non-blocking when the first of two such children exited, it
 * failed the other's reads with EAGAIN.
 */
function lendStream(s: PipeReadable | PipeWritable, on: boolean): void {
  const n = (borrowers.get(s) ?? 0) + (on ? 1 : -1);
  borrowers.set(s, n);
  if (n !== (on ? 1 : 0)) return;
  if (s.fd >= 0) loadNative().asp_set_nonblock(s.fd, on ? 0 : 1);
  if (s instanceof PipeReadable) s.lend(on);
}
/**
 * The streams of ours lent to `child` as its stdio (the pipe is blocking
 * while it runs, as stdio is): lent now, given back at its `exit` or at the
 * `error` that means it never ran. Once each way per child; lendStream()
 * counts the children.
 */
function lender(child: EventEmitter, lent: readonly (PipeReadable | PipeWritable)[], gone: () => boolean): (on: boolean) => void {
  let lending = false;
  const lend = (on: boolean) => {
    if (lending === on) return;
    lending = on;
    for (const s of lent) lendStream(s, on);
  };
  lend(true);
  if (lent.length) child.once("exit", () => lend(false)).once("error", () => gone() && lend(false));
  for (const s of lent) usedAsStdio.add(s);
  return lend;
}

type Stdio = Readable | Writable | PipeDuplex | null;
const dispose: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for("nodejs.dispose");
/** @internal exec()'s access to the output (see ChildProcess#[tapOutput]). */
export const tapOutput = Symbol("tapOutput");
export const stopOutput = Symbol("stopOutput");
export const outputEncoding = Symbol("outputEncoding");
/** The child's pipes while their streams are not made (ChildProcess#make). */
interface Unmade { io: Internals; slots: readonly unknown[]; ran: Promise<boolean> }

export class ChildProcess extends EventEmitter {
  pid: number | undefined = undefined;
  exitCode: number | null = null;
  signalCode: string | null = null;
  killed = false;
  connected = false;
  /** null until spawn(), as Node's. */
  spawnfile: string | null = null;
  spawnargs: string[] = [];
  /** Node's control object of the IPC channel (fork, or "ipc" in stdio); null once the channel closed. */
  channel: ChannelControl | null | undefined = undefined;

  /** Node's internal name for the channel, which some code reads (deprecated there: DEP0129, warned once). */
  get _channel(): ChannelControl | null | undefined {
    if (!warnedChannel) {
      warnedChannel = true;
      process.emitWarning("_channel is deprecated. Use ChildProcess.channel instead.", "DeprecationWarning", "DEP0129");
    }
    return this.channel;
  }

  #ipc: Channel | undefined;

  // The stdio streams are made when first asked for (#make): exec()
  // collects the output without them (output-tap.ts).
  #stdin: Writable | null = null;
  #stdout: Readable | null = null;
  #stderr: Readable | null = null;
  #stdio: Stdio[] = [];
  #unmade: Unmade | undefined;
  /** exec()'s taps of stdout and stderr (at 1 and 2) while the streams are unmade. */
  #taps: (OutputTap | undefined)[] | undefined;
  /** stdin was closed (the exit) before its stream was made. */
  #stdinClosed = false;

  get stdin(): Writable | null {
    this.#make();
    return this.#stdin;
  }

  set stdin(stream: Writable | null) {
    this.#make();
    this.#stdin = stream;
  }

  get stdout(): Readable | null {
    this.#make();
    return this.#stdout;
  }

  set stdout(stream: Readable | null) {
    this.#make();
    this.#stdout = stream;
  }

  get stderr(): Readable | null {
    this.#make();
    return this.#stderr;
  }

  set stderr(stream: Readable | null) {
    this.#make();
    this.#stderr = stream;
  }

  get stdio(): Stdio[] {
    this.#make();
    return this.#stdio;
  }

  set stdio(list: Stdio[]) {
    this.#make();
    this.#stdio = list;
  }

  #sub: Subprocess | undefined;
  /** The child has been reaped (or never ran): nothing to signal. */
  #gone = false;
  #closesNeeded = 1;
  #closesGot = 0;
  /** unref() was called (and no ref() since). */
  #unrefd = false;
  #exitHold: ReturnType<typeof setTimeout> | undefined;
  /** Settles once `exit` (or the spawn's `error`) was emitted: stdio `close`s wait for it (streams.ts). */
  #exitEmitted: Promise<void> | undefined;
  #onExitEmitted: (() => void) | undefined;

  /**
   * Node's internal step: start the program from normalised options (see
   * validate.ts). Returns 0, or as Node's the -errno it reports through
   * `error` (a program not found, out of fds or processes).
   */
  spawn(options: NormalizedSpawn): number {
    if (options === null || typeof options !== "object") throw invalidArgType("options", "object", options);
    const { file, args } = options;
    // The call before again (call-cache.ts): checked then, and made into the same library options.
    const again = keptLib?.o === options && isKept(options) ? keptLib : undefined;
    if (!again) checkSpawnOptions(options);
    const serialization = options.serialization;
    const { slots, ipc, lent } = again ?? readStdio(options.stdio, false);
    this.spawnfile = file;
    this.spawnargs = args ? [...args] : [file];
    const env = again ? {} : envFor(options, ipc, serialization ?? "json");
    const channel = ipc === undefined ? undefined : openChannel(this, serialization ?? "json");
    const lib = again?.lib ?? libraryOptions(options, slots, channel, env, this.spawnargs);
    if (!again && isKept(options) && ipc === undefined && !lent.length && !env.env && !env.clearEnv) keepLib(options, slots, lib);
    const path = env.clearEnv ? env.env?.PATH : inheritedPath();
    const missing = path === null ? 0 : precheck(file, options.cwd, path);
    // Node throws what libuv's spawn fails with, but for the few it reports
    // through `error` (EACCES, EAGAIN, EMFILE, ENFILE, ENOENT).
    if (missing === ENOTDIR) {
      channel?.abandon();
      throw errnoError(ENOTDIR, "spawn");
    }
    if (missing) return this.#notFound(missing, file, slots, channel);
    const lend = lender(this, lent, () => this.#gone);
    let sub: Subprocess;
    try {
      sub = aspawn(file, this.spawnargs.slice(1), lib);
    } catch (e) {
      channel?.abandon();
      lend(false);
      if (!(e instanceof SpawnError)) throw e;
      return this.#noChild(e);
    } finally {
      channel?.childStarted();
    }
    this.#started(sub, slots, channel);
    return 0;
  }

  /**
   * The program is not there: as Node, no pid, `error` then `close`
   * asynchronously, nothing run; a fork's channel is set up all the same,
   * connected until its end (the child's end closed) is read: `error`,
   * `disconnect`, `close`.
   */
  #notFound(errno: number, file: string, slots: Slot[], channel: Channel | undefined): number {
    if (channel) {
      channel.childStarted();
      this.#withChannel(channel);
    }
    this.#gone = true;
    this.#streams(undefined, slots, Promise.resolve(false));
    // exitCode too is set then (null right after spawn(), as Node's onErrorNT sets it).
    process.nextTick(() => {
      this.exitCode = -errno;
      this.#failed(new SpawnError(errno, "execve", file, file));
    });
    return -errno;
  }

  /** No child at all (EMFILE, EAGAIN...): Node reports these through `error` too. */
  #noChild(e: SpawnError): number {
    this.#gone = true;
    queueMicrotask(() => {
      this.exitCode = -e.errno;
      this.#failed(e);
    });
    return -e.errno;
  }

  /** The child runs: its streams, its channel, and `spawn`/`error` then `exit` as Node emits them. */
  #started(sub: Subprocess, slots: Slot[], channel: Channel | undefined): void {
    this.#sub = sub;
    this.pid = sub.pid;
    // Settles before `spawn` or `error` is emitted (its handlers come first).
    const ran = sub.spawned.then(() => true, () => false);
    this.#streams(sub, slots, ran);
    if (channel) this.#withChannel(channel);
    // send()'s callbacks and what the child sends wait for `spawn` (or `error`), which Node emits first.
    let reported = noop;
    const told = new Promise<void>((r) => (reported = r));
    channel?.holdUntil(told);
    sub.spawned.then(() => {
      try {
        this.emit("spawn");
      } finally {
        reported();
      }
    }, (e: unknown) => {
      this.pid = undefined;
      this.#gone = true;
      this.exitCode = e instanceof SpawnError ? -e.errno : -EINVAL;
      try {
        this.#failed(e);
      } finally {
        reported();
      }
    });
    const seq = ++spawnCount;
    // `exit` after `spawn`, as in Node, even when the exec's report is read
    // after the exit's (a loaded machine: 1 child in 1 200).
    sub.exited.then((s) => void told.then(() => reportExit(seq, () => this.#exited(s))), (e: unknown) => {
      if (!(e instanceof SpawnError)) this.emit("error", e); // the status was lost
    });
  }

  /**
   * The stdio over the child's pipes, its streams made when first asked for
   * (the closes they count are counted now). Without a child (a program
   * found missing), or with pipes beyond stderr, the streams are made now.
   */
  #streams(sub: Subprocess | undefined, slots: readonly unknown[], ran: Promise<boolean>): void {
    const io = sub?.[internals];
    if (!io || slots.length > 3) return this.#makeStreams(io, slots, ran);
    for (let i = 1; i < slots.length; i++) {
      const reader = slots[i] === "pipe" ? outputOf(io, i) : null;
      if (!reader) continue;
      this.#closesNeeded++;
      // This module drains it after the exit as Node does (#flushStdio), or
      // lends its fd to another child (kIsUsedAsStdio): not read out at the exit.
      reader.keepAtExit();
    }
    this.#unmade = { io, slots, ran };
  }

  /** The streams, on first use; a tap of exec()'s hands its stream what it had under way. */
  #make(): void {
    const unmade = this.#unmade;
    if (!unmade) return;
    this.#unmade = undefined;
    this.#makeStreams(unmade.io, unmade.slots, unmade.ran, this.#taps ?? []);
    this.#taps = undefined;
  }

  /** `taps` given: the streams of a child whose closes were counted by #streams. */
  #makeStreams(io: Internals | undefined, slots: readonly unknown[], ran: Promise<boolean>, taps?: (OutputTap | undefined)[]): void {
    const extra = io?.extra ?? [];
    this.#stdio = slots.map((s, i): Stdio => {
      if (s !== "pipe") return null;
      if (!io) {
        // A write fails as Node's does (EPIPE), after `error` (an earlier tick) destroyed stdin.
        const ended = i === 0 ? new Writable({ write: (_c, _e, cb) => process.nextTick(cb, errnoError(EPIPE, "write")) }) : new Readable({ read() { this.push(null); } });
        if (i > 0) {
          this.#closesNeeded++;
          ended.once("close", () => this.maybeClose());
        }
        return ended;
      }
      if (i === 0) return io.stdin && new PipeWritable(io.stdin, ran, this.#stdinClosed);
      const reader = i < 3 ? outputOf(io, i) : null;
      const tap = taps?.[i];
      if (tap) return tappedStream(tap, reader!, ran, this.#untilExit, (stream) => this.#counted(stream));
      const stream = reader ? new PipeReadable(reader, ran, this.#untilExit) : extra[i - 3] ? new PipeDuplex(extra[i - 3]!) : null;
      if (stream) {
        if (!taps) this.#closesNeeded++;
        this.#counted(stream);
      }
      // Node's sockets read from the start, up to their buffer's size: a
      // pipe's end is seen (`end`) when the child closes it, read or not.
      if (stream instanceof PipeReadable) stream.read(0);
      return stream;
    });
    this.#stdin = this.#stdio[0] as Writable | null;
    this.#stdout = (this.#stdio[1] ?? null) as Readable | null;
    this.#stderr = (this.#stdio[2] ?? null) as Readable | null;
  }

  /** A stream whose `close` is one of the things the child's `close` waits for. */
  #counted(stream: Readable | PipeDuplex): void {
    stream.once("close", () => this.maybeClose());
    stream.once("end", () => this.#holdForExit());
  }

  /**
   * @internal exec(): stdout and stderr read into `onStdout` and
   * `onStderr` without streams (UTF-8 strings, or Buffers), while nobody
   * asks for the streams. False when they exist: exec listens to them.
   */
  [tapOutput](utf8: boolean, onStdout: TapListener, onStderr: TapListener): boolean {
    const unmade = this.#unmade;
    if (!unmade || this.#taps) return false;
    const taps: (OutputTap | undefined)[] = (this.#taps = []);
    for (let i = 1; i < 3; i++) {
      const reader = unmade.slots[i] === "pipe" ? outputOf(unmade.io, i) : null;
      if (reader) taps[i] = new OutputTap(reader, unmade.ran, utf8, i === 1 ? onStdout : onStderr, (e) => this.#tapEnded(e));
    }
    return true;
  }

  /** @internal exec()'s kill: Node's destroys stdout and stderr first. */
  [stopOutput](): void {
    if (this.#unmade) for (const tap of this.#taps ?? []) tap?.stop();
    else {
      this.#stdout?.destroy();
      this.#stderr?.destroy();
    }
  }

  /** @internal The encoding exec()'s chunks of stdout (1) or stderr (2) come in. */
  [outputEncoding](fd: 1 | 2): string | null {
    if (this.#unmade) return this.#taps?.[fd]?.utf8 ? "utf8" : null;
    return (fd === 1 ? this.#stdout : this.#stderr)?.readableEncoding ?? null;
  }

  /** A tap is at its end, as a stream's `close`; a failed read makes the streams, the tap's to report it. */
  #tapEnded(error?: Error): void {
    if (error) return this.#make();
    this.#holdForExit();
    const exit = this.#untilExit();
    if (exit) void exit.then(() => this.maybeClose());
    else process.nextTick(() => this.maybeClose());
  }

  /** stdin ends at the exit (or the spawn's failure), made or not. */
  #closeStdin(): void {
    const unmade = this.#unmade;
    if (!unmade) return void this.#stdin?.destroy();
    this.#stdinClosed = true;
    unmade.io.stdin?.close();
  }

  /** The program never ran: `error` (Node's `spawn FILE ENOENT`), then `close` once the stdio closed. */
  #failed(e: unknown): void {
    const errno = e instanceof SpawnError ? e.errno : EINVAL;
    const syscall = this.spawnfile ? `spawn ${this.spawnfile}` : "spawn";
    const err = errnoError(errno, syscall);
    if (this.spawnfile) err.path = this.spawnfile;
    err.spawnargs = this.spawnargs.slice(1);
    this.#closeStdin();
    this.#ipc?.close();
    this.emit("error", err);
    this.#exitDone();
    queueMicrotask(() => this.#flushStdio());
    this.maybeClose();
  }

  #exited(s: ExitStatus): void {
    this.#gone = true;
    clearTimeout(this.#exitHold);
    // The child's death closed its end of the channel before the kernel
    // reported the exit, so Node reads that EOF first: `disconnect`, then
    // `exit`. Ours come in either order: wait for the channel's end, a
    // little at most (a descendant may hold the channel open).
    const ipc = this.#ipc;
    if (ipc && !ipc.disconnected) {
      let done = false;
      const go = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#emitExit(s);
      };
      const timer = setTimeout(go, CHANNEL_END_WAIT_MS);
      ipc.onDisconnected(go);
      return;
    }
    this.#emitExit(s);
  }

  #emitExit(s: ExitStatus): void {
    if (s.signal) this.signalCode = s.signal;
    else this.exitCode = s.exitCode;
    this.#closeStdin();
    this.emit("exit", this.exitCode, this.signalCode);
    this.#exitDone();
    process.nextTick(() => this.#flushStdio());
    this.maybeClose();
  }

  /**
   * After the exit, output nobody listens to is drained (and dropped), as
   * Node does, so that `close` comes even when stdout was never read.
   */
  #flushStdio(): void {
    const unmade = this.#unmade;
    // exec()'s taps read to the end by themselves.
    if (unmade && unmade.slots.every((s, i) => i === 0 || s !== "pipe" || !outputOf(unmade.io, i) || this.#taps?.[i])) return;
    for (const s of this.stdio) {
      const r = s as Readable | null;
      if (!r || !r.readable || usedAsStdio.has(r)) continue;
      const state = (r as unknown as { _readableState?: { readableListening?: boolean } })._readableState;
      const listening = state?.readableListening ?? (r.listenerCount("data") + r.listenerCount("readable") > 0);
      if (!listening) r.resume();
    }
  }

  /** @internal one of the things `close` waits for has happened. */
  maybeClose(): void {
    // In a turn of its own too (see spawn()): the last stream of two children can end in one read of the reactor.
    if (++this.#closesGot === this.#closesNeeded) setImmediate(() => this.emit("close", this.exitCode, this.signalCode));
  }

  /**
   * Send a signal (default SIGTERM; 0 probes). True when it was sent; false
   * once the child is gone. An unknown signal throws ERR_UNKNOWN_SIGNAL; a
   * failure to send (EPERM) is emitted as `error`, as Node does.
   */
  kill(sig?: string | number): boolean {
    const n = sig === 0 ? 0 : toSignal(sig === undefined ? "SIGTERM" : sig);
    if (!this.#sub || this.#gone) return false;
    try {
      if (!this.#sub.kill(n)) return false;
      this.killed = true;
      return true;
    } catch (e) {
      const errno = (e as { errno?: number }).errno ?? EINVAL;
      const err = errnoError(errno, "kill");
      if (errno === EINVAL || errno === ENOSYS) throw err;
      this.emit("error", err);
      return false;
    }
  }

  /** Keep the event loop alive while the child runs (the default). */
  ref(): void {
    this.#unrefd = false;
    this.#sub?.ref();
  }

  /**
   * Let the event loop end while the child still runs. As in Node, this is
   * the process's own ref alone: its stdio streams and its channel keep
   * the loop alive while they are in use (`channel.unref()` for that one).
   */
  unref(): void {
    if (!this.#sub) return;
    this.#unrefd = true;
    this.#sub.unref();
    for (const s of this.stdio) { // made now: Node's sockets read from the start
      if (!s || usedAsStdio.has(s)) continue;
      (s as { setRef?(ref: boolean): void }).setRef?.(true);
      // Node's sockets read from the start, up to their buffer's size: a
      // pipe nobody reads keeps the loop alive until it ends or fills that.
      if (s instanceof Readable && s.readable && s.readableFlowing === null) s.read(0);
      if (s instanceof PipeReadable) s.readNow(() => this.#holdForExit());
    }
  }

  /** Until `exit` is emitted, at most EXIT_AFTER_EOF_MS; undefined once it was. */
  #untilExit = (): Promise<void> | undefined => {
    if (this.#exitEmitted === undefined) {
      if (this.#onExitEmitted === noop) return undefined;
      this.#exitEmitted = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, EXIT_AFTER_EOF_MS);
        (timer as { unref?: () => void }).unref?.();
        this.#onExitEmitted = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#exitEmitted;
  };

  /** `exit` or the spawn's `error` was emitted. */
  #exitDone(): void {
    clearTimeout(this.#exitHold); // a spawn that failed has no exit to wait for
    this.#exitHold = undefined;
    this.#onExitEmitted?.();
    this.#onExitEmitted = noop;
    this.#exitEmitted = undefined;
  }

  /**
   * A pipe of an unref'd child ended while it runs (its `end`, or the
   * read unref() started found the end): its exit is most likely on the
   * way (a dying process's fds close before its parent is told). Node sees
   * both in one turn of its loop; ours come apart (the reactor may report
   * them in separate writes), so the loop is held a moment for the exit,
   * and `exit` and `close` (exec's callback) are not lost.
   */
  #holdForExit(): void {
    // Once over, a later pipe's end (one ended early, the other at the exit) holds it again.
    if (this.#unrefd && !this.#gone && !this.#exitHold) {
      this.#exitHold = setTimeout(() => (this.#exitHold = undefined), EXIT_AFTER_EOF_MS);
    }
  }

  /** @internal the channel is closed (or closes once written): Node's `channel` is null from then. */
  channelClosed(): void {
    this.channel = null;
  }

  /**
   * Send a message over the IPC channel; close it. As in Node, these exist
   * only on a child with a channel (code tests `child.send` to know).
   */
  declare send?: (message: unknown, handle?: unknown, options?: unknown, callback?: (error: Error | null) => void) => boolean;
  declare disconnect?: () => void;

  #withChannel(channel: Channel): void {
    this.#ipc = channel;
    this.channel = new ChannelControl(channel);
    this.connected = true;
    this.#closesNeeded++;
    this.send = (message, handle, options, callback) => channel.send(message, handle, options, callback);
    this.disconnect = () => {
      if (!this.connected) {
        this.emit("error", nodeError(Error, "ERR_IPC_DISCONNECTED", "IPC channel is already disconnected"));
        return;
      }
      channel.disconnect();
    };
    channel.start();
  }

  [dispose](): void {
    if (!this.killed) this.kill();
  }
}

/** The reader of stdout (1) or stderr (2); null when that slot is not a pipe of ours. */
function outputOf(io: Internals, fd: number): Internals["stdout"] {
  return fd === 1 ? io.stdout : io.stderr;
}

/**
 * The stream of a pipe exec() tapped: it starts with what the tap had under
 * way and has exec's listener first, as Node's exec listened before the
 * program could. A tap at its end (its close counted) gives a stream closed
 * already, as Node's socket is by then.
 */
function tappedStream(tap: OutputTap, reader: NonNullable<Internals["stdout"]>, ran: Promise<boolean>,
  untilExit: () => Promise<void> | undefined, counted: (stream: Readable) => void): Readable {
  let stream: Readable;
  if (tap.done && !tap.error) stream = closedReadable(tap.ended);
  else {
    const first = tap.error ? Promise.reject(tap.error) : tap.handOver();
    first?.catch(noop); // handled by the stream's first read, a tick later
    stream = new PipeReadable(reader, ran, untilExit, first);
    counted(stream);
  }
  if (tap.utf8) stream.setEncoding("utf8");
  stream.on("data", tap.listener);
  return stream;
}

/**
 * A Readable past its end (`ended`: it read to EOF; else it was destroyed
 * before, by exec's kill()) and closed: `finished()`, `pipe()` and `for
 * await` see it ended, and it emits nothing more, as a socket after its
 * `close`. Set on its state: pushing the end and destroying it would emit
 * `end` and `close` a tick later, to listeners added since.
 */
function closedReadable(ended: boolean): Readable {
  const stream = new Readable({ read() {}, emitClose: false });
  if (ended) {
    const state = (stream as unknown as { _readableState: { ended: boolean; endEmitted: boolean } })._readableState;
    state.ended = true;
    state.endEmitted = true;
  }
  return stream.destroy();
}

/** Node's checks of ChildProcess#spawn's own argument (spawn() made it; a caller of ChildProcess#spawn may not have). */
function checkSpawnOptions(options: NormalizedSpawn): void {
  if (options.envPairs !== undefined && !Array.isArray(options.envPairs)) throw invalidArgType("options.envPairs", "Array", options.envPairs);
  if (typeof options.file !== "string") throw invalidArgType("options.file", "string", options.file);
  if (options.args !== undefined && !Array.isArray(options.args)) throw invalidArgType("options.args", "Array", options.args);
  const serialization = options.serialization;
  if (serialization !== undefined && serialization !== "json" && serialization !== "advanced") {
    throw invalidArgValue("options.serialization", serialization, "must be one of: undefined, 'json', 'advanced'");
  }
  // libuv hands an id to setuid()/setgid() as unsigned: -1 is the one they refuse, before anything is opened.
  if (idOf(options.uid) === NO_ID || idOf(options.gid) === NO_ID) throw errnoError(EINVAL, "spawn");
}

/** The library's options for Node's normalised ones; `slots` from readStdio(), `channel` for "ipc". */
function libraryOptions(options: NormalizedSpawn, slots: readonly Slot[], channel: Channel | undefined,
  env: Pick<Options, "env" | "clearEnv">, spawnargs: readonly string[]): Options {
  const stdio: ExtraFdOption[] = slots.map((s) => (s === "ipc" ? channel!.childFd : s as ExtraFdOption));
  // Node's children outlive their parent, and Node never escalates to SIGKILL.
  // A script without "#!" runs under /bin/sh, as libuv's execvp runs it; its pipes are socketpairs, as libuv's.
  const lib: Options = { stdio: stdio as Options["stdio"], cleanup: false, forceKillAfter: Infinity, [shFallback]: true, [socketStdio]: true } as Options;
  // argv0 only when it differs: a spawn without one can reuse the last request whole (plan.ts).
  if (spawnargs.length && spawnargs[0] !== options.file) lib.argv0 = spawnargs[0];
  if (options.cwd != null) lib.cwd = options.cwd;
  if (env.env) lib.env = env.env;
  if (env.clearEnv) lib.clearEnv = true;
  if (options.detached) lib.setsid = true;
  if (options.uid != null) lib.uid = idOf(options.uid);
  if (options.gid != null) lib.gid = idOf(options.gid);
  // Without a prototype: the library must not see a polluted Object.prototype's cwd or uid.
  return Object.setPrototypeOf(lib, null) as Options;
}

/**
 * The library options made for the kept call (call-cache.ts), frozen with
 * their stdio: the library takes the same frozen object again as the same
 * call and keeps it whole (src/api/spawn-cache.ts). Only stdio of words and
 * fd numbers: another child's stream lent as stdio is not the same pipe twice.
 */
let keptLib: { o: NormalizedSpawn; slots: Slot[]; ipc: undefined; lent: []; lib: Options } | undefined;

function keepLib(o: NormalizedSpawn, slots: Slot[], lib: Options): void {
  if (!slots.every((s) => typeof s === "string" || typeof s === "number")) return;
  Object.freeze(lib.stdio);
  keptLib = { o, slots: Object.freeze(slots) as Slot[], ipc: undefined, lent: [], lib: Object.freeze(lib) };
}

let spawnCount = 0;
/** Exits known and not reported yet: reported one a turn, in spawn order (see reportExit). */
const exits: { seq: number; report: () => void }[] = [];

/**
 * Each child's exit in a turn of its own (a macrotask), as Node runs each
 * handle's callback alone with the microtasks and ticks of one drained
 * before the next: `await once(a, "close"); await once(b, "close")` then
 * attaches b's listener in time even when both exits came together, and
 * the output already read is pushed before `exit`. Exits known together
 * go in spawn order, as Node's SIGCHLD handler reaps its children in the
 * order of its list: a child whose stdout a second one reads ends first
 * for Node, and the kernel may report the second (which saw EOF at the
 * first's exit) before it.
 */
function reportExit(seq: number, report: () => void): void {
  exits.push({ seq, report });
  if (exits.length === 1) setImmediate(nextExit);
}

function nextExit(): void {
  let at = 0;
  for (let i = 1; i < exits.length; i++) if (exits[i]!.seq < exits[at]!.seq) at = i;
  const [next] = exits.splice(at, 1);
  if (exits.length) setImmediate(nextExit);
  next!.report();
}

/**
 * The PATH the child inherits, for precheck(); null where this process may
 * not read it (Deno without --allow-env, which spawning does not need): the
 * child then says whether the program is there.
 */
function inheritedPath(): string | undefined | null {
  try {
    return process.env.PATH;
  } catch {
    return null;
  }
}

/** The library's env options for Node's env (or envPairs), plus the channel's variables. */
function envFor(o: NormalizedSpawn, ipc: number | undefined, serialization: string): Pick<Options, "env" | "clearEnv"> {
  const channel = ipc === undefined ? {} : { NODE_CHANNEL_FD: String(ipc), NODE_CHANNEL_SERIALIZATION_MODE: serialization };
  if (o.env) return { env: { ...o.env, ...channel }, clearEnv: true };
  if (o.envPairs) {
    const env: Record<string, string> = {};
    for (const pair of o.envPairs) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return { env: { ...env, ...channel }, clearEnv: true };
  }
  return ipc === undefined ? {} : { env: channel };
}
