/**
 * runSync(): run() without an event loop. The options are checked and the
 * request planned as for run(); then one native call (asp_run_sync,
 * lib/c/sync.c) spawns the child, feeds its input, collects its output,
 * enforces the timeout and maxBuffer and reaps it, blocking this thread
 * only. The result is judged as run() judges it.
 */
import { Sync, SyncOpts, SyncResult } from "../ffi/abi.ts";
import type { Native } from "../ffi/symbols.ts";
import { command, rewritesCommand } from "./command.ts";
import { callArguments, describe } from "./check.ts";
import { commandLine, ExitError, SpawnError } from "./errors.ts";
import { errnoCode, errnoMessage } from "./errno.ts";
import { decodeExit, type ExitStatus } from "./exit-status.ts";
import { keepRead, type RunOptions } from "./options.ts";
import { KEEP_MAX, keptPlan, type Plan, plan, sameArgs, type StdioDefaults } from "./plan.ts";
import { inheritedEnvStamp } from "./environment.ts";
import { checkRunOptions, type RunResult, settle } from "./run.ts";
import { closePty } from "./pty.ts";
import { syncTerminal } from "./run-sync-pty.ts";
import { killSignalNumber } from "./signals.ts";
import { backend } from "./backend.ts";
import { nativeFor, planError } from "./native-backend.ts";
import { duration, foreignOptions, timeoutOf } from "./spawn.ts";
import { lostStatus } from "./native-child.ts";
import { ownOptions } from "./own-options.ts";
import { logRunSync, verboseOf } from "./verbose.ts";
import type { Backend, SyncOutcome } from "./child.ts";
import { type Source, sourceOf, syncSourceBytes } from "./stream-stdio.ts";
import { StreamError } from "./pump.ts";

const opts = new DataView(new ArrayBuffer(SyncOpts.SIZE));
const optsBytes = new Uint8Array(opts.buffer);
const result = new DataView(new ArrayBuffer(SyncResult.SIZE));
const resultBytes = new Uint8Array(result.buffer);
const none = new Uint8Array(0);
const encoder = new TextEncoder();
/** asp_sync_take copies at most this much per call. */
const TAKE_MAX = 0x7fffffff;
const INPUT_MAX = 0xffffffff;
/** Kept output up to this many bytes stays native until the next run. */
const KEEP_SMALL = 64 * 1024;

/**
 * Run a command to completion, blocking this thread, and collect its
 * output: run()'s result and errors (ExitError, SpawnError, TypeError),
 * thrown instead of rejected. Options that need an event loop (an
 * AbortSignal, a stream as stdin or stdout) are TypeErrors.
 */
export function runSync(file: string, args?: readonly string[], options?: RunOptions & { encoding?: "utf8" }): RunResult<string>;
export function runSync(file: string, args: readonly string[], options: RunOptions & { encoding: "buffer" }): RunResult<Uint8Array>;
export function runSync(file: string, options?: RunOptions & { encoding?: "utf8" }): RunResult<string>;
export function runSync(file: string, options: RunOptions & { encoding: "buffer" }): RunResult<Uint8Array>;
// A shared options object typed RunOptions: its encoding is not known here.
export function runSync(file: string, args?: readonly string[], options?: RunOptions): RunResult<string | Uint8Array>;
export function runSync(file: string, options?: RunOptions): RunResult<string | Uint8Array>;
export function runSync(file: string, a?: readonly string[] | RunOptions, b?: RunOptions): RunResult<string | Uint8Array> {
  const noOptions = b === undefined && (a === undefined || Array.isArray(a));
  const p = prepared;
  if (noOptions && p !== undefined && p.file === file && sameArgs(a ?? NO_ARGS, p.args) && inheritedEnvStamp() === p.env) {
    return runPrepared(p);
  }
  const [args, o] = callArguments(a, b);
  return runSyncWith(file, args, o, noOptions);
}

/**
 * The last call without options, prepared whole (the loop of a build
 * script runs the same command again): the same file and args, with the
 * inherited environment unchanged, skip the checks, the plan and the
 * command line. Between two runs those are cold (the child ran meanwhile)
 * and cost 10-15 us there; this costs a compare.
 */
interface Prepared {
  file: string;
  args: readonly string[];
  env: unknown;
  plan: Plan;
  native: Native;
  line: string;
  opts: Uint8Array;
}
let prepared: Prepared | undefined;
const NO_ARGS: readonly string[] = Object.freeze([]);
const NO_OPTIONS: RunOptions = Object.freeze(Object.create(null));
const DEFAULT_MAX = checkRunOptions(NO_OPTIONS);

