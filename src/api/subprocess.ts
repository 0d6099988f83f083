/**
 * A running child, over the Child its backend started (child.ts): the
 * events, timeout, abort, kills and streams every backend shares.
 */
import type { Child, PipeReader, PipeWriter } from "./child.ts";
import { ESRCH } from "./errno.ts";
import { commandLine, SpawnError } from "./errors.ts";
import type { ExitStatus } from "./exit-status.ts";
import { readBytes, readLines } from "./output.ts";
import { type Signal, SIGKILL, signalNumber } from "./signals.ts";
import { readableFrom, writableFrom } from "./streams.ts";
import { unrefTimeout } from "./timers.ts";

export interface SubprocessInit {
  child: Child;
  file: string;
  args: readonly string[];
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  killSignal: number;
  forceKillAfter: number;
  /** The child leads a process group of its own (setsid / processGroup: true), or joined this one. */
  ownGroup: boolean;
  joinedGroup?: number | undefined;
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
}

const noop = () => {};
const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for("nodejs.asyncDispose");

export class Subprocess implements AsyncDisposable {
  /** The child's process id. */
  readonly pid: number;
  /** Resolves when the child reached exec; rejects with SpawnError if it failed before. */
  readonly spawned: Promise<void>;
  /** Resolves with how the child ended; rejects with SpawnError if the program never ran. */
  readonly exited: Promise<ExitStatus>;

  readonly #child: Child;
  readonly #file: string;
  readonly #args: readonly string[];
  readonly #killSignal: number;
  readonly #forceKillAfter: number;
  readonly #timeout: number | undefined;
  readonly #pgid: number | undefined;
  readonly #ownGroup: boolean;
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
  readonly #stdinWriter: PipeWriter | null;
  readonly #stdoutReader: PipeReader | null;
  readonly #stderrReader: PipeReader | null;
  #stdin: WritableStream<Uint8Array> | null | undefined;
  #stdout: ReadableStream<Uint8Array> | null | undefined;
  #stderr: ReadableStream<Uint8Array> | null | undefined;

  constructor(init: SubprocessInit) {
    const child = init.child;
    this.#child = child;
    this.pid = child.pid;
    this.#file = init.file;
    this.#args = init.args;
    this.#killSignal = init.killSignal;
    this.#forceKillAfter = init.forceKillAfter;
    this.#timeout = init.timeout;
    this.#pgid = init.ownGroup ? child.pid : init.joinedGroup;
    this.#ownGroup = init.ownGroup;
    this.#stdinWriter = child.stdin;
    this.#stdoutReader = child.stdout;
    this.#stderrReader = child.stderr;
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
      child.watch({ spawned: (e) => this.#onSpawned(e), exited: (s) => this.#onExit(s) });
    } catch (e) {
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
   * Send a signal through the pidfd, which can never reach another process
   * that reused the pid. False when the child has already been reaped or the
   * signal could not be sent. `{ group: true }` signals the child's process
   * group, `{ tree: true }` the child and all its descendants.
   */
  kill(signal: Signal = "SIGTERM", options: KillOptions = {}): boolean {
    const n = signalNumber(signal);
    if (options.group) {
      if (this.#pgid === undefined) {
        throw new TypeError("kill({ group: true }): the child has no process group of its own; spawn it with processGroup or setsid");
      }
      // Only while the leader is unreaped: once reaped and once its group is
      // empty, the id can name another process's group.
      if (this.#exitStatus) return false;
      const r = this.#child.killGroup(this.#pgid, n);
      // A leader that has not run setsid/setpgid yet has no group: the
      // signal goes to it alone (held until its exec, as every signal is),
      // and it can have no descendants before that.
      if (r === -ESRCH && this.#ownGroup) return this.#child.kill(n);
      return r === 0;
    }
    if (this.#exitStatus) return false; // reaped: the pid may belong to someone else now
    if (options.tree) return this.#child.killTree(n);
    return this.#child.kill(n);
  }

  /**
   * All of stdout as bytes (it must be a pipe nobody read; empty when the
   * child wrote nothing, also after it exited).
   */
  async bytes(): Promise<Uint8Array> {
    return readBytes(this.#stdoutFor("bytes"));
  }

  /** All of stdout as UTF-8 text. */
  async text(): Promise<string> {
    return new TextDecoder().decode(await readBytes(this.#stdoutFor("text")));
  }

  /** stdout parsed as JSON. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(new TextDecoder().decode(await readBytes(this.#stdoutFor("json")))) as T;
  }

  /** stdout line by line ("\n" or "\r\n"; a last line without one counts). */
  lines(): AsyncGenerator<string, void, undefined> {
    return readLines(this.#stdoutFor("lines"));
  }

  #stdoutFor(what: string): PipeReader {
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
    this.#child.setRef(ref);
    this.#stdinWriter?.setRef(ref);
    this.#stdoutReader?.setRef(ref);
    this.#stderrReader?.setRef(ref);
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

  #signalAll(signal: number): boolean {
    // Never a group the child only joined: that one is somebody else's.
    const group = { group: this.#ownGroup };
    if (!this.#tree) return this.kill(signal, group);
    let sent: boolean;
    try {
      sent = this.kill(signal, { tree: true });
    } catch {
      sent = this.kill(signal); // no /proc to walk: the child at least
    }
    // Its group also holds descendants whose parent already died.
    if (this.#ownGroup) sent = this.kill(signal, group) || sent;
    return sent;
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
    const reading = (r: PipeReader | null) => r !== null && !r.closed && r.touched;
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

  #onSpawned(error?: SpawnError): void {
    this.#spawnError = error;
    this.#settleSpawned(error);
  }

  #onExit(s: ExitStatus | Error): void {
    for (const cancel of this.#cancelForceKill) cancel();
    this.#cancelForceKill = [];
    // The status is lost (native-child.ts: reaped elsewhere): gone, so
    // never signalled again, and `exited` rejects saying so.
    const lost = s instanceof Error ? s : undefined;
    if (lost) this.#exitStatus = { exitCode: null, signal: null, success: false, rusage: { userMs: 0, systemMs: 0 } };
    else this.#exitStatus = s as ExitStatus;
    if (this.#spawnError) {
      // The program never ran: nobody will write to or read from its pipes.
      this.#stdinWriter?.close();
      this.#stdoutReader?.close();
      this.#stderrReader?.close();
    } else {
      // Pipes nobody is reading that hold nothing more (EOF): close them now
      // rather than at garbage collection (spawn() pipes stdout by default).
      // A stream over one simply ends; data still in a pipe is kept.
      this.#stdoutReader?.closeIfEmpty();
      this.#stderrReader?.closeIfEmpty();
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
    this.#settleExited(this.#spawnError ?? lost ?? this.#exitStatus);
  }
}
