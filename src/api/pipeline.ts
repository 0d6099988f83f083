/**
 * pipeline(): a chain of children connected by kernel pipes — stage i's
 * stdout is stage i+1's stdin, and no byte passes through JavaScript.
 * Like `set -o pipefail` by default: the chain fails when any stage does,
 * and the error names the rightmost stage that failed.
 */
import type { ExitStatus } from "./exit-status.ts";
import type { Options } from "./options.ts";
import { type Signal } from "./signals.ts";
import { spawn } from "./spawn.ts";
import { internals, type Subprocess } from "./subprocess.ts";
import type { Collector } from "./output.ts";
import { ownOptions } from "./own-options.ts";
import { utf8Text } from "./text.ts";
import { SpawnError, startFailure, tail } from "./errors.ts";
import { bool } from "./check.ts";

/** [file, args, options] of one stage. */
export type Stage = readonly [file: string, args?: readonly string[], options?: Options];

export interface PipelineOptions {
  /**
   * Fail when any stage fails (else only the last stage counts).
   * @default true
   */
  pipefail?: boolean;
}

/**
 * What stopped a stage besides its exit status, as run() counts it: a
 * timeout, an abort, its output past maxBuffer (text() only).
 */
export interface StageStop {
  timedOut: boolean;
  timeoutMs?: number | undefined;
  aborted: boolean;
  maxBufferExceeded: boolean;
  /** The limit the last stage's stdout passed. */
  maxBuffer?: number | undefined;
}

/** PipelineError's arguments but the output: stage, command, status, statuses, cause, stop. */
type Verdict = [number, string, ExitStatus | undefined, (ExitStatus | undefined)[], unknown, StageStop];

/** A stage of a pipeline failed (or never ran). */
export class PipelineError extends Error {
  override name = "PipelineError";
  /** Index of the failing stage (the rightmost one, as with pipefail). */
  readonly stage: number;
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** How every stage ended (undefined for a stage that never ran). */
  readonly statuses: (ExitStatus | undefined)[];
  /** The stage's `timeout` elapsed before it exited and its output ended. */
  readonly timedOut: boolean;
  /** The stage's `signal` aborted before it exited and its output ended. */
  readonly aborted: boolean;
  /** text(): the last stage's stdout passed its `maxBuffer` (cut there; the stage was sent killSignal). */
  readonly maxBufferExceeded: boolean;
  /** text(): the last stage's stdout as read (else undefined). */
  readonly stdout: string | undefined;
  /** text(): the failing stage's stderr when it is a pipe nobody read (else undefined). */
  readonly stderr: string | undefined;

  constructor(
    stage: number,
    command: string,
    status: ExitStatus | undefined,
    statuses: (ExitStatus | undefined)[],
    cause?: unknown,
    stop?: StageStop,
    output?: { stdout: string; stderr: string | undefined },
  ) {
    const err = output?.stderr ? tail(output.stderr) : "";
    super(`Pipeline stage ${stage} ${howItFailed(status, cause, stop)}: ${command}${err ? `\n${err}` : ""}`, cause === undefined ? undefined : { cause });
    this.stdout = output?.stdout;
    this.stderr = output?.stderr;
    this.stage = stage;
    this.command = command;
    this.exitCode = status?.exitCode ?? null;
    this.signal = status?.signal ?? null;
    this.statuses = statuses;
    this.timedOut = stop?.timedOut ?? false;
    this.aborted = stop?.aborted ?? false;
    this.maxBufferExceeded = stop?.maxBufferExceeded ?? false;
  }
}

/** The middle of PipelineError's message, in ExitError's words. */
function howItFailed(status: ExitStatus | undefined, cause: unknown, stop: StageStop | undefined): string {
  if (!status) return `failed to start${cause instanceof SpawnError ? ` ${startFailure(cause)}` : ""}`;
  // How it ended, whatever made us stop it: it may have caught the signal
  // and exited, or exited before the signal landed.
  const how = status.signal ? `was killed with ${status.signal}` : `exited with code ${status.exitCode}`;
  if (stop?.maxBufferExceeded) return `exceeded maxBuffer (${stop.maxBuffer} bytes of stdout) and ${how}`;
  // Exit code 0 too: stopped all the same (a descendant held its output open).
  if (stop?.timedOut) return `timed out after ${stop.timeoutMs} ms and ${how}`;
  if (stop?.aborted) return `was aborted and ${status.signal ? `killed with ${status.signal}` : how}`;
  return status.signal ? how : `failed with exit code ${status.exitCode}`;
}

