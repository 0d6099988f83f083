/** run(): spawn, feed input, collect output, wait, and judge the exit. */
import { callArguments, describe } from "./check.ts";
import { atCallSite, ExitError } from "./errors.ts";
import type { ExitStatus } from "./exit-status.ts";
import { Collector, Interleaved, MiB } from "./output.ts";
import type { RunOptions } from "./options.ts";
import { maxBufferOf, spawnKeeping, spawnWith } from "./spawn.ts";
import { wantsPty } from "./pty.ts";
import { internals, Subprocess } from "./subprocess.ts";
import { givenOptions, preparedSpawn, startPrepared } from "./spawn-cache.ts";
import type { StdioDefaults } from "./plan.ts";
import { ownOptions } from "./own-options.ts";
import { utf8Text } from "./text.ts";

/** run()'s stdio: `input` takes stdin's place (pump.ts feeds it). */
const runDefaults: StdioDefaults = { stdin: "ignore", stdout: "pipe", stderr: "pipe" };

export interface RunResult<T extends string | Uint8Array = string> {
  stdout: T;
  stderr: T;
  /** null when a signal ended the child */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  command: string;
  /**
   * The child's process id (reaped by now: the number may belong to
   * another process already). Absent from the portable backend's runSync().
   */
  pid?: number;
  /**
   * stdout or stderr passed `maxBuffer`: the output was cut there and the
   * child was sent killSignal (it may still have exited 0).
   */
  maxBufferExceeded: boolean;
  /** `timeout` elapsed before the child exited and its output ended. */
  timedOut: boolean;
  /** `signal` aborted before the child exited and its output ended. */
  aborted: boolean;
  /**
   * With `all: true`: stdout and stderr interleaved in the order they were
   * read (see the option).
   */
  all?: T;
}

/**
 * Run a command to completion and collect its output. Rejects with
 * ExitError on a non-zero exit, a signal, a timeout, an abort or output
 * past maxBuffer (unless `reject: false`) and with SpawnError when the
 * program never ran.
 */
export function run(file: string, args?: readonly string[], options?: RunOptions & { encoding?: "utf8" }): Promise<RunResult<string>>;
export function run(file: string, args: readonly string[], options: RunOptions & { encoding: "buffer" }): Promise<RunResult<Uint8Array>>;
export function run(file: string, options?: RunOptions & { encoding?: "utf8" }): Promise<RunResult<string>>;
export function run(file: string, options: RunOptions & { encoding: "buffer" }): Promise<RunResult<Uint8Array>>;
// A shared options object typed RunOptions: its encoding is not known here.
export function run(file: string, args?: readonly string[], options?: RunOptions): Promise<RunResult<string | Uint8Array>>;
export function run(file: string, options?: RunOptions): Promise<RunResult<string | Uint8Array>>;
export function run(
  file: string,
  a?: readonly string[] | RunOptions,
  b?: RunOptions,
): Promise<RunResult<string | Uint8Array>> {
  let own: RunOptions, start: () => Subprocess;
  try {
    // The same call as the one before: spawn-cache.ts kept it whole.
    const p = preparedSpawn(file, a, b, runDefaults);
    if (p) {
      own = p.own as RunOptions;
      start = () => new Subprocess(startPrepared(p), p.settings);
    } else {
      const [args, options] = callArguments(a, b);
      const given = givenOptions(a, b), o = (own = ownOptions(options));
      start = () => spawnKeeping(file, args, given, o, runDefaults);
    }
  } catch (e) {
    return Promise.reject(e); // run() rejects, as for every bad input
  }
  return collect(own, start);
}

/** @internal run()'s own options, checked before anything is spawned; the maxBuffer. */
export function checkRunOptions(o: RunOptions): number {
  if (o.reject !== undefined && typeof o.reject !== "boolean") {
    throw new TypeError(`reject must be a boolean, got ${describe(o.reject)}`);
  }
  if (o.all !== undefined && typeof o.all !== "boolean") throw new TypeError(`all must be a boolean, got ${describe(o.all)}`);
  if (o.encoding !== undefined && o.encoding !== "utf8" && o.encoding !== "buffer") {
    throw new TypeError(`encoding must be "utf8" or "buffer", got ${describe(o.encoding)}`);
  }
  return maxBufferOf(o) ?? 64 * MiB;
}

/**
 * @internal run(), and onSpawn gets the child (batches stop it through its
 * internals); `all` collects for a chain of `$` whose stderr it shares.
 */
