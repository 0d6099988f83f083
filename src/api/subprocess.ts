/**
 * A running child, over the Child its backend started (child.ts): the
 * events, timeout, abort, kills and streams every backend shares.
 */
import { type Child, childExited, type ChildEvents, childSpawned, type PipeReader, type PipeWriter } from "./child.ts";
import { errnoCode, errnoMessage, ESRCH } from "./errno.ts";
import { atCallSite, commandLine, ExitError, parseOutput, SpawnError } from "./errors.ts";
import type { ExitStatus } from "./exit-status.ts";
import { Collector, MiB, readBytes, readLines } from "./output.ts";
import { Pumps } from "./pump.ts";
import type { Pty } from "./pty.ts";
import type { PumpSpec } from "./stream-stdio.ts";
import { type Signal, SIGCONT, SIGKILL, signalName, signalNumber, stops } from "./signals.ts";
import { readableFrom, writableFrom } from "./streams.ts";
import type { ExtraPipe } from "./extra-pipes.ts";
import { type CancelTimeout, unrefTimeout } from "./timers.ts";
import { logEnd, logStart } from "./verbose.ts";
import { ownOptions } from "./own-options.ts";
import { describe } from "./check.ts";
import { utf8Text } from "./text.ts";

/** How spawn() made a child: what its Subprocess needs besides the Child (spawn-cache.ts keeps one whole). */
export interface SubprocessInit {
  file: string;
  args: readonly string[];
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  killSignal: number;
  forceKillAfter: number;
  /** The child leads a process group of its own (setsid / processGroup: true), or joined this one. */
  ownGroup: boolean;
  joinedGroup?: number | undefined;
  /** The helpers (bytes, text, json, lines) reject when the child fails. */
  reject: boolean;
  /** Log the start and the end on stderr. */
  verbose: boolean;
  /** Most bytes the helpers read; undefined: 64 MiB for bytes/text/json, no limit for lines. */
  maxBuffer: number | undefined;
  /** The command line of file and args, when made already (a kept call's, spawn-cache.ts). */
  command?: string;
  /** Pipes fed from or drained into the user's streams (pump.ts): hidden from the public getters. */
  pumps?: readonly PumpSpec[];
  /** How many entries the stdio option has past fd 2: each is in `stdio`, null unless a pipe. */
  extraFds?: number;
}

const KILL_KEYS = ["group", "tree"] as const;

/** kill()'s options, checked: a misspelt key would signal only the child, without a word. */
function killOptions(options: unknown): KillOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`kill(): options must be an object ({ group?: boolean, tree?: boolean }), got ${describe(options)}`);
  }
  const own = ownOptions(options as KillOptions);
  for (const k of Object.keys(own)) {
    if (!(KILL_KEYS as readonly string[]).includes(k)) throw new TypeError(`kill(): unknown option "${k}" (the options are group and tree)`);
  }
  for (const k of KILL_KEYS) {
    const v = own[k];
    if (v !== undefined && typeof v !== "boolean") throw new TypeError(`kill(): ${k} must be a boolean, got ${describe(v)}`);
  }
  return own;
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
  readonly stdin: PipeWriter | null;
  readonly stdout: PipeReader | null;
  readonly stderr: PipeReader | null;
  /** stdio[3] on, as `stdio` has them (without making web streams of fds 0-2). */
  readonly extra: readonly (ExtraPipe | null)[];
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** Reaped (or reaped elsewhere, its status lost): nothing of it to stop. */
  readonly gone: boolean;
  /** The `signal`'s reason once it aborted the child (an ExitError's cause). */
  readonly abortReason: unknown;
  /** stderr when it is a pipe nobody read: what it holds now (after the exit); undefined when it is not. */
  unreadStderr(): Promise<string | undefined>;
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
  /**
   * All of stdout as bytes() reads it, up to maxBuffer (past it the child
   * is stopped), but never judging the exit: pipelines judge their own.
   */
  readStdout(what: string): Promise<Collector>;
  /**
   * After the exit, its stdout left for whoever reads it: reject with the
   * ExitError its helpers would (none with `reject: false`), or the SpawnError.
   */
  judgeExit(): Promise<void>;
}

