/**
 * A running child. It owns the child's pidfd, status pipe and our ends of
 * its pipes; the reactor wakes it when the status pipe reports, when the
 * child exits and when a pipe is ready.
 */
import { Event, StatusRecord, WaitResult } from "../ffi/abi.ts";
import type { Channel } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { EAGAIN, errnoCode, errnoMessage, ESRCH } from "./errno.ts";
import { atCallSite, commandLine, ExitError, SpawnError } from "./errors.ts";
import { decodeExit, type ExitStatus } from "./exit-status.ts";
import { FdReader } from "./fd-reader.ts";
import { FdWriter } from "./fd-writer.ts";
import { Collector, MiB, readBytes, readLines } from "./output.ts";
import { cgroupArg } from "./tree.ts";
import { type Signal, SIGKILL, signalName, signalNumber } from "./signals.ts";
import { stepName } from "./steps.ts";
import { readableFrom, writableFrom } from "./streams.ts";
import { type ExtraPipe, ExtraPipes } from "./extra-pipes.ts";
import { unrefTimeout } from "./timers.ts";
import { logEnd, logStart } from "./verbose.ts";

export interface SubprocessInit {
  native: Native;
  channel: Channel;
  pid: number;
  pidfd: number;
  statusFd: number;
  /** Our ends of the child's pipes: [child fd, our fd]. */
  pipes: [number, number][];
  file: string;
  args: readonly string[];
  steps: string[];
  /** By step index: the path a file open works on. */
  paths?: (string | undefined)[];
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  killSignal: number;
  forceKillAfter: number;
  /** The child leads a process group of its own (setsid / processGroup: true), or joined this one. */
  ownGroup: boolean;
  joinedGroup?: number | undefined;
  cgroup?: string | undefined;
  cwd?: string | undefined;
  /** The helpers (bytes, text, json, lines) reject when the child fails. */
  reject: boolean;
  /** Log the start and the end on stderr. */
  verbose: boolean;
  /** Most bytes the helpers read; undefined: 64 MiB for bytes/text/json, no limit for lines. */
  maxBuffer: number | undefined;
}

/** Options of Subprocess.kill(). */
export interface KillOptions {
  /**
   * Signal the child's whole process group (it must have one: `setsid` or
   * `processGroup`).
   */
  group?: boolean;
  /**
   * Signal the child and every descendant, even those that left its group
   * or session (found through /proc; see the README for the limits).
   */
  tree?: boolean;
}

/** What run() needs beyond the public surface. */
export const internals = Symbol("aspawn.internals");

export interface Internals {
  readonly stdin: FdWriter | null;
  readonly stdout: FdReader | null;
  readonly stderr: FdReader | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** We sent killSignal (timeout, abort, maxBuffer, dispose). */
  readonly terminated: boolean;
  readonly timeout: number | undefined;
  /** killSignal (or signal) as a timeout does; once the child exited, stop reading its pipes. */
  terminate(signal?: number): void;
  /**
   * Stop the child as an abort does, its descendants included (a batch that
   * stops): killSignal to its whole tree, SIGKILL to the tree after
   * forceKillAfter; once it exited, stop reading its pipes.
   */
  abortTree(): void;
  /** All of stdout, as bytes() reads it but never judging the exit (pipelines judge their own). */
  readStdout(what: string): Promise<Uint8Array>;
}

const waitResult = new Uint8Array(WaitResult.SIZE);
const waitView = new DataView(waitResult.buffer);
const record = new Int32Array(StatusRecord.SIZE / 4);
const recordBytes = new Uint8Array(record.buffer);
const noop = () => {};
const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");

export class Subprocess implements AsyncDisposable {
  /** The child's process id. */
  readonly pid: number;
  /** Resolves when the child reached exec; rejects with SpawnError if it failed before. */
  readonly spawned: Promise<void>;
  /** Resolves with how the child ended; rejects with SpawnError if the program never ran. */
  readonly exited: Promise<ExitStatus>;

