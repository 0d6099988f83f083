/**
 * What every portable child shares: its events (queued until the
 * Subprocess watches them), the failed start as a SpawnError, a handed-over
 * stdin pumped from another child, and the signals (by pid: the runtime
 * holds the child unreaped until it reports the exit, so the pid stays
 * ours until then).
 */
import { type Child, childExited, type ChildEvents, childSpawned, type PipeReader, type PipeWriter } from "../api/child.ts";
import { EAGAIN, EBADF, ENOENT, ENOTDIR, errnoNumber, errnoOf, ESRCH } from "../api/errno.ts";
import { SpawnError } from "../api/errors.ts";
import type { ExitStatus } from "../api/exit-status.ts";
import { nameOf } from "../api/signals.ts";
import type { PortablePlan } from "./plan.ts";
import { cleanupOnExit } from "./cleanup.ts";
import { pump, StreamReader, StreamWriter } from "./pipes.ts";
import { killTree } from "./tree.ts";
import { existsSync, fstatSync, statSync } from "node:fs";

/** Failures of the parent: no child could be created (spawn() throws these). */
const PARENT_ERRORS = new Set(["EMFILE", "ENFILE", "EAGAIN", "ENOMEM"]);

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The step that failed, as the native backend names it: the runtimes say
 * only "spawn", so a missing working directory is told from a missing
 * program by looking, and a refused uid or gid by which was asked.
 */
function failedStep(errno: number, plan: PortablePlan): string {
  if (plan.cwd !== undefined && !isDirectory(plan.cwd)) return "chdir";
  if (errno === 1 /* EPERM */ && (plan.uid !== undefined || plan.gid !== undefined)) {
    return plan.gid !== undefined ? "setgid" : "setuid";
  }
  return "execve";
}

/** The runtime refused to start the child: thrown (parent's failure) or the child's error. */
export function startError(e: unknown, plan: PortablePlan): SpawnError {
  let errno = errnoOf(e);
  const code = (e as { code?: unknown })?.code;
  const step = PARENT_ERRORS.has(String(code)) || errno === EAGAIN ? "spawn" : failedStep(errno, plan);
  // Deno says ENOENT for any cwd it cannot enter.
  if (step === "chdir" && errno === ENOENT && existsSync(plan.cwd!)) errno = ENOTDIR;
  return new SpawnError(errno, step, plan.command, plan.file, { cwd: plan.cwd });
}

/** Rethrow what is not a failure to start a child (a permission of the runtime, a bug). */
export function isStartError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) || /\(os error \d+\)/.test(String((e as Error)?.message));
}

/**
 * A signal as the runtime should get it: by name, since the numbers are
 * Linux's (signals.ts) and macOS numbers some differently; a number only
 * for those without a name (real-time signals, Linux only).
 */
export function signalFor(signal: number): string | number {
  const name = nameOf(signal);
  // SIGRTMIN and SIGRTMAX look like names, but no runtime knows them.
  return /^SIG[A-Z]+$/.test(name) && !name.startsWith("SIGRT") ? name : signal;
}

const noop = () => {};
const gone = Object.assign(new Error("EPIPE: the child never ran"), { code: "EPIPE" });

/** The runtime's kill(): 0, or -errno (ESRCH when it said false: the child is gone). */
export function killResult(send: () => unknown): number {
  try {
    return send() === false ? -ESRCH : 0;
  } catch (e) {
    return -(errnoNumber(String((e as { code?: unknown }).code)) ?? ESRCH);
  }
}

/** How the runtimes report an exit (a signal name, or the code) as ours. */
export function exitStatus(code: number | null, signal: string | number | null | undefined, rusage = noRusage): ExitStatus {
  // Bun gives a signal it has no name for (a real-time one) as its number.
  const sig = typeof signal === "number" ? nameOf(signal) : signal ?? null;
  return { exitCode: sig ? null : code, signal: sig, success: !sig && code === 0, rusage };
}

const noRusage = { userMs: 0, systemMs: 0 };

/** A child that never ran exits as the native child does when exec fails. */
const neverRan: ExitStatus = exitStatus(127, null);