/**
 * @internal A stage that its timeout or abort stopped stops the stages
 * before it that still run (their killSignal, SIGKILL after forceKillAfter,
 * as their own timeout would): nothing reads their output any more, and a
 * producer that never ends or never writes (`tail -f`, `sleep`) would
 * otherwise outlast the timeout that was to bound the whole. The stages
 * after it read its end of output and finish on their own. The returned
 * set holds the stages stopped so, for another's sake: not to be blamed.
 */
export function stopTogether(stages: readonly Subprocess[]): ReadonlySet<number> {
  const stoppedFor = new Set<number>();
  stages.forEach((s, i) => {
    s.exited.then(() => {
      const inner = s[internals];
      if (!(inner.timedOut || inner.aborted)) return;
      for (let j = 0; j < i; j++) {
        const before = stages[j]!, own = before[internals];
        if (own.gone || own.timedOut || own.aborted || stoppedFor.has(j)) continue;
        stoppedFor.add(j);
        try {
          own.terminate();
        } catch {
          // EPERM (a stage that became another user): it runs on, as after kill()
        }
      }
    }, () => {});
  });
  return stoppedFor;
}

/** SIGKILL to every stage; one that cannot be signalled (EPERM) does not spare the rest. */
export function killStages(stages: readonly Subprocess[]): void {
  for (const s of stages) {
    try {
      s.kill("SIGKILL");
    } catch {
      // EPERM: another user's now
    }
  }
}

export class Pipeline {
  /** Every stage, in order. */
  readonly stages: Subprocess[];
  /** Resolves with every stage's ExitStatus; rejects with PipelineError. */
  readonly exited: Promise<ExitStatus[]>;
  /** How every stage ended: its ExitStatus, or what its `exited` rejected with. */
  readonly #ends: Promise<(ExitStatus | Error)[]>;
  readonly #pipefail: boolean;
  readonly #stoppedFor: ReadonlySet<number>;

