/**
 * run() for a chain of commands (`$`...pipe()): stage i's stdout is stage
 * i+1's stdin — a kernel pipe, as pipeline() makes — the last stage's
 * output is collected as run() collects it, and every stage's stderr too.
 * The status is `set -o pipefail`'s: the rightmost stage that failed.
 */
import { atCallSite, ExitError, SpawnError } from "./errors.ts";
import type { ExitStatus } from "./exit-status.ts";
import type { RunOptions } from "./options.ts";
import { checkRunOptions, exceededStream, type RunResult, runWith } from "./run.ts";
import { spawnWith } from "./spawn.ts";
import { Collector, concat, Interleaved, MiB } from "./output.ts";
import { outputDecoder } from "./text.ts";
import { internals, type Subprocess } from "./subprocess.ts";
import { ownOptions } from "./own-options.ts";
import { checkLink, killStages, stopTogether } from "./pipeline.ts";

export interface ChainStage {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

/** How one stage ended, as much as run() would say of it. */
interface Outcome {
  exitCode: number | null;
  signal: string | null;
  failed: boolean;
  reject: boolean;
  timedOut: boolean;
  aborted: boolean;
  abortReason?: unknown;
  maxBufferExceeded: boolean;
  maxBufferStream: "stdout" | "stderr" | undefined;
  command: string;
  stderr: string | Uint8Array;
}

/** A stage before the last: only its stderr is ours to read. */
async function head(proc: Subprocess, o: RunOptions, max: number, all: Interleaved | undefined): Promise<Outcome> {
  const inner = proc[internals];
  let exceeded = false;
  const err: Collector = new Collector(max, () => {
    exceeded = true;
    inner.terminate();
  }, all);
  const [status] = await Promise.all([proc.exited, inner.stderr?.drain(err.add)]) as [ExitStatus, ...unknown[]];
  const timedOut = inner.timedOut, aborted = inner.aborted;
  return {
    exitCode: status.exitCode,
    signal: status.signal,
    failed: status.exitCode !== 0 || exceeded || timedOut || aborted,
    reject: o.reject !== false,
    timedOut,
    aborted,
    abortReason: inner.abortReason,
    maxBufferExceeded: exceeded,
    maxBufferStream: exceeded ? "stderr" : undefined, // a head's stdout is the next stage's
    command: proc.command,
    stderr: err.bytes(),
  };
}


export async function runChain(stages: readonly ChainStage[]): Promise<RunResult<string | Uint8Array>> {
  stages.forEach(({ options: o }, i) => {
    if (typeof o !== "object" || o === null) throw new TypeError(`stage ${i}: options must be an object`);
    checkLink(o, i, stages.length, "stage");
  });
  // Every stage's own run() options, before anything is spawned.
  const maxes = stages.map((s) => checkRunOptions(s.options));
  const t0 = performance.now();
  // The last stage's `all`: its stdout, and every stage's stderr, as read.
  const all = stages[stages.length - 1]!.options.all ? new Interleaved() : undefined;
  const { heads, last, procs } = startStages(stages, maxes, all);
  const stoppedFor = stopTogether(procs);
  const settled = await Promise.allSettled([...heads, last]);
  const failure = settled.find((s) => s.status === "rejected" && s.reason instanceof SpawnError) ??
    settled.find((s) => s.status === "rejected");
  if (failure) throw atCallSite((failure as PromiseRejectedResult).reason);
  const outcomes = settled.slice(0, -1).map((s) => (s as PromiseFulfilledResult<Outcome>).value);
  const r = (settled.at(-1) as PromiseFulfilledResult<RunResult<string | Uint8Array>>).value;
  // Stages killed for another's stop are not blamed (that one is).
  for (const i of stoppedFor) if (i < outcomes.length) outcomes[i]!.failed = false;
  return chainResult(stages, outcomes, r, procs.at(-1)![internals].abortReason, all, t0);
}

/** Every stage spawned, each reading the one before: the heads collected as head() does, the last run() whole. */
function startStages(stages: readonly ChainStage[], maxes: number[], all: Interleaved | undefined) {
  const procs: Subprocess[] = [];
  const heads: Promise<Outcome>[] = [];
  const lastIndex = stages.length - 1;
  let last: Promise<RunResult<string | Uint8Array>>;
  const killAll = () => killStages(procs);
  try {
    for (let i = 0; i < lastIndex; i++) {
      const { file, args, options: o } = stages[i]!;
      const prev = procs[i - 1];
      // The link is given, so a stdio shorthand ("inherit") fills in only the rest.
      const proc = spawnWith(file, args, ownOptions(o, { ...(prev ? { stdin: prev.stdout! } : {}), stdout: "pipe" }), {
        stdin: "ignore", // `input` takes its place
        stdout: "pipe",
        stderr: "pipe",
      });
      procs.push(proc);
      heads.push(head(proc, o, maxes[i]!, all));
    }
    const { file, args, options: o } = stages[lastIndex]!;
    last = runWith(file, args, ownOptions(o, { stdin: procs[lastIndex - 1]!.stdout!, reject: false }), (p) => procs.push(p), all);
  } catch (e) {
    killAll();
    for (const h of heads) h.catch(() => {}); // their failure is not the news
    throw e;
  }
  // A stage that never ran leaves the chain without a writer or a reader:
  // the others could wait for ever (`tail -f`), so they die at once, as in
  // pipeline(). (A spawn failure in the child rejects only here.)
  for (const h of heads) h.catch(killAll);
  last.catch(killAll);
  return { heads, last, procs };
}

/**
 * The chain's result: the last stage's stdout, every stage's stderr, the
 * status of the last stage that failed; an ExitError for the last one that
 * failed with `reject` on.
 */
function chainResult(
  stages: readonly ChainStage[], outcomes: Outcome[], r: RunResult<string | Uint8Array>, abortReason: unknown, all: Interleaved | undefined, t0: number,
): RunResult<string | Uint8Array> {
  const o = stages[stages.length - 1]!.options;
  const failed = r.exitCode !== 0 || r.maxBufferExceeded || r.timedOut || r.aborted;
  outcomes.push({ ...r, failed, reject: o.reject !== false, abortReason, maxBufferStream: exceededStream(r) });
  const text = o.encoding !== "buffer";
  const decoder = outputDecoder();
  const stderr = text
    ? outcomes.map((x) => (typeof x.stderr === "string" ? x.stderr : decoder.decode(x.stderr))).join("")
    : concat(outcomes.map((x) => x.stderr as Uint8Array), outcomes.reduce((n, x) => n + x.stderr.length, 0));
  const culprit = (reject: boolean) => {
    for (let i = outcomes.length - 1; i >= 0; i--) if (outcomes[i]!.failed && (!reject || outcomes[i]!.reject)) return i;
    return -1;
  };
  const status = outcomes[culprit(false)] ?? outcomes.at(-1)!;
  const result: RunResult<string | Uint8Array> = {
    stdout: r.stdout,
    stderr,
    exitCode: status.exitCode,
    signal: status.signal,
    durationMs: performance.now() - t0,
    command: outcomes.map((x) => x.command).join(" | "),
    // The stage whose output this is.
    ...(r.pid !== undefined ? { pid: r.pid } : {}),
    maxBufferExceeded: outcomes.some((x) => x.maxBufferExceeded),
    timedOut: outcomes.some((x) => x.timedOut),
    aborted: outcomes.some((x) => x.aborted),
    // Read after every stage settled: a head's stderr can end after the last stage.
    ...(all ? { all: text ? decoder.decode(all.bytes()) : all.bytes() } : {}),
  };
  const blame = culprit(true);
  if (blame < 0) return result;
  const b = outcomes[blame]!, bo = stages[blame]!.options;
  throw new ExitError({
    ...result,
    exitCode: b.exitCode,
    signal: b.signal,
    timedOut: b.timedOut,
    aborted: b.aborted,
    abortReason: b.abortReason,
    maxBufferExceeded: b.maxBufferExceeded,
    maxBufferStream: b.maxBufferStream,
    timeoutMs: bo.timeout,
    maxBuffer: bo.maxBuffer ?? 64 * MiB,
  });
}