  readonly #native: Native;
  readonly #channel: Channel;
  readonly #file: string;
  readonly #args: readonly string[];
  readonly #steps: string[];
  readonly #paths: (string | undefined)[];
  readonly #extra: ExtraPipes | undefined;
  readonly #killSignal: number;
  readonly #forceKillAfter: number;
  readonly #timeout: number | undefined;
  readonly #pgid: number | undefined;
  readonly #ownGroup: boolean;
  readonly #cgroup: string | undefined;
  readonly #cwd: string | undefined;
  #pidfd: number;
  #statusFd: number;
  #statusWatch = 0;
  #exitWatch = 0;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #exitStatus: ExitStatus | null = null;
  #spawnError: SpawnError | undefined;
  #settleSpawned!: (e?: SpawnError) => void;
  #settleExited!: (s: ExitStatus | Error) => void;
  /** SIGKILL after forceKillAfter, pending while the child runs. */
  #cancelForceKill: (() => void)[] = [];
  /** The timeout, pending until the child exited and its pipes are read. */
  #cancelTimeout: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #timedOut = false;
  #aborted = false;
  #terminated = false;
  /** Terminate the whole tree, not only the child (or its group). */
  #tree = false;
  readonly #reject: boolean;
  readonly #maxBuffer: number | undefined;
  readonly #t0 = performance.now();
  readonly #verbose: boolean;
  #stdinWriter: FdWriter | null = null;
  #stdoutReader: FdReader | null = null;
  #stderrReader: FdReader | null = null;
  #stdin: WritableStream<Uint8Array> | null | undefined;
  #stdout: ReadableStream<Uint8Array> | null | undefined;
  #stderr: ReadableStream<Uint8Array> | null | undefined;