const noop = () => {};

/** Subprocess's private state, for InternalsView (set by Subprocess's static block). */
let privateOf: {
  stdin(s: Subprocess): PipeWriter | null;
  stdout(s: Subprocess): PipeReader | null;
  stderr(s: Subprocess): PipeReader | null;
  extra(s: Subprocess): readonly (ExtraPipe | null)[];
  flags(s: Subprocess): number;
  terminate(s: Subprocess, signal?: number): void;
  readStdout(s: Subprocess, what: string): Promise<Collector>;
  judgeExit(s: Subprocess): Promise<void>;
  abortTree(s: Subprocess): void;
  abortReason(s: Subprocess): unknown;
  unreadStderr(s: Subprocess): Promise<string | undefined>;
  gone(s: Subprocess): boolean;
};

// Subprocess flags: one field for the booleans (a live child's size matters: see #flags).
const TIMED_OUT = 1, ABORTED = 2, TERMINATED = 4, TREE = 8, REJECT = 16, VERBOSE = 32, OWN_GROUP = 64, PUMPING = 128, LINES_TAKEN = 256;
// WEAK_ABORT: the abort listener holds this Subprocess weakly (#holdAbortWeakly).
const WEAK_ABORT = 512;
// UNREF: unref() was called (and not undone by ref()).
const UNREF = 1024;
// SIGNAL_ABORTED: the `signal` option's abort stopped it (its reason is kept: #signal stays).
const SIGNAL_ABORTED = 2048;
// STATUS_LOST: reaped elsewhere (ECHILD); #exitStatus then marks it gone but is no status of its.
const STATUS_LOST = 4096;
const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");

export class Subprocess implements AsyncDisposable, ChildEvents {
  /** The child's process id. */
  readonly pid: number;

  // A server can hold thousands of these: the promises are made when first
  // asked for, the booleans share one field, and the pipe ends are the
  // Child's (measured by bench's "live" scenario: JS heap per live child).
  readonly #child: Child;
  readonly #file: string;
  readonly #args: readonly string[];
  /** The command line, once made (a kept call's comes made). */
  #command: string | undefined;
  readonly #killSignal: number;
  readonly #forceKillAfter: number;
  readonly #extraFds: number;
  readonly #timeout: number | undefined;
  readonly #pgid: number | undefined;
  /** TIMED_OUT, ABORTED, TERMINATED (we sent killSignal), TREE (terminate the whole tree), REJECT, VERBOSE, OWN_GROUP, PUMPING (sinks still taking the output). */
  #flags: number;
  #exitStatus: ExitStatus | null = null;
  /** undefined until the exec's outcome is known, then null (it ran) or why it did not. */
  #spawnError: SpawnError | null | undefined;
  #spawned: Promise<void> | undefined;
  #settleSpawned: ((e: SpawnError | null) => void) | undefined;
  /** What `exited` settles with, once known. */
  #end: ExitStatus | Error | undefined;
  #exited: Promise<ExitStatus> | undefined;
  #settleExited: ((end: ExitStatus | Error) => void) | undefined;
  /** SIGKILL after forceKillAfter, pending while the child runs. */
  #cancelForceKill: (() => void) | undefined;
  /** The timeout, pending until the child exited and its pipes are read. */
  #cancelTimeout: CancelTimeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  readonly #maxBuffer: number | undefined;
  readonly #t0 = performance.now();
  #stdin: WritableStream<Uint8Array> | null | undefined;
  #stdout: ReadableStream<Uint8Array> | null | undefined;
  #stderr: ReadableStream<Uint8Array> | null | undefined;
  #pumps: Pumps | undefined;
  /** Bit n: child fd n is pumped by the library, not the user's to read or write. */
  #pumped = 0;