function runPrepared(p: Prepared): RunResult<string | Uint8Array> {
  const t0 = performance.now();
  const r = p.native.asp_run_sync(p.plan.request, p.plan.request.length, none, 0, p.opts, resultBytes);
  const durationMs = performance.now() - t0;
  return judged(r, { file: p.file, o: NO_OPTIONS, max: DEFAULT_MAX, timeout: Infinity, plan: p.plan, native: p.native, line: p.line, durationMs, verbose: verboseOf(NO_OPTIONS) });
}

/** A call under way: what complete() needs to judge it. */
interface Call {
  file: string;
  o: RunOptions;
  max: number;
  timeout: number;
  plan: Plan;
  native: Native;
  line: string;
  /** From the checks to the native call's return. */
  durationMs: number;
  /** Log the run (`verbose`, checked before it). */
  verbose: boolean;
}

/** A sink, of any runtime: it could only be fed by an event loop. */
function isStream(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string | symbol, unknown>;
  return typeof s.getReader === "function" || typeof s.getWriter === "function" || typeof s.pipe === "function" ||
    typeof s.write === "function" || typeof s[Symbol.asyncIterator] === "function";
}

const DEFAULTS: StdioDefaults = Object.freeze({ stdin: "ignore", stdout: "pipe", stderr: "pipe" });
const INPUT_DEFAULTS: StdioDefaults = Object.freeze({ stdin: "pipe", stdout: "pipe", stderr: "pipe" });

/**
 * The options runSync() can serve without an event loop: stdin given as
 * bytes or chunks (as run() takes it) becomes `input`, read now; a source
 * or sink that only an event loop can move, and a signal, are TypeErrors.
 */
function withoutEventLoop(o: RunOptions, shown: () => string): RunOptions {
  if (typeof o !== "object" || o === null) return o; // plan() says what is wrong
  if (o.signal !== undefined) {
    throw new TypeError("signal: runSync() cannot be aborted (an AbortSignal needs the event loop); use timeout, or run()");
  }
  const stdio = Array.isArray(o.stdio) ? o.stdio : [];
  for (const [v, label] of [[o.stdout, "stdout"], [o.stderr, "stderr"], ...Array.from(stdio, (v, fd) => [v, `stdio[${fd}]`])] as const) {
    if (label !== "stdio[0]" && isStream(v)) throw new TypeError(`${label}: a stream needs the event loop; use run()`);
  }
  const listed = stdio.length > 0 && stdio[0] !== undefined; // not Object.prototype[0]
  const [v, label] = listed ? [stdio[0], "stdio[0]"] : [o.stdin, "stdin"];
  // A word, a number, a file or another fd; with input too, plan() names the conflict.
  const source = o.input === undefined && typeof v === "object" && v !== null ? sourceOf(v, label) : undefined;
  if (!source) return o;
  const input = readNow(source, label, shown);
  return ownOptions(o, listed ? { input, stdio: ["pipe", ...stdio.slice(1)] as RunOptions["stdio"] } : { input, stdin: undefined });
}

/** The command line a StreamError names, as run() shows it (after shell and preferLocal): made only for the error. */
function shownAs(file: string, args: readonly string[], o: RunOptions): () => string {
  return () => {
    let c: { file: string; args: readonly string[] } = { file, args };
    try {
      if (rewritesCommand(o)) c = command(file, args, o);
    } catch {
      // a bad shell or preferLocal: its TypeError comes later, the stream's error first
    }
    return commandLine(c.file, c.args);
  };
}

/** A source read now, where run() pumps it: a failing iterable (or a chunk that is none) is run()'s StreamError. */
function readNow(source: Source, label: string, shown: () => string): Uint8Array {
  try {
    return syncSourceBytes(source, label);
  } catch (e) {
    if (source.kind !== "sync") throw e; // a kind runSync() cannot read: a TypeError of the option
    throw new StreamError(label, "source", e, shown());
  }
}

function inputBytes(input: unknown, shown: () => string): Uint8Array {
  if (input === undefined) return none;
  const source = typeof input === "string" ? undefined : sourceOf(input, "input");
  if (typeof input !== "string" && !source) {
    throw new TypeError(`input must be a string, bytes (an ArrayBufferView or ArrayBuffer) or an iterable of chunks for runSync(), got ${describe(input)}`);
  }
  const bytes = source ? readNow(source, "input", shown) : encoder.encode(input as string);
  if (bytes.length > INPUT_MAX) throw new TypeError(`input must be at most ${INPUT_MAX} bytes, got ${bytes.length}`);
  return bytes;
}

