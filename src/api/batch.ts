/**
 * runAll() and map(): many children, at most `concurrency` at a time, results
 * as they complete. With failFast (the default) the first failure stops the
 * batch: nothing new starts, running jobs are killed with their descendants
 * (killSignal to the whole tree, SIGKILL after forceKillAfter), and once
 * they are gone the batch rejects with a BatchError naming each failed job.
 * An AbortSignal does the same and rejects with its reason; first() does it
 * to the jobs still running. No process of a job still running when the
 * batch stops outlives it (a job that ended is done with: what it left in
 * the background is not stopped) —
 * except a descendant already orphaned (its parent died; /proc no longer
 * links it to the job) outside the job's own process group, and what a job
 * function started itself without returning its Subprocess (it only gets
 * the signal).
 */
import { availableParallelism } from "node:os";
import { abortSignal, describe } from "./check.ts";
import type { ExitStatus } from "./exit-status.ts";
import type { RunOptions } from "./options.ts";
import { type RunResult, runWith } from "./run.ts";
import { internals, Subprocess } from "./subprocess.ts";
import { ownOptions } from "./own-options.ts";

/** A job: [file, args, options] (run() buffered), or a function that starts one. */
export type Job<T = RunResult> =
  | readonly [file: string, args?: readonly string[], options?: RunOptions]
  | ((context: { signal: AbortSignal }) => Subprocess | Promise<T> | T);

export type Settled<T> =
  | { index: number; status: "fulfilled"; value: T }
  | { index: number; status: "rejected"; reason: unknown };

export interface BatchOptions {
  /**
   * Most jobs running at once.
   * @default the number of CPUs
   */
  concurrency?: number;
  /**
   * Stops the batch: running jobs are killed with their descendants, and it
   * rejects with the signal's reason.
   * @default none
   */
  signal?: AbortSignal;
  /**
   * Stop at the first failure (kill the rest) and reject with a BatchError.
   * @default true (for first(): false — a later job may still succeed)
   */
  failFast?: boolean;
}

/** Jobs of a batch failed; `errors` (AggregateError) holds each failure. */
export class BatchError extends AggregateError {
  override name = "BatchError";
  /** The failed jobs: index and error, in input order. */
  readonly failures: { index: number; error: unknown }[];

  constructor(failures: { index: number; error: unknown }[], total: number) {
    const list = failures.map((f) => `#${f.index}: ${(f.error as Error)?.message?.split("\n")[0] ?? String(f.error)}`);
    super(failures.map((f) => f.error), total === 0 ? "the batch has no jobs" : `${failures.length} of ${total} jobs failed: ${list.join("; ")}`);
    this.failures = failures;
  }
}

function defaultConcurrency(): number {
  try {
    return availableParallelism();
  } catch {
    return 4;
  }
}

/**
 * When the batch stops a job: as an abort does (killSignal, SIGKILL after
 * forceKillAfter), but to the child's whole tree, so that no descendant
 * outlives the batch. Returns the function that stops watching the batch.
 */
function stopWith(proc: Subprocess, signal: AbortSignal): () => void {
  const stop = () => proc[internals].abortTree();
  // The batch may have stopped while a job function was still running.
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  return () => signal.removeEventListener("abort", stop);
}