  get #stdinWriter(): PipeWriter | null {
    return this.#child.stdin;
  }

  get #stdoutReader(): PipeReader | null {
    return this.#child.stdout;
  }

  get #stderrReader(): PipeReader | null {
    return this.#child.stderr;
  }

  constructor(child: Child, init: SubprocessInit) {
    this.#child = child;
    this.pid = child.pid;
    this.#file = init.file;
    this.#args = init.args;
    this.#command = init.command;
    this.#killSignal = init.killSignal;
    this.#forceKillAfter = init.forceKillAfter;
    this.#extraFds = init.extraFds ?? 0;
    this.#timeout = init.timeout;
    this.#pgid = init.ownGroup ? child.pid : init.joinedGroup;
    this.#flags = (init.ownGroup ? OWN_GROUP : 0) | (init.reject ? REJECT : 0) | (init.verbose ? VERBOSE : 0);
    this.#maxBuffer = init.maxBuffer;
    if (init.verbose) logStart(child.pid, this.command);

    try {
      child.watch(this);
    } catch (e) {
      const errno = (e as { errno?: unknown }).errno;
      throw typeof errno === "number" ? new SpawnError(errno, "spawn", this.command) : e;
    }

    if (init.timeout !== undefined) {
      this.#cancelTimeout = unrefTimeout(() => {
        this.#cancelTimeout = undefined;
        this.#flags |= TIMED_OUT;
        this.#stop();
      }, init.timeout);
    }
    if (init.signal) {
      this.#signal = init.signal;
      this.#onAbort = () => this.#abort();
      if (init.signal.aborted) this.#onAbort();
      else init.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (init.pumps?.length) {
      for (const p of init.pumps) this.#pumped |= 1 << p.fd;
      const ends = [this.#stdinWriter, this.#stdoutReader, this.#stderrReader] as const;
      this.#pumps = new Pumps(init.pumps, ends, this.command, () => this[internals].terminate());
      this.#flags |= PUMPING;
    }
  }

  /** Resolves when the child reached exec; rejects with SpawnError if it failed before. */
  get spawned(): Promise<void> {
    if (this.#spawned) return this.#spawned;
    const e = this.#spawnError;
    const p = e === undefined
      ? new Promise<void>((resolve, reject) => {
        this.#settleSpawned = (e) => (e ? reject(e) : resolve());
        this.#child.reportSpawn?.();
      })
      : e ? Promise.reject(e) : Promise.resolve();
    // Nobody has to listen: an unobserved SpawnError must not crash the
    // process as an unhandled rejection. Awaiting it still throws.
    p.catch(noop);
    return (this.#spawned = p);
  }

  /**
   * Resolves with how the child ended; rejects with SpawnError if the
   * program never ran. With streams of yours as stdio (see pump.ts), it
   * settles once the sinks have all the output, and rejects with a
   * StreamError when one of your streams failed.
   */
  get exited(): Promise<ExitStatus> {
    if (this.#exited) return this.#exited;
    const end = this.#end;
    const p = end === undefined
      ? new Promise<ExitStatus>((resolve, reject) => {
        this.#settleExited = (s) => (s instanceof Error ? reject(s) : resolve(s));
      })
      : end instanceof Error ? Promise.reject(end) : Promise.resolve(end);
    p.catch(noop);
    return (this.#exited = p);
  }

  /** The command line, for messages. */
  get command(): string {
    return (this.#command ??= commandLine(this.#file, this.#args));
  }

  /** How the child ended; null until it has been reaped. */
  get exitStatus(): ExitStatus | null {
    // A program that never ran has no exit status (`exited` rejects with its
    // SpawnError), nor one reaped elsewhere (the stand-in below is internal).
    return this.#spawnError || this.#flags & STATUS_LOST ? null : this.#exitStatus;
  }

  /** The child's stdin when it is a pipe ("pipe"), else null (also when the library feeds it from `input` or a source). */
  get stdin(): WritableStream<Uint8Array> | null {
    if (this.#pumped & 1) return null;
    return (this.#stdin ??= this.#stdinWriter && writableFrom(this.#stdinWriter));
  }

  /** The child's stdout when it is a pipe, else null (also when it goes to a sink of yours). */
  get stdout(): ReadableStream<Uint8Array> | null {
    if (this.#pumped & 2) return null;
    return (this.#stdout ??= this.#stdoutReader && readableFrom(this.#stdoutReader));
  }

  /** The child's stderr when it is a pipe, else null. */
  get stderr(): ReadableStream<Uint8Array> | null {
    if (this.#pumped & 4) return null;
    return (this.#stderr ??= this.#stderrReader && readableFrom(this.#stderrReader));
  }

  /** The child's terminal when it was spawned with `pty` (its window size), else null. */
  get pty(): Pty | null {
    return this.#child.pty ?? null;
  }

  /**
   * Every fd of the child by number: stdin, stdout, stderr, then for each
   * `"pipe"` of `stdio[3+]` its socketpair (read and written; closing the
   * writable ends the child's input), null for the others.
   */
  get stdio(): readonly [WritableStream<Uint8Array> | null, ReadableStream<Uint8Array> | null, ReadableStream<Uint8Array> | null, ...(ExtraPipe | null)[]] {
    const extra = this.#child.extra?.list() ?? [];
    while (extra.length < this.#extraFds) extra.push(null);
    return [this.stdin, this.stdout, this.stderr, ...extra];
  }

  /**
   * Send a signal through the pidfd, which can never reach another process
   * that reused the pid (the portable backend signals the pid, which the
   * runtime holds until it reports the exit). True when it was sent; false when the child has
   * already been reaped (or, for a group, the group is empty). Signal 0
   * (`kill(0)`) sends nothing: it says whether the child is still there.
   * Throws when the signal could not be sent for another reason (EPERM: the
   * child changed its user; `code`, `errno` and `syscall` as Node's errors).
   * `{ group: true }` signals the child's process group, `{ tree: true }`
   * the child and all its descendants (stopped first, so that none escapes by
   * forking; with a signal other than SIGKILL, which acts only once they
   * continue, a multithreaded process may still fork in that moment).
   */
  kill(signal: Signal | "0" = "SIGTERM", options: KillOptions = {}): boolean {
    const n = signal === 0 || signal === "0" ? 0 : signalNumber(signal);
    options = killOptions(options);
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
      r = this.#child.killGroup(this.#pgid!, n);
      // A leader that has not run setsid/setpgid yet has no group: the
      // signal goes to it alone (held until its exec, as every signal is),
      // and it can have no descendants before that.
      if (r === -ESRCH && this.#flags & OWN_GROUP) r = this.#child.kill(n);
    } else if (options.tree && n !== 0) { // a probe stops no tree
      r = this.#child.killTree(n);
      if (r >= 0) return r;
    } else r = this.#child.kill(n);
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
    return parseOutput<T>(await (this.#collect("json", true) as Promise<string>), this.command);
  }

  /**
   * stdout line by line ("\n" or "\r\n"; a last line without one counts),
   * as the child writes them. When the child failed, the iteration throws
   * ExitError at its end (unless `reject: false`); stopping early is no
   * failure (the child's stdout is closed: it gets EPIPE or SIGPIPE).
   */
  lines(): AsyncGenerator<string, void, undefined> {
    const reader = this.#stdoutFor("lines");
    // Taken now, though its reading starts with the first next(): a second
    // lines() before that would get the same pipe, and read nothing.
    this.#flags |= LINES_TAKEN;
    return this.#lines(reader);
  }

  async *#lines(reader: PipeReader): AsyncGenerator<string, void, undefined> {
    const limit = this.#maxBuffer === undefined ? undefined : this.#limit();
    yield* readLines(reader, limit);
    await this.#judge("", limit?.exceeded ?? false);
  }

  async #collect(what: string, text: boolean): Promise<string | Uint8Array> {
    const out = await this.#readStdout(what);
    const stdout = text ? utf8Text(out.bytes()) : out.bytes();
    await this.#judge(stdout, out.exceeded);
    return stdout;
  }

  /** All of stdout up to maxBuffer, before any judging (the helpers and pipelines share it). */
  async #readStdout(what: string): Promise<Collector> {
    const out = this.#limit();
    await this.#stdoutFor(what).drain(out.add);
    return out;
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
    const failed = status.exitCode !== 0 || exceeded || (this.#flags & (TIMED_OUT | ABORTED)) !== 0;
    if (!failed || !(this.#flags & REJECT)) return;
    const text = typeof stdout === "string";
    throw new ExitError({
      command: this.command,
      exitCode: status.exitCode,
      signal: status.signal,
      stdout,
      stderr: await this.#unreadStderr(text),
      durationMs: performance.now() - this.#t0,
      timedOut: (this.#flags & TIMED_OUT) !== 0,
      aborted: (this.#flags & ABORTED) !== 0,
      abortReason: this[internals].abortReason,
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
    if (!r || r.touched || (r.closed && !r.prefetched) || this.#stderr?.locked) return empty;
    r.finish();
    const bytes = await readBytes(r);
    return text ? utf8Text(bytes) : bytes;
  }

  #stdoutFor(what: string): PipeReader {
    const r = this.#pumped & 2 ? null : this.#stdoutReader;
    if (!r) throw new TypeError(`${what}(): stdout is not a pipe (stdout: "pipe" is the default of spawn)`);
    // Closed at the exit (releaseAtExit), or because the program never ran
    // (then it reads as empty, and the judging throws the SpawnError): it
    // reads as it would have before.
    if (this.#flags & LINES_TAKEN || this.#stdout?.locked || r.touched || (r.closed && !r.endedUnread && !r.prefetched && !this.#spawnError)) {
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
    this.#flags = ref ? this.#flags & ~UNREF : this.#flags | UNREF;
    // After the exit, while sinks take the output, the timeout is what keeps the process alive (#onExit).
    if (this.#exitStatus && this.#flags & PUMPING) ref ? this.#cancelTimeout?.ref() : this.#cancelTimeout?.unref();
    this.#child.setRef(ref);
    this.#stdinWriter?.setRef(ref);
    this.#stdoutReader?.setRef(ref);
    this.#stderrReader?.setRef(ref);
    this.#child.extra?.setRef(ref);
  }

  /** SIGTERM (or killSignal), SIGKILL after forceKillAfter ms, and wait for the exit. */
  async [asyncDispose](): Promise<void> {
    this.#stop();
    await this.exited.catch(noop);
  }

  #internals: Internals | undefined;

  /** @internal A live view: its flags read the current state. */
  get [internals](): Internals {
    return (this.#internals ??= new InternalsView(this, this.#timeout));
  }

  static {
    privateOf = {
      stdin: (s) => (s.#pumped & 1 ? null : s.#stdinWriter),
      stdout: (s) => (s.#pumped & 2 ? null : s.#stdoutReader),
      stderr: (s) => (s.#pumped & 4 ? null : s.#stderrReader),
      extra: (s) => s.#child.extra?.list() ?? [],
      flags: (s) => s.#flags,
      terminate: (s, signal) => {
        if (s.#exitStatus) s.#finishReading();
        else s.#terminate(signal ?? s.#killSignal);
      },
      readStdout: (s, what) => s.#readStdout(what),
      judgeExit: (s) => s.#judge("", false),
      unreadStderr: async (s) => {
        const r = s.#stderrReader;
        if (!r || r.touched || (r.closed && !r.prefetched) || s.#stderr?.locked) return undefined;
        return (await s.#unreadStderr(true)) as string;
      },
      abortReason: (s) => (s.#flags & SIGNAL_ABORTED ? s.#signal?.reason : undefined),
      gone: (s) => s.#exitStatus !== null,
      abortTree: (s) => {
        // Also after an abort of its own, which spared the descendants.
        if (s.#flags & TREE) return;
        s.#flags |= TREE | ABORTED;
        s.#stop();
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
    // A stopped child (SIGSTOP, ^Z) acts on no signal but SIGKILL until it
    // is continued: it would sit out forceKillAfter. As systemd does after
    // its KillSignal (a tree kill continues each process itself); never
    // after a signal that stops, which SIGCONT would undo.
    if (signal !== SIGKILL && signal !== SIGCONT && !stops(signal) && !(this.#flags & TREE)) this.#signalAll(SIGCONT);
    this.#flags |= TERMINATED;
    if (Number.isFinite(this.#forceKillAfter) && signal !== SIGKILL) {
      // The first deadline stands: a second terminate() does not move it.
      this.#cancelForceKill ??= unrefTimeout(() => {
        this.#cancelForceKill = undefined;
        if (!this.#exitStatus) this.#signalAll(SIGKILL);
      }, this.#forceKillAfter);
    }
  }

  /** Never throws: it runs from timers and abort listeners. */
  #signalAll(signal: number): boolean {
    // Never a group the child only joined: that one is somebody else's.
    const group = { group: (this.#flags & OWN_GROUP) !== 0 };
    if (!(this.#flags & TREE)) return this.#send(signal, group) === 1;
    let r = this.#send(signal, { tree: true });
    if (r < 0) r = this.#send(signal, {}); // no /proc to walk: the child at least
    // Its group also holds descendants whose parent already died.
    if (this.#flags & OWN_GROUP) r = Math.max(this.#send(signal, group), r);
    return r === 1;
  }

  /** Stop reading: what the pipes hold now is still read, then they end; the user's sinks get forceKillAfter to take it. */
  #finishReading(): void {
    this.#stdoutReader?.finish();
    this.#stderrReader?.finish();
    this.#pumps?.giveUpAfter(this.#forceKillAfter);
    this.#release();
  }

  /**
   * After the exit, a timeout or abort still matters while a pipe is open
   * (a descendant holds it, whether or not anyone reads it yet) or a sink
   * still takes the output (see #stop); once none is, drop the timer and
   * the listener (the signal may live much longer than this child). Only
   * pipes being read counted once: a read begun after the exit then waited
   * for the descendant, past the deadline, and resolved as if none had passed.
   */
  #release(): void {
    const open = (r: PipeReader | null) => r !== null && !r.closed;
    if (open(this.#stdoutReader) || open(this.#stderrReader) || this.#flags & PUMPING) return this.#holdAbortWeakly();
    this.#cancelTimeout?.();
    this.#cancelTimeout = undefined;
    this.#dropAbortListener();
  }

  #abort(): void {
    this.#flags |= ABORTED | SIGNAL_ABORTED; // first: the signal is kept for its reason (#dropAbortListener)
    this.#dropAbortListener();
    this.#stop();
  }

  /**
   * After the exit, the signal's listener holds this Subprocess weakly: a
   * pipe a descendant holds open, that nobody reads, would otherwise keep
   * it, and the pipe's fd, for as long as the signal lives. Collected, its
   * pipes are closed (pipe-end.ts), and there is nothing left to end.
   */
  #holdAbortWeakly(): void {
    const signal = this.#signal;
    if (!signal || !this.#onAbort || this.#flags & WEAK_ABORT) return;
    this.#flags |= WEAK_ABORT;
    signal.removeEventListener("abort", this.#onAbort);
    const self = new WeakRef(this);
    this.#onAbort = () => {
      const s = self.deref();
      if (s) s.#abort();
    };
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  #dropAbortListener(): void {
    if (this.#onAbort) this.#signal!.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
    // Once it aborted the child, its reason is the ExitError's cause.
    if (!(this.#flags & SIGNAL_ABORTED)) this.#signal = undefined;
  }

  /** @internal The Child's report: the program runs, or never will. */
  [childSpawned](error?: SpawnError): void {
    this.#spawnError = error ?? null;
    this.#settleSpawned?.(this.#spawnError);
    this.#settleSpawned = undefined;
  }

  /** @internal The Child's report: how it ended. */
  [childExited](s: ExitStatus | Error): void {
    this.#cancelForceKill?.();
    this.#cancelForceKill = undefined;
    // The status is lost (native-child.ts: reaped elsewhere): gone, so
    // never signalled again, and `exited` rejects saying so.
    const lost = s instanceof Error ? s : undefined;
    if (lost) this.#flags |= STATUS_LOST;
    if (lost) this.#exitStatus = { exitCode: null, signal: null, success: false, rusage: { userMs: 0, systemMs: 0 } };
    else this.#exitStatus = s as ExitStatus;
    if (this.#spawnError) {
      // The program never ran: nobody will write to or read from its pipes.
      this.#stdinWriter?.close();
      this.#stdoutReader?.close();
      this.#stderrReader?.close();
      this.#child.extra?.close();
    } else {
      // Pipes nobody is reading that hold nothing more (EOF): close them now
      // rather than at garbage collection (spawn() pipes stdout by default).
      // A stream over one simply ends; data still in a pipe is kept.
      this.#stdoutReader?.releaseAtExit();
      this.#stderrReader?.releaseAtExit();
      this.#child.extra?.releaseAtExit();
      // Nobody can write to a child that is gone (Node destroys its stdin
      // too): a stream over it rejects writes with EPIPE from now on, and
      // the fd is not held until the stream is collected.
      this.#stdinWriter?.close();
    }
    // A child we terminated is gone: what its pipes hold now is all we
    // read. Otherwise a later timeout or abort still ends the reading.
    if (this.#flags & (TERMINATED | TIMED_OUT | ABORTED)) this.#finishReading();
    else {
      this.#stdoutReader?.onClose(() => this.#release());
      this.#stderrReader?.onClose(() => this.#release());
      this.#release();
    }
    const end = this.#spawnError ?? lost ?? this.#exitStatus;
    const settle = (end: ExitStatus | Error) => {
      if (this.#flags & VERBOSE) logEnd(this.pid, end, performance.now() - this.#t0);
      this.#end = end;
      this.#settleExited?.(end);
      this.#settleExited = undefined;
    };
    // With streams of the user's: once their sinks have all the output.
    if (this.#pumps) {
      // Nothing of the child's keeps the process alive now, and a sink of
      // the user's is no handle: the timeout must, or a stalled sink would
      // let the process exit with `exited` pending instead of giving it up.
      if (!(this.#flags & UNREF)) this.#cancelTimeout?.ref();
      void this.#pumps.exited().then((e) => {
        this.#flags &= ~PUMPING;
        this.#release();
        settle(e && !(end instanceof Error) ? e : end);
      });
    }
    else settle(end);
  }
}

/**
 * Subprocess[internals]: made for each child aspawn/child_process or run()
 * drives. A class, because an object literal of getters and closures cost
 * 7 us to make in a cold call (measured on Node), this 1.
 */
class InternalsView implements Internals {
  readonly #s: Subprocess;
  readonly timeout: number | undefined;

  constructor(s: Subprocess, timeout: number | undefined) {
    this.#s = s;
    this.timeout = timeout;
  }

  get stdin(): PipeWriter | null {
    return privateOf.stdin(this.#s);
  }

  get stdout(): PipeReader | null {
    return privateOf.stdout(this.#s);
  }

  get stderr(): PipeReader | null {
    return privateOf.stderr(this.#s);
  }

  get extra(): readonly (ExtraPipe | null)[] {
    return privateOf.extra(this.#s);
  }

  get timedOut(): boolean {
    return (privateOf.flags(this.#s) & TIMED_OUT) !== 0;
  }

  get gone(): boolean {
    return privateOf.gone(this.#s);
  }

  get aborted(): boolean {
    return (privateOf.flags(this.#s) & ABORTED) !== 0;
  }

  get abortReason(): unknown {
    return privateOf.abortReason(this.#s);
  }

  unreadStderr(): Promise<string | undefined> {
    return privateOf.unreadStderr(this.#s);
  }

  get terminated(): boolean {
    return (privateOf.flags(this.#s) & TERMINATED) !== 0;
  }

  terminate(signal?: number): void {
    privateOf.terminate(this.#s, signal);
  }

  readStdout(what: string): Promise<Collector> {
    return privateOf.readStdout(this.#s, what);
  }

  judgeExit(): Promise<void> {
    return privateOf.judgeExit(this.#s);
  }

  abortTree(): void {
    privateOf.abortTree(this.#s);
  }
}