/** The bytes asp_run_sync kept of a stream (they stay native until taken). */
function take(native: Native, stream: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let off = 0; off < size;) {
    const n = native.asp_sync_take(stream, off ? out.subarray(off) : out, Math.min(size - off, TAKE_MAX));
    if (n <= 0) break;
    off += n;
  }
  return out;
}

function runSyncWith(file: string, args: readonly string[], o: RunOptions, noOptions: boolean): RunResult<string | Uint8Array> {
  o = ownOptions(o);
  o = withoutEventLoop(o, shownAs(file, args, o));
  const max = checkRunOptions(o);
  const t0 = performance.now();
  if (rewritesCommand(o)) ({ file, args, options: o } = command(file, args, o));
  const defaults = o.input !== undefined ? INPUT_DEFAULTS : DEFAULTS;
  foreignOptions(o);
  const timeout = timeoutOf(o.timeout);
  const killSignal = killSignalNumber(o.killSignal);
  const forceKillAfter = duration(o.forceKillAfter, "forceKillAfter", 5000);
  const input = inputBytes(o.input, () => commandLine(file, args));
  const verbose = verboseOf(o);
  const b = backend();
  if (b.runSync) return runtimeSync(b as SyncBackend, { file, args, options: o, defaults, input: o.input === undefined ? undefined : input, timeout, killSignal, max, verbose, t0 });
  const terminal = syncTerminal(() => nativeFor(file, args), o, file, args);
  // The environment the request is built from, read before the plan (another
  // thread may change a shared one while the child runs).
  const env = noOptions && terminal === undefined ? inheritedEnvStamp() : undefined;
  let p: ReturnType<typeof plan>;
  try {
    p = plan(file, args, terminal?.options ?? o, defaults);
    const extra = p.pipes.find((fd) => fd > 2);
    if (extra !== undefined) throw new TypeError(`stdio[${extra}]: runSync() collects stdout and stderr only; use run()`);
  } catch (e) {
    if (terminal) closePty(nativeFor(file, args), terminal.pair);
    throw e;
  }
  const native = nativeFor(file, args);

  writeOpts(o, p, terminal, { timeout, forceKillAfter, max, killSignal });
  const r = native.asp_run_sync(p.request, p.request.length, input, input.length, optsBytes, resultBytes);
  const durationMs = performance.now() - t0;
  const line = commandLine(file, args);
  if (env !== undefined) prepare(file, args, env, p, native, line);
  return judged(r, { file, o, max, timeout, plan: p, native, line, durationMs, verbose });
}

/** A backend whose runtime has a sync API of its own (the portable backend). */
type SyncBackend = Backend & Required<Pick<Backend, "runSync">>;

/** runSync() through that API. */
function runtimeSync(
  b: SyncBackend,
  c: { file: string; args: readonly string[]; options: RunOptions; defaults: StdioDefaults; input: Uint8Array | undefined; timeout: number; killSignal: number; max: number; verbose: unknown; t0: number },
): RunResult<string | Uint8Array> {
  const { file, args, options: o, timeout, killSignal, max, verbose, t0 } = c;
  if (o.all) throw new TypeError(`all is not available to runSync() on the ${b.name} backend (its runtime's sync API keeps stdout and stderr apart); use run()`);
  const timeoutMs = timeout === Infinity ? undefined : timeout;
  const line = commandLine(file, args);
  let r: SyncOutcome;
  try {
    r = b.runSync({ file, args, options: o, defaults: c.defaults, input: c.input, timeout: timeoutMs, killSignal, maxBuffer: max });
  } catch (e) {
    if (verbose && e instanceof SpawnError) logRunSync(undefined, line, e, performance.now() - t0);
    throw e;
  }
  const durationMs = performance.now() - t0;
  if (verbose) logRunSync(undefined, line, r.status, durationMs);
  return settle(o, max, { ...r, all: undefined, durationMs, command: line, aborted: false, timeoutMs });
}