export abstract class PortableChild implements Child {
  pid = 0;
  stdin: PipeWriter | null = null;
  stdout: PipeReader | null = null;
  stderr: PipeReader | null = null;
  #events: ChildEvents | undefined;
  #queued: ((e: ChildEvents) => void)[] = [];
  #spawned = false;
  #exited = false;
  #forget: (() => void) | undefined;

  /**
   * Run the runtime's spawn: a failure it reports by throwing is thrown on
   * (the parent's: no child could be created; or not a failure to start at
   * all) or becomes the child's failure, undefined then.
   */
  protected launch<P>(plan: PortablePlan, spawn: () => P): P | undefined {
    try {
      return spawn();
    } catch (e) {
      if (!isStartError(e)) throw e;
      const error = startError(e, plan);
      if (error.step === "spawn") throw error;
      this.failed(error, plan);
      return undefined;
    }
  }

  /** Set the pipes the runtime made (stdin is taken by the pump when handed over). */
  protected pipes(plan: PortablePlan, stdin: StreamWriter | null, stdout: StreamReader | null, stderr: StreamReader | null): void {
    if (plan.cleanup !== undefined) this.#forget = cleanupOnExit(this, plan.cleanup);
    this.stdout = stdout;
    this.stderr = stderr;
    const from = plan.stdinFrom;
    if (from && stdin) {
      void pump((from as StreamReader).handOver(), stdin);
    } else this.stdin = stdin;
  }

  protected reportSpawned(error?: SpawnError): void {
    if (this.#spawned) return;
    this.#spawned = true;
    this.#emit((e) => e[childSpawned](error));
    if (error) this.reportExited(neverRan);
  }

  protected reportExited(status: ExitStatus): void {
    if (this.#exited) return;
    this.reportSpawned();
    this.#exited = true;
    this.#forget?.();
    this.#emit((e) => e[childExited](status));
  }

  /**
   * The child never started: the pipes asked for exist all the same, as a
   * native child's do (its output is empty, its stdin has no reader); a
   * handed-over stream goes; the events say so.
   */
  protected failed(error: SpawnError, plan: PortablePlan): void {
    const piped = (fd: number) => plan.stdio[fd] === "pipe";
    const empty = () => new StreamReader({ read: async () => null, cancel: noop, setRef: noop });
    this.pipes(
      plan,
      piped(0) ? new StreamWriter({ write: () => Promise.reject(gone), close: noop, setRef: noop }) : null,
      piped(1) ? empty() : null,
      piped(2) ? empty() : null,
    );
    queueMicrotask(() => this.reportSpawned(error));
  }

  #emit(fn: (e: ChildEvents) => void): void {
    if (this.#events) fn(this.#events);
    else this.#queued.push(fn);
  }

  watch(events: ChildEvents): void {
    this.#events = events;
    for (const fn of this.#queued) fn(events);
    this.#queued = [];
  }

  /** kill(2) of the runtime: 0 or -errno. */
  protected abstract signalPid(pid: number, signal: number): number;

  kill(signal: number): number {
    if (this.pid <= 0 || this.#exited) return -ESRCH;
    // A probe: the runtime holds the child unreaped until it reports the exit.
    if (signal === 0) return 0;
    return this.signalPid(this.pid, signal);
  }

  killGroup(pgid: number, signal: number): number {
    return this.signalPid(-pgid, signal);
  }

  killTree(signal: number): number {
    if (this.pid <= 0 || this.#exited) return 0;
    return killTree(this.pid, signal, (p, n) => this.signalPid(p, n));
  }

  abstract setRef(ref: boolean): void;
}

/** A child the plan already shows cannot start (a closed fd): it fails as the native child does. */
export class NeverStarted extends PortableChild {
  constructor(plan: PortablePlan, error: SpawnError) {
    super();
    this.failed(error, plan);
  }

  protected signalPid(): number {
    return -ESRCH;
  }

  setRef(): void {}
}

/** The first fd of ours the plan hands the child that is not open: the native child's dup2 fails on it. */
export function closedFd(plan: PortablePlan): SpawnError | undefined {
  for (const [fd, src] of plan.stdio.entries()) {
    if (typeof src !== "number" || src === fd) continue;
    try {
      fstatSync(src);
    } catch {
      return new SpawnError(EBADF, `dup2:${fd}`, plan.command, plan.file, { cwd: plan.cwd });
    }
  }
  return undefined;
}
