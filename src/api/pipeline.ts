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
import { ownOptions } from "./own-options.ts";
import { SpawnError, startFailure } from "./errors.ts";

/** [file, args, options] of one stage. */
export type Stage = readonly [file: string, args?: readonly string[], options?: Options];

export interface PipelineOptions {
  /**
   * Fail when any stage fails (else only the last stage counts).
   * @default true
   */
  pipefail?: boolean;
}

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

  constructor(
    stage: number,
    command: string,
    status: ExitStatus | undefined,
    statuses: (ExitStatus | undefined)[],
    cause?: unknown,
    timeoutMs?: number,
  ) {
    const why = !status
      ? `failed to start${cause instanceof SpawnError ? ` ${startFailure(cause)}` : ""}`
      : status.signal
      ? `${timeoutMs === undefined ? "" : `timed out after ${timeoutMs} ms and `}was killed with ${status.signal}`
      : `failed with exit code ${status.exitCode}`;
    super(`Pipeline stage ${stage} ${why}: ${command}`, cause === undefined ? undefined : { cause });
    this.stage = stage;
    this.command = command;
    this.exitCode = status?.exitCode ?? null;
    this.signal = status?.signal ?? null;
    this.statuses = statuses;
  }
}

export class Pipeline {
  /** Every stage, in order. */
  readonly stages: Subprocess[];
  /** Resolves with every stage's ExitStatus; rejects with PipelineError. */
  readonly exited: Promise<ExitStatus[]>;

  constructor(stages: Subprocess[], pipefail: boolean) {
    this.stages = stages;
    // A stage that never ran breaks the chain: the others are killed, as
    // when one fails to start synchronously (a producer that never ends, or
    // never writes, would otherwise hold the pipeline for as long as it runs).
    for (const s of stages) s.spawned.catch(() => this.#killAll());
    this.exited = Promise.all(stages.map((s) => s.exited.then((v) => v, (e: unknown) => e as Error))).then((results) => {
      const statuses = results.map((r) => (r instanceof Error ? undefined : r));
      const failed = (i: number) => results[i] instanceof Error || !statuses[i]!.success;
      let culprit = -1;
      // The stage that never ran is the news, not those killed for it.
      for (let i = results.length - 1; i >= 0 && culprit < 0; i--) if (results[i] instanceof SpawnError) culprit = i;
      if (pipefail) for (let i = results.length - 1; i >= 0 && culprit < 0; i--) if (failed(i)) culprit = i;
      if (!pipefail && culprit < 0 && failed(results.length - 1)) culprit = results.length - 1;
      if (culprit >= 0) {
        const r = results[culprit], stage = stages[culprit]![internals];
        throw new PipelineError(culprit, stages[culprit]!.command, statuses[culprit], statuses, r instanceof Error ? r : undefined,
          stage.timedOut ? stage.timeout : undefined);
      }
      return statuses as ExitStatus[];
    });
    this.exited.catch(() => {});
  }

  #killed = false;

  #killAll(): void {
    if (this.#killed) return;
    this.#killed = true;
    for (const s of this.stages) s.kill("SIGKILL");
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

  /** The last stage's stdout as text, after the whole pipeline succeeded. */
  async text(): Promise<string> {
    const last = this.stages[this.stages.length - 1]!;
    const [out] = await Promise.all([last[internals].readStdout("text"), this.exited]);
    return new TextDecoder().decode(out);
  }

  /** Signal every stage. */
  kill(signal: Signal = "SIGTERM"): boolean {
    return this.stages.map((s) => s.kill(signal)).some(Boolean);
  }
}

/**
 * Start every stage, each reading the previous one's stdout. Throws like
 * spawn() (TypeError, SpawnError); stages already started are then killed.
 */
export function pipeline(stages: readonly Stage[], options: PipelineOptions = {}): Pipeline {
  if (!Array.isArray(stages) || stages.length === 0) throw new TypeError("pipeline needs at least one stage");
  options = ownOptions(options);
  const started: Subprocess[] = [];
  try {
    stages.forEach((stage, i) => {
      if (!Array.isArray(stage)) throw new TypeError(`pipeline stage ${i} must be [file, args?, options?]`);
      const [file, args = [], given = {}] = stage;
      const opts = ownOptions(given);
      const last = i === stages.length - 1;
      if (!last && opts.stdout !== undefined && opts.stdout !== "pipe") {
        throw new TypeError(`pipeline stage ${i}: its stdout feeds stage ${i + 1} and must be "pipe"`);
      }
      if (i > 0 && (opts.stdin !== undefined || opts.input !== undefined)) throw new TypeError(`pipeline stage ${i}: its stdin is stage ${i - 1}'s stdout`);
      // stdio[0] and stdio[1] would take precedence over the links.
      const linked = [i > 0 ? 0 : -1, last ? -1 : 1].filter((fd) => fd >= 0);
      for (const fd of linked) {
        if (Array.isArray(opts.stdio) && opts.stdio[fd] !== undefined) {
          throw new TypeError(`pipeline stage ${i}: stdio[${fd}] is the link to stage ${fd === 0 ? i - 1 : i + 1}`);
        }
      }
      const prev = started[i - 1];
      started.push(spawn(file, args, { ...opts, ...(prev ? { stdin: prev.stdout! } : {}), stdout: last ? opts.stdout : "pipe" }));
    });
  } catch (e) {
    for (const s of started) s.kill("SIGKILL");
    throw e;
  }
  return new Pipeline(started, options.pipefail ?? true);
}