  constructor(init: SubprocessInit) {
    this.pid = init.pid;
    this.#native = init.native;
    this.#channel = init.channel;
    this.#pidfd = init.pidfd;
    this.#statusFd = init.statusFd;
    this.#file = init.file;
    this.#args = init.args;
    this.#steps = init.steps;
    this.#paths = init.paths ?? [];
    this.#killSignal = init.killSignal;
    this.#forceKillAfter = init.forceKillAfter;
    this.#timeout = init.timeout;
    this.#pgid = init.ownGroup ? init.pid : init.joinedGroup;
    this.#ownGroup = init.ownGroup;
    this.#cgroup = init.cgroup;
    this.#cwd = init.cwd;
    this.#reject = init.reject;
    this.#maxBuffer = init.maxBuffer;
    this.#verbose = init.verbose;
    if (init.verbose) logStart(init.pid, this.command);
    for (const [childFd, fd] of init.pipes) {
      if (childFd === 0) this.#stdinWriter = new FdWriter(init.native, init.channel, fd);
      else if (childFd === 1) this.#stdoutReader = new FdReader(init.native, init.channel, fd);
      else if (childFd === 2) this.#stderrReader = new FdReader(init.native, init.channel, fd);
      else (this.#extra ??= new ExtraPipes(init.native, init.channel)).add(childFd, fd);
    }
    this.spawned = new Promise<void>((resolve, reject) => {
      this.#settleSpawned = (e) => (e ? reject(e) : resolve());
    });
    this.exited = new Promise<ExitStatus>((resolve, reject) => {
      this.#settleExited = (s) => (s instanceof Error ? reject(s) : resolve(s));
    });
    // Nobody has to listen: an unobserved SpawnError must not crash the
    // process as an unhandled rejection. Awaiting either still throws.
    this.spawned.catch(noop);
    this.exited.catch(noop);

    try {
      this.#statusWatch = this.#channel.watch(this.#statusFd, Event.IN, () => this.#onStatus());
      if (this.#pidfd >= 0) this.#exitWatch = this.#channel.watch(this.#pidfd, Event.IN, () => this.#onExit());
      else this.#pollTimer = setInterval(() => this.#onExit(), 10); // kernels without pidfds
    } catch (e) {
      this.#abandon();
      const errno = (e as { errno?: unknown }).errno;
      throw typeof errno === "number" ? new SpawnError(errno, "spawn", this.command) : e;
    }

    if (init.timeout !== undefined) {
      this.#cancelTimeout = unrefTimeout(() => {
        this.#cancelTimeout = undefined;
        this.#timedOut = true;
        this.#stop();
      }, init.timeout);
    }
    if (init.signal) {
      this.#signal = init.signal;
      this.#onAbort = () => {
        this.#dropAbortListener();
        this.#aborted = true;
        this.#stop();
      };
      if (init.signal.aborted) this.#onAbort();
      else init.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** The command line, for messages. */
  get command(): string {
    return commandLine(this.#file, this.#args);
  }

  /** How the child ended; null until it has been reaped. */
  get exitStatus(): ExitStatus | null {
    return this.#exitStatus;
  }

  /** The child's stdin when it is a pipe ("pipe"), else null. */
  get stdin(): WritableStream<Uint8Array> | null {
    return (this.#stdin ??= this.#stdinWriter && writableFrom(this.#stdinWriter));
  }

  /** The child's stdout when it is a pipe, else null. */
  get stdout(): ReadableStream<Uint8Array> | null {
    return (this.#stdout ??= this.#stdoutReader && readableFrom(this.#stdoutReader));
  }

  /** The child's stderr when it is a pipe, else null. */
  get stderr(): ReadableStream<Uint8Array> | null {
    return (this.#stderr ??= this.#stderrReader && readableFrom(this.#stderrReader));
  }

  /**
   * Every fd of the child by number: stdin, stdout, stderr, then for each
   * `"pipe"` of `stdio[3+]` its socketpair (read and written; closing the
   * writable ends the child's input), null for the others.
   */
  get stdio(): readonly [WritableStream<Uint8Array> | null, ReadableStream<Uint8Array> | null, ReadableStream<Uint8Array> | null, ...(ExtraPipe | null)[]] {
    return [this.stdin, this.stdout, this.stderr, ...(this.#extra?.list() ?? [])];
  }

  /**
   * Send a signal through the pidfd, which can never reach another process
   * that reused the pid. True when it was sent; false when the child has
   * already been reaped (or, for a group, the group is empty). Signal 0
   * (`kill(0)`) sends nothing: it says whether the child is still there.
   * Throws when the signal could not be sent for another reason (EPERM: the
   * child changed its user; `code`, `errno` and `syscall` as Node's errors).
   * `{ group: true }` signals the child's process group, `{ tree: true }`
   * the child and all its descendants.
   */
  kill(signal: Signal | "0" = "SIGTERM", options: KillOptions = {}): boolean {
    const n = signal === 0 || signal === "0" ? 0 : signalNumber(signal);
    if (options.group && this.#pgid === undefined) {
      throw new TypeError("kill({ group: true }): the child has no process group of its own; spawn it with processGroup or setsid");
    }
    const r = this.#send(n, options);
    if (r >= 0) return r === 1;
    const what = `kill(${n === 0 ? 0 : signalName(n)}${options.tree ? ", { tree: true }" : options.group ? ", { group: true }" : ""})`;
    const code = errnoCode(-r);
    throw Object.assign(new Error(`${what}: ${code}: ${errnoMessage(-r)} (nothing was signalled): ${this.command}`), {
      code,
      errno: -r,
      syscall: "kill",
    });
  }

  /** 1: sent; 0: the child (or its group) is gone; -errno: not sent. */
  #send(n: number, options: KillOptions): number {
    // Reaped: the pid, and once its group is empty the group id, may name
    // someone else now.
    if (this.#exitStatus) return 0;
    let r: number;
    if (options.group) {
      r = this.#native.asp_killpg(this.#pgid!, n);
      // A leader that has not run setsid/setpgid yet has no group: the
      // signal goes to it alone (held until its exec, as every signal is),
      // and it can have no descendants before that.
      if (r === -ESRCH && this.#ownGroup) r = this.#native.asp_kill(this.#pidfd, this.pid, n);
    } else if (options.tree && n !== 0) { // a probe stops no tree
      r = this.#native.asp_kill_tree(this.#pidfd, this.pid, n, cgroupArg(this.#cgroup));
      if (r >= 0) return r;
    } else r = this.#native.asp_kill(this.#pidfd, this.pid, n);
    return r === 0 ? 1 : r === -ESRCH ? 0 : r;
  }

  /**
   * All of stdout as bytes, once the child exited (stdout must be a pipe
   * nobody read). Rejects with ExitError when the child failed (unless
   * `reject: false`) or wrote more than `maxBuffer`, and with SpawnError
   * when it never ran.
   */
  async bytes(): Promise<Uint8Array> {
    // Awaited here, so that a SpawnError's async stack reaches the caller.
    return (await this.#collect("bytes", false)) as Uint8Array;
  }

  /** All of stdout as UTF-8 text, once the child exited; rejects as bytes() does. */
  async text(): Promise<string> {
    return (await this.#collect("text", true)) as string;
  }

  /** stdout parsed as JSON, once the child exited; rejects as bytes() does. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await (this.#collect("json", true) as Promise<string>)) as T;
  }

  /**
   * stdout line by line ("\n" or "\r\n"; a last line without one counts),
   * as the child writes them. When the child failed, the iteration throws
   * ExitError at its end (unless `reject: false`); stopping early is no
   * failure (the child's stdout is closed: it gets EPIPE or SIGPIPE).
   */
  lines(): AsyncGenerator<string, void, undefined> {
    return this.#lines(this.#stdoutFor("lines"));
  }

  async *#lines(reader: FdReader): AsyncGenerator<string, void, undefined> {
    const limit = this.#maxBuffer === undefined ? undefined : this.#limit();
    yield* readLines(reader, limit);
    await this.#judge("", limit?.exceeded ?? false);
  }

  async #collect(what: string, text: boolean): Promise<string | Uint8Array> {
    const out = this.#limit();
    await this.#stdoutFor(what).drain(out.add);
    const stdout = text ? new TextDecoder().decode(out.bytes()) : out.bytes();
    await this.#judge(stdout, out.exceeded);
    return stdout;
  }

  /** maxBuffer for the helpers: past it, the child is stopped as a timeout stops it. */
  #limit(): Collector {
    return new Collector(this.#maxBuffer ?? 64 * MiB, () => this.#stop());
  }

  /** After the helpers' reading: wait for the exit, throw as run() would. */
  async #judge(stdout: string | Uint8Array, exceeded: boolean): Promise<void> {
    let status: ExitStatus;
    try {
      status = await this.exited;
    } catch (e) {
      throw atCallSite(e); // SpawnError: the program never ran
    }
    const failed = status.exitCode !== 0 || exceeded || this.#timedOut || this.#aborted;
    if (!failed || !this.#reject) return;
    const text = typeof stdout === "string";
    throw new ExitError({
      command: this.command,
      exitCode: status.exitCode,
      signal: status.signal,
      stdout,
      stderr: await this.#unreadStderr(text),
      durationMs: performance.now() - this.#t0,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      timeoutMs: this.#timeout,
      maxBufferExceeded: exceeded,
      maxBuffer: exceeded ? this.#maxBuffer ?? 64 * MiB : undefined,
      maxBufferStream: exceeded ? "stdout" : undefined,
    });
  }

  /**
   * For an ExitError: stderr when it is a pipe nobody has read — what it
   * holds now (the child has exited; a descendant may keep it open).
   */
  async #unreadStderr(text: boolean): Promise<string | Uint8Array> {
    const r = this.#stderrReader;
    const empty = text ? "" : new Uint8Array(0);
    if (!r || r.touched || r.closed || this.#stderr?.locked) return empty;
    r.finish();
    const bytes = await readBytes(r);
    return text ? new TextDecoder().decode(bytes) : bytes;
  }

  #stdoutFor(what: string): FdReader {
    const r = this.#stdoutReader;
    if (!r) throw new TypeError(`${what}(): stdout is not a pipe (stdout: "pipe" is the default of spawn)`);
    // Closed with nothing unread (the child exited without output): it
    // reads as empty, as it would have before the exit.
    if (this.#stdout?.locked || r.touched || (r.closed && !r.endedUnread)) {
      throw new TypeError(`${what}(): stdout was already read`);
    }
    return r;
  }

  /** Keep the process alive while this child runs (the default). */
  ref(): void {
    this.#setRef(true);
  }

  /** Let the process exit even though this child still runs. */
  unref(): void {
    this.#setRef(false);
  }

  #setRef(ref: boolean): void {
    if (this.#statusWatch) this.#channel.setRef(this.#statusWatch, ref);
    if (this.#exitWatch) this.#channel.setRef(this.#exitWatch, ref);
    const t = this.#pollTimer as unknown as { ref?(): void; unref?(): void } | undefined;
    if (t) ref ? t.ref?.() : t.unref?.();
    this.#stdinWriter?.setRef(ref);
    this.#stdoutReader?.setRef(ref);
    this.#stderrReader?.setRef(ref);
    this.#extra?.setRef(ref);
  }

  /** SIGTERM (or killSignal), SIGKILL after forceKillAfter ms, and wait for the exit. */
  async [asyncDispose](): Promise<void> {
    if (!this.#exitStatus) this.#terminate(this.#killSignal);
    await this.exited.catch(noop);
  }

  #internals: Internals | undefined;

  /** @internal A live view: its flags read the current state. */
  get [internals](): Internals {
    return (this.#internals ??= this.#internalsView());
  }

  #internalsView(): Internals {
    const self = this; // a getter's `this` is the view
    return {
      get stdin() {
        return self.#stdinWriter;
      },
      get stdout() {
        return self.#stdoutReader;
      },
      get stderr() {
        return self.#stderrReader;
      },
      get timedOut() {
        return self.#timedOut;
      },
      get aborted() {
        return self.#aborted;
      },
      get terminated() {
        return self.#terminated;
      },
      timeout: this.#timeout,
      terminate: (s?: number) => {
        if (this.#exitStatus) this.#finishReading();
        else this.#terminate(s ?? this.#killSignal);
      },
      readStdout: (what: string) => readBytes(this.#stdoutFor(what)),
      abortTree: () => {
        // Also after an abort of its own, which spared the descendants.
        if (this.#tree) return;
        this.#tree = true;
        this.#aborted = true;
        this.#stop();
      },
    };
  }


  /**
   * A timeout or an abort: terminate the child; once it has exited, stop
   * reading its pipes — a descendant that inherited them could keep them
   * open for as long as it lives.
   */
  #stop(): void {
    if (!this.#exitStatus) this.#terminate(this.#killSignal);
    else this.#finishReading();
  }

  /** killSignal for timeout, abort, dispose and maxBuffer: to the whole
   * group when the child leads one (and to every descendant when the tree is
   * asked for), then SIGKILL if it outlives forceKillAfter. */
  #terminate(signal: number): void {
    if (this.#exitStatus || !this.#signalAll(signal)) return;
    this.#terminated = true;
    if (Number.isFinite(this.#forceKillAfter) && signal !== SIGKILL) {
      this.#cancelForceKill.push(unrefTimeout(() => {
        if (!this.#exitStatus) this.#signalAll(SIGKILL);
      }, this.#forceKillAfter));
    }
  }

  /** Never throws: it runs from timers and abort listeners. */
  #signalAll(signal: number): boolean {
    // Never a group the child only joined: that one is somebody else's.
    const group = { group: this.#ownGroup };
    if (!this.#tree) return this.#send(signal, group) === 1;
    let r = this.#send(signal, { tree: true });
    if (r < 0) r = this.#send(signal, {}); // no /proc to walk: the child at least
    // Its group also holds descendants whose parent already died.
    if (this.#ownGroup) r = Math.max(this.#send(signal, group), r);
    return r === 1;
  }

  /** Stop reading: what the pipes hold now is still read, then they end. */
  #finishReading(): void {
    this.#stdoutReader?.finish();
    this.#stderrReader?.finish();
    this.#release();
  }

  /**
   * After the exit, a timeout or abort still matters while a pipe is being
   * read (see #stop); once none is, drop the timer and the listener (the
   * signal may live much longer than this child).
   */
  #release(): void {
    const reading = (r: FdReader | null) => r !== null && !r.closed && r.touched;
    if (reading(this.#stdoutReader) || reading(this.#stderrReader)) return;
    this.#cancelTimeout?.();
    this.#cancelTimeout = undefined;
    this.#dropAbortListener();
  }

  #dropAbortListener(): void {
    if (this.#onAbort) this.#signal!.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
    this.#signal = undefined;
  }

  /** The child could not be watched (epoll_ctl failed): nobody could ever
   * report on it, so it is killed, its fds closed, and the reactor reaps it. */
  #abandon(): void {
    this.#native.asp_kill(this.#pidfd, this.pid, SIGKILL);
    if (this.#statusWatch) this.#channel.unwatch(this.#statusWatch);
    this.#native.asp_close(this.#statusFd);
    this.#stdinWriter?.close();
    this.#stdoutReader?.close();
    this.#stderrReader?.close();
    this.#extra?.close();
    if (this.#pidfd >= 0) this.#native.asp_orphan(this.#pidfd);
  }

  #onStatus(): void {
    if (this.#statusFd < 0) return;
    const r = this.#native.asp_status_read(this.#statusFd, recordBytes);
    if (r === -EAGAIN) {
      this.#channel.rearm(this.#statusWatch, Event.IN);
      return;
    }
    if (r === 1) {
      this.#spawnError = new SpawnError(
        record[StatusRecord.err / 4]!,
        stepName(this.#steps, record[StatusRecord.step / 4]!, record[StatusRecord.detail / 4]!),
        this.command,
        this.#file,
        { cwd: this.#cwd, cgroup: this.#cgroup, opened: this.#paths[record[StatusRecord.step / 4]!] },
      );
    }
    // The child exec'd or died: its copies of our fds are gone, and closing
    // the fd is enough to leave epoll.
    this.#channel.forget(this.#statusWatch);
    this.#statusWatch = 0;
    this.#native.asp_close(this.#statusFd);
    this.#statusFd = -1;
    this.#settleSpawned(this.#spawnError);
  }

  #onExit(): void {
    const r = this.#native.asp_wait(this.#pidfd, this.pid, waitResult);
    if (r === -EAGAIN) {
      if (this.#exitWatch) this.#channel.rearm(this.#exitWatch, Event.IN);
      return;
    }
    // The child is gone, so its status pipe holds a record or EOF now.
    this.#onStatus();
    if (this.#exitWatch) this.#channel.forget(this.#exitWatch);
    this.#exitWatch = 0;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    if (this.#pidfd >= 0) this.#native.asp_close(this.#pidfd);
    this.#pidfd = -1;
    for (const cancel of this.#cancelForceKill) cancel();
    this.#cancelForceKill = [];
    // ECHILD: the status is lost (the library resets an inherited SIGCHLD
    // SIG_IGN; this is someone's waitpid(-1), or SIG_IGN set later): gone,
    // so never signalled again, and `exited` rejects saying so.
    const lost = r < 0 ? lostStatus(-r, this.command) : undefined;
    if (lost) this.#exitStatus = { exitCode: null, signal: null, success: false, rusage: { userMs: 0, systemMs: 0 } };
    else this.#exitStatus = decodeExit(waitView);
    if (this.#spawnError) {
      // The program never ran: nobody will write to or read from its pipes.
      this.#stdinWriter?.close();
      this.#stdoutReader?.close();
      this.#stderrReader?.close();
      this.#extra?.close();
    } else {
      // Pipes nobody is reading that hold nothing more (EOF): close them now
      // rather than at garbage collection (spawn() pipes stdout by default).
      // A stream over one simply ends; data still in a pipe is kept.
      this.#stdoutReader?.closeIfEmpty();
      this.#stderrReader?.closeIfEmpty();
      this.#extra?.closeIfEmpty();
      // Nobody can write to a child that is gone.
      if (this.#stdin === undefined) this.#stdinWriter?.close();
    }
    // A child we terminated is gone: what its pipes hold now is all we
    // read. Otherwise a later timeout or abort still ends the reading.
    if (this.#terminated || this.#timedOut || this.#aborted) this.#finishReading();
    else {
      this.#stdoutReader?.onClose(() => this.#release());
      this.#stderrReader?.onClose(() => this.#release());
      this.#release();
    }
    const end = this.#spawnError ?? lost ?? this.#exitStatus;
    if (this.#verbose) logEnd(this.pid, end, performance.now() - this.#t0);
    this.#settleExited(end);
  }
}

function lostStatus(errno: number, command: string): Error {
  const code = errnoCode(errno);
  const why = "the child was reaped elsewhere (waitpid(-1), or SIGCHLD set to SIG_IGN after aspawn started)";
  return Object.assign(new Error(`Exit status lost (${code}): ${why}: ${command}`), { code });
}