export function runWith(
  file: string,
  args: readonly string[],
  o: RunOptions,
  onSpawn?: (proc: Subprocess) => void,
  all?: Interleaved,
): Promise<RunResult<string | Uint8Array>> {
  const own = ownOptions(o);
  return collect(own, () => spawnWith(file, args, own, runDefaults), onSpawn, all);
}

/** The run of the child start() spawns: its options checked first, its output collected, its exit judged. */
async function collect(
  o: RunOptions,
  start: () => Subprocess,
  onSpawn?: (proc: Subprocess) => void,
  all?: Interleaved,
): Promise<RunResult<string | Uint8Array>> {
  all ??= o.all ? new Interleaved() : undefined;
  const max = checkRunOptions(o);
  const t0 = performance.now();
  const proc = start();
  onSpawn?.(proc);
  const inner = proc[internals];
  // stdin "pipe" without `input`: nobody can write to it (a RunResult has no
  // stdin), so it ends at once, as runSync() gives it. A terminal stays open.
  if (!wantsPty(o)) inner.stdin?.close();
  let exceeded: "stdout" | "stderr" | undefined;
  const onExceeded = (c: Collector) => {
    exceeded ??= c === out ? "stdout" : "stderr";
    // Once the child has exited (killed or not), this stops the reading: a
    // descendant that inherited its pipes (sh -c 'yes &') could keep them
    // open for as long as it lives.
    inner.terminate();
  };
  const out: Collector = new Collector(max, onExceeded, all), err: Collector = new Collector(max, onExceeded, all);
  let status: ExitStatus;
  try {
    [status] = await Promise.all([
      proc.exited,
      inner.stdout?.drain(out.add, true),
      inner.stderr?.drain(err.add, true),
    ]);
  } catch (e) {
    throw atCallSite(e); // made again here, its stack reaches the caller of run()
  }
  return settle(o, max, {
    stdout: out.bytes(),
    stderr: err.bytes(),
    all: all?.bytes(),
    status,
    durationMs: performance.now() - t0,
    command: proc.command,
    pid: proc.pid,
    exceeded,
    timedOut: inner.timedOut,
    aborted: inner.aborted,
    abortReason: inner.abortReason,
    timeoutMs: inner.timeout,
  });
}

/** @internal How a run ended, before it is judged. */
export interface Outcome {
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** With `all`: both, interleaved as read. */
  all?: Uint8Array | undefined;
  status: Pick<ExitStatus, "exitCode" | "signal">;
  durationMs: number;
  command: string;
  pid?: number | undefined;
  /** The stream that passed maxBuffer first. */
  exceeded: "stdout" | "stderr" | undefined;
  timedOut: boolean;
  aborted: boolean;
  abortReason?: unknown;
  timeoutMs: number | undefined;
}

/** Which stream passed maxBuffer, for results that did: a chain's error names it. */
const exceededBy = new WeakMap<RunResult<string | Uint8Array>, "stdout" | "stderr">();

/** @internal The stream that passed maxBuffer in a result of settle(). */
export const exceededStream = (r: RunResult<string | Uint8Array>) => exceededBy.get(r);

/** @internal The result of run() and runSync(), or the ExitError it is. */
export function settle(o: RunOptions, max: number, r: Outcome): RunResult<string | Uint8Array> {
  const text = o.encoding !== "buffer";
  const result: RunResult<string | Uint8Array> = {
    stdout: text ? utf8Text(r.stdout) : r.stdout,
    stderr: text ? utf8Text(r.stderr) : r.stderr,
    exitCode: r.status.exitCode,
    signal: r.status.signal,
    durationMs: r.durationMs,
    command: r.command,
    maxBufferExceeded: r.exceeded !== undefined,
    timedOut: r.timedOut,
    aborted: r.aborted,
  };
  if (r.pid !== undefined) result.pid = r.pid;
  if (r.all) result.all = text ? utf8Text(r.all) : r.all;
  if (r.exceeded) exceededBy.set(result, r.exceeded);
  const failed = r.status.exitCode !== 0 || result.maxBufferExceeded || result.timedOut || result.aborted;
  if (failed && o.reject !== false) {
    throw new ExitError({ ...result, abortReason: r.abortReason, timeoutMs: r.timeoutMs, maxBuffer: max, maxBufferStream: r.exceeded });
  }
  return result;
}