/** asp_run_sync's options (struct asp_sync_opts), in the one buffer kept for them. */
function writeOpts(o: RunOptions, p: Plan, terminal: ReturnType<typeof syncTerminal>, t: { timeout: number; forceKillAfter: number; max: number; killSignal: number }): void {
  opts.setFloat64(SyncOpts.timeout_ms, t.timeout === Infinity ? -1 : t.timeout, true);
  opts.setFloat64(SyncOpts.force_kill_after_ms, t.forceKillAfter === Infinity ? -1 : t.forceKillAfter, true);
  opts.setFloat64(SyncOpts.max_buffer, t.max, true);
  opts.setInt32(SyncOpts.kill_signal, t.killSignal, true);
  // A terminal's program leads a session: killSignal goes to its group, as run() sends it.
  const ownGroup = o.setsid === true || o.processGroup === true || terminal !== undefined;
  const whole = (o as { [keepRead]?: unknown })[keepRead] === true ? Sync.KEEP_READ : 0;
  opts.setUint32(SyncOpts.flags, (ownGroup ? Sync.GROUP : 0) | (o.all ? Sync.KEEP_ALL : 0) | whole, true);
  opts.setInt32(SyncOpts.stdin_pipe, p.pipes.indexOf(0), true);
  opts.setInt32(SyncOpts.stdout_pipe, p.pipes.indexOf(1), true);
  opts.setInt32(SyncOpts.stderr_pipe, p.pipes.indexOf(2), true);
  // asp_run_sync closes the pair, whatever it returns.
  opts.setInt32(SyncOpts.pty_stream, terminal?.stream ?? 0, true);
  opts.setInt32(SyncOpts.pty_master, terminal?.pair.master ?? -1, true);
  opts.setInt32(SyncOpts.pty_slave, terminal?.pair.slave ?? -1, true);
  opts.setUint32(SyncOpts.reserved, 0, true);
}

/** Keeps a call without options for the next one (runSync's fast path). */
function prepare(file: string, args: readonly string[], env: unknown, plan: Plan, native: Native, line: string): void {
  // Not reused: a request the plan does not keep either (large).
  if (plan.request.length > KEEP_MAX) {
    prepared = undefined;
    return;
  }
  prepared = { file, args: Object.freeze(args.slice()), env, plan: keptPlan(plan), native, line, opts: optsBytes.slice() };
}

/** complete(), and `verbose`'s lines for a child that was started (as run() logs it: its exit, or why it never ran). */
function judged(r: number, c: Call): RunResult<string | Uint8Array> {
  const pid = result.getInt32(SyncResult.pid, true);
  if (pid === 0 || !c.verbose) return complete(r, c);
  let end: ExitStatus | Error = decodeExit(result);
  try {
    return complete(r, c);
  } catch (e) {
    if (!(e instanceof ExitError)) end = e as Error;
    throw e;
  } finally {
    logRunSync(pid, c.line, end, c.durationMs);
  }
}

/** Judges what asp_run_sync returned: the result, or the error thrown. */
function complete(r: number, c: Call): RunResult<string | Uint8Array> {
  const { file, o, max, timeout, plan: p, native, line, durationMs } = c;
  if (r < 0 && result.getInt32(SyncResult.pid, true) === 0) {
    throw planError(-r, p, result.getInt32(SyncResult.step, true), result.getInt32(SyncResult.detail, true), line, file, o);
  }
  if (r < 0) {
    // The child ran, but its output could not be kept (ENOMEM) or its pipes
    // watched: it was killed and reaped.
    native.asp_sync_free();
    const code = errnoCode(-r);
    throw Object.assign(new Error(`runSync(): the child was killed: its output could not be collected (${code}: ${errnoMessage(-r)}): ${line}`), {
      code,
      errno: -r,
    });
  }
  const outLen = result.getFloat64(SyncResult.stdout_len, true), errLen = result.getFloat64(SyncResult.stderr_len, true);
  let stdout: Uint8Array, stderr: Uint8Array, all: Uint8Array | undefined;
  try {
    stdout = take(native, Sync.STDOUT, outLen);
    stderr = take(native, Sync.STDERR, errLen);
    if (o.all) all = take(native, Sync.ALL, result.getFloat64(SyncResult.all_len, true));
  } finally {
    // A small output is left for the thread's next asp_run_sync (or its
    // end) to free: one native call less. Nothing kept, nothing to free.
    if (outLen + errLen > KEEP_SMALL) native.asp_sync_free();
  }
  const err = result.getInt32(SyncResult.err, true);
  if (err) {
    throw planError(err, p, result.getInt32(SyncResult.step, true), result.getInt32(SyncResult.detail, true), line, file, o);
  }
  const lost = result.getInt32(SyncResult.wait_err, true);
  if (lost) throw lostStatus(lost, line);
  const exceeded = result.getInt32(SyncResult.exceeded, true);
  return settle(o, max, {
    stdout,
    stderr,
    all,
    status: decodeExit(result),
    durationMs,
    command: line,
    pid: result.getInt32(SyncResult.pid, true),
    exceeded: exceeded === Sync.STDOUT ? "stdout" : exceeded === Sync.STDERR ? "stderr" : undefined,
    timedOut: (result.getUint32(SyncResult.flags, true) & Sync.TIMED_OUT) !== 0,
    aborted: false,
    timeoutMs: timeout === Infinity ? undefined : timeout,
  });
}