  constructor(stages: Subprocess[], pipefail: boolean) {
    this.stages = stages;
    this.#pipefail = pipefail;
    // A stage that never ran breaks the chain: the others are killed, as
    // when one fails to start synchronously (a producer that never ends, or
    // never writes, would otherwise hold the pipeline for as long as it runs).
    for (const s of stages) s.spawned.catch(() => this.#killAll());
    this.#stoppedFor = stopTogether(stages);
    this.#ends = Promise.all(stages.map((s) => s.exited.then((v) => v, (e: unknown) => e as Error)));
    this.exited = this.#ends.then((ends) => {
      this.#judge(ends);
      return ends as ExitStatus[];
    });
    this.exited.catch(() => {});
  }

  /**
   * Throw what `set -o pipefail` would say, as a PipelineError: the stage
   * that never ran, else the rightmost that failed. A stage fails as run()
   * judges a child — a non-zero exit, a signal, or a timeout or an abort
   * that stopped it, even when it then exited 0 — and, for text(), the last
   * stage fails when its stdout passed maxBuffer.
   */
  #judge(ends: (ExitStatus | Error)[], stdout?: Collector): void {
    const e = this.#verdict(ends, stdout);
    if (e) throw new PipelineError(...e);
  }

  /** #judge()'s error, as PipelineError's arguments; undefined when the pipeline succeeded. */
  #verdict(ends: (ExitStatus | Error)[], stdout?: Collector): Verdict | undefined {
    const statuses = ends.map((r) => (r instanceof Error ? undefined : r));
    const lastIndex = ends.length - 1;
    const stopOf = (i: number): StageStop => {
      const inner = this.stages[i]![internals];
      const maxBufferExceeded = i === lastIndex && stdout?.exceeded === true;
      return { timedOut: inner.timedOut, timeoutMs: inner.timeout, aborted: inner.aborted, maxBufferExceeded, maxBuffer: stdout?.max };
    };
    const failed = (i: number) => {
      if (this.#stoppedFor.has(i)) return false; // killed for another stage's stop: that one is the news
      const stop = stopOf(i);
      return ends[i] instanceof Error || !statuses[i]!.success || stop.timedOut || stop.aborted || stop.maxBufferExceeded;
    };
    let culprit = -1;
    // The stage that never ran is the news, not those killed for it.
    for (let i = lastIndex; i >= 0 && culprit < 0; i--) if (ends[i] instanceof SpawnError) culprit = i;
    if (this.#pipefail) for (let i = lastIndex; i >= 0 && culprit < 0; i--) if (failed(i)) culprit = i;
    if (!this.#pipefail && culprit < 0 && failed(lastIndex)) culprit = lastIndex;
    if (culprit < 0) return undefined;
    const r = ends[culprit];
    return [culprit, this.stages[culprit]!.command, statuses[culprit], statuses, r instanceof Error ? r : undefined, stopOf(culprit)];
  }

  #killed = false;

  #killAll(): void {
    if (this.#killed) return;
    this.#killed = true;
    killStages(this.stages);
  }

  /** The first stage's stdin, when it is a pipe. */
  get stdin(): WritableStream<Uint8Array> | null {
    return this.stages[0]!.stdin;
  }

  /** The last stage's stdout, when it is a pipe. */
  get stdout(): ReadableStream<Uint8Array> | null {
    return this.stages[this.stages.length - 1]!.stdout;
  }

  /** The last stage's stderr, when it is a pipe. */
  get stderr(): ReadableStream<Uint8Array> | null {
    return this.stages[this.stages.length - 1]!.stderr;
  }

  /**
   * The last stage's stdout as text, after the whole pipeline succeeded.
   * Read as spawn()'s text() reads it: up to the last stage's maxBuffer
   * (64 MiB), past which that stage is stopped.
   */
  async text(): Promise<string> {
    const last = this.stages[this.stages.length - 1]!;
    const [out, ends] = await Promise.all([last[internals].readStdout("text"), this.#ends]);
    // Judged once the reading ended, not when `exited` settled: a timeout or
    // an abort may end it after the last stage exited (a descendant holding
    // its stdout), and that fails the pipeline as it fails run().
    const failed = this.#verdict(ends, out);
    const stdout = utf8Text(out.bytes());
    if (!failed) return stdout;
    // As subprocess.text()'s ExitError: the output, and the failing stage's stderr if nobody read it.
    const stderr = await this.stages[failed[0]]![internals].unreadStderr();
    throw new PipelineError(...failed, { stdout, stderr });
  }

  /** Signal every stage. */
  kill(signal: Signal = "SIGTERM"): boolean {
    return this.stages.map((s) => s.kill(signal)).some(Boolean);
  }
}

/**
 * A stage's options against its links (stdout to the next stage, stdin from
 * the one before), before anything is spawned: an explicit stdout, stdin,
 * input or stdio[0|1] there would take the link's place. A stdio shorthand
 * ("inherit") fills in only what the links leave.
 */
export function checkLink(o: Options & { input?: unknown }, i: number, count: number, name: string): void {
  const last = i === count - 1;
  if (!last && o.stdout !== undefined && o.stdout !== "pipe") {
    throw new TypeError(`${name} ${i}: its stdout feeds stage ${i + 1} and must be "pipe"`);
  }
  if (i > 0 && (o.stdin !== undefined || o.input !== undefined)) {
    throw new TypeError(`${name} ${i}: its stdin is stage ${i - 1}'s stdout (no stdin or input)`);
  }
  for (const fd of [i > 0 ? 0 : -1, last ? -1 : 1]) {
    if (fd >= 0 && Array.isArray(o.stdio) && o.stdio[fd] !== undefined) {
      throw new TypeError(`${name} ${i}: stdio[${fd}] is the link to stage ${fd === 0 ? i - 1 : i + 1}`);
    }
  }
}

/**
 * Start every stage, each reading the previous one's stdout. Throws like
 * spawn() (TypeError, SpawnError); stages already started are then killed.
 */
export function pipeline(stages: readonly Stage[], options: PipelineOptions = {}): Pipeline {
  if (!Array.isArray(stages) || stages.length === 0) throw new TypeError("pipeline needs at least one stage");
  options = ownOptions(options);
  // Checked before anything starts ("no" used to mean true, 0 false).
  const pipefail = options.pipefail === undefined || bool(options.pipefail, "pipefail");
  const started: Subprocess[] = [];
  try {
    stages.forEach((stage, i) => {
      if (!Array.isArray(stage)) throw new TypeError(`pipeline stage ${i} must be [file, args?, options?]`);
      const [file, args = [], given = {}] = stage;
      const opts = ownOptions(given);
      const last = i === stages.length - 1;
      checkLink(opts, i, stages.length, "pipeline stage");
      const prev = started[i - 1];
      started.push(spawn(file, args, { ...opts, ...(prev ? { stdin: prev.stdout! } : {}), stdout: last ? opts.stdout : "pipe" }));
    });
  } catch (e) {
    killStages(started);
    throw e;
  }
  return new Pipeline(started, pipefail);
}