function iterable(v: unknown, what: string): Iterable<unknown> {
  if (v === null || typeof (v as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== "function") {
    throw new TypeError(`${what} must be iterable (an array), got ${describe(v)}`);
  }
  return v as Iterable<unknown>;
}

/**
 * The jobs, each of a job's shape, checked before the first starts: a bad
 * one found later would fail the batch after others ran. (A job's args and
 * options are checked when it starts, as run() checks them.)
 */
function jobList<T>(jobs: Iterable<Job<T>>): Job<T>[] {
  const list = [...iterable(jobs, "jobs")] as Job<T>[];
  for (let i = 0; i < list.length; i++) {
    const job = list[i];
    if (typeof job === "function" || (Array.isArray(job) && typeof job[0] === "string")) continue;
    throw new TypeError(`jobs[${i}]: a job is [file, args?, options?] or a function, got ${describe(job)}`);
  }
  return list;
}

async function execute<T>(job: Job<T>, signal: AbortSignal): Promise<T> {
  if (Array.isArray(job)) {
    const [file, args = [], options = {}] = job as unknown as [string, string[]?, RunOptions?];
    let unwatch: (() => void) | undefined;
    try {
      return (await runWith(file, args, options, (proc) => (unwatch = stopWith(proc, signal)))) as T;
    } finally {
      unwatch?.();
    }
  }
  const r = await (job as (c: { signal: AbortSignal }) => Subprocess | Promise<T> | T)({ signal });
  if (!(r instanceof Subprocess)) return r;
  const unwatch = stopWith(r, signal);
  try {
    // Its exit, as `exited` settles (a descendant holding its stdout does not
    // count, and the output is left to whoever reads it), judged as its
    // helpers judge it: timedOut, aborted, reject: false.
    const status = await r.exited;
    await r[internals].judgeExit();
    return status as T;
  } finally {
    unwatch();
  }
}

export class Batch<T> implements AsyncIterable<Settled<T>> {
  readonly #jobs: Job<T>[];
  readonly #concurrency: number;
  #failFast: boolean;
  readonly #failFastGiven: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #running = new Map<number, AbortController>();
  readonly #ready: Settled<T>[] = [];
  readonly #failures: { index: number; error: unknown }[] = [];
  #wake: (() => void) | undefined;
  #next = 0;
  #settled = 0;
  #stopped: "failure" | "abort" | "first" | undefined;
  #started = false;

  constructor(jobs: Iterable<Job<T>>, options: BatchOptions) {
    options = ownOptions(options);
    this.#jobs = jobList(jobs);
    const c = options.concurrency ?? defaultConcurrency();
    if (!Number.isInteger(c) || c < 1) throw new TypeError(`concurrency must be a positive integer, got ${describe(c)}`);
    this.#concurrency = c;
    if (options.failFast !== undefined && typeof options.failFast !== "boolean") {
      throw new TypeError(`failFast must be a boolean, got ${describe(options.failFast)}`);
    }
    this.#failFast = options.failFast ?? true;
    this.#failFastGiven = options.failFast !== undefined;
    this.#signal = abortSignal(options.signal, "signal");
  }

  readonly #onAbort = () => this.#stop("abort");

  #start(): void {
    if (this.#started) throw new TypeError("a batch can be consumed once");
    this.#started = true;
    if (this.#signal?.aborted) this.#stop("abort");
    else this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#pump();
  }

  /** The batch is over: the caller's signal must not keep it reachable. */
  #end(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#next < this.#jobs.length) {
      const index = this.#next++, ac = new AbortController();
      this.#running.set(index, ac);
      execute(this.#jobs[index]!, ac.signal).then(
        (value) => this.#settle({ index, status: "fulfilled", value }),
        (reason) => this.#settle({ index, status: "rejected", reason }),
      );
    }
    this.#notify();
  }

  #settle(s: Settled<T>): void {
    const cancelled = this.#running.get(s.index)!.signal.aborted;
    this.#running.delete(s.index);
    this.#settled++;
    if (s.status === "rejected" && !cancelled) {
      this.#failures.push({ index: s.index, error: s.reason });
      if (this.#failFast) this.#stop("failure");
    }
    this.#ready.push(s);
    this.#pump();
  }

  #stop(why: "failure" | "abort" | "first"): void {
    if (this.#stopped) return;
    this.#stopped = why;
    for (const ac of this.#running.values()) ac.abort();
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  get #done(): boolean {
    return this.#running.size === 0 && (this.#stopped !== undefined || this.#next >= this.#jobs.length);
  }

  #error(): unknown {
    if (this.#stopped === "abort") return this.#signal!.reason;
    if (this.#failures.length) {
      return new BatchError([...this.#failures].sort((a, b) => a.index - b.index), this.#jobs.length);
    }
    return undefined;
  }

  /** Settled results in completion order; throws at the end when the batch failed or was aborted. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Settled<T>, void, undefined> {
    this.#start();
    try {
      for (;;) {
        while (this.#ready.length) yield this.#ready.shift()!;
        if (this.#done) break;
        await new Promise<void>((r) => (this.#wake = r));
      }
    } finally {
      // A consumer that stops iterating early stops the batch too.
      if (!this.#done) {
        this.#stop("abort");
        while (this.#running.size) await new Promise<void>((r) => (this.#wake = r));
      }
      this.#end();
    }
    const e = this.#error();
    if (e !== undefined && (this.#stopped === "abort" || this.#failures.length)) throw e;
  }

  /** Every value in input order; rejects like the iteration. */
  async all(): Promise<T[]> {
    const values: T[] = new Array(this.#jobs.length);
    for await (const s of this) if (s.status === "fulfilled") values[s.index] = s.value;
    return values;
  }

  /**
   * The first job to succeed; the others are killed. Rejects with a
   * BatchError if none does. A failure stops the batch only with an
   * explicit `failFast: true`: a later job may still succeed.
   */
  async first(): Promise<T> {
    if (!this.#failFastGiven) this.#failFast = false;
    this.#start();
    try {
      for (;;) {
        const s = this.#ready.shift();
        if (s?.status === "fulfilled") {
          this.#stop("first");
          while (this.#running.size) await new Promise<void>((r) => (this.#wake = r));
          return s.value;
        }
        if (s) continue;
        if (this.#done) break;
        await new Promise<void>((r) => (this.#wake = r));
      }
      throw this.#error() ?? new BatchError([], this.#jobs.length);
    } finally {
      this.#end();
    }
  }
}

/** Run jobs with a concurrency limit; iterate results as they complete, or use all() / first(). */
export function runAll<T = RunResult>(jobs: Iterable<Job<T>>, options: BatchOptions = {}): Batch<T> {
  return new Batch<T>(jobs, options);
}

/**
 * map(items, fn) with a concurrency limit: fn's results in input order. A fn
 * that returns a Subprocess yields its ExitStatus (a failed exit fails the job, unless its spawn said reject: false).
 */
export function map<I>(
  items: Iterable<I>,
  fn: (item: I, index: number, signal: AbortSignal) => Subprocess,
  options?: BatchOptions,
): Promise<ExitStatus[]>;
export function map<I, T>(
  items: Iterable<I>,
  fn: (item: I, index: number, signal: AbortSignal) => Promise<T> | T,
  options?: BatchOptions,
): Promise<T[]>;
export function map<I, T>(
  items: Iterable<I>,
  fn: (item: I, index: number, signal: AbortSignal) => Subprocess | Promise<T> | T,
  options: BatchOptions = {},
): Promise<T[]> {
  // Bad input rejects, as run()'s does: map() returns a promise.
  try {
    if (typeof fn !== "function") throw new TypeError(`map(): fn must be a function, got ${describe(fn)}`);
    return runAll<T>([...(iterable(items, "items") as Iterable<I>)].map((item, i) => ({ signal }: { signal: AbortSignal }) => fn(item, i, signal)), options).all();
  } catch (e) {
    return Promise.reject(e);
  }
}
