/** spawn(): start a child and return at once; exec's outcome arrives later. */
import { type Channel, getChannel } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import { command, rewritesCommand } from "./command.ts";
import { commandLine, SpawnError } from "./errors.ts";
import type { Options } from "./options.ts";
import { plan, type StdioDefaults } from "./plan.ts";
import { Out } from "../ffi/abi.ts";
import { signalNumber } from "./signals.ts";
import { stepName } from "./steps.ts";
import { Subprocess } from "./subprocess.ts";
import { verboseOf } from "./verbose.ts";

/** stdin, stdout, stderr and the socketpairs of stdio[3+]. */
const OUT_SLOTS = Out.MAX;
const out = new Int32Array(OUT_SLOTS);
const outBytes = new Uint8Array(out.buffer);

const spawnDefaults: StdioDefaults = { stdin: "ignore", stdout: "pipe", stderr: "inherit", extraPipes: true };

/** Timers take at most 2 ** 31 - 1 ms (~24.8 days); larger ones fire at once. */
const MAX_TIMER_MS = 0x7fffffff;

function duration(v: unknown, what: string, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0 || (!Number.isInteger(v) && v !== Infinity) ||
      (v > MAX_TIMER_MS && v !== Infinity)) {
    throw new TypeError(
      `${what} must be an integer number of milliseconds from 0 to ${MAX_TIMER_MS}, or Infinity, got ${String(v)}`,
    );
  }
  return v;
}

/** @internal maxBuffer if given; TypeError unless a positive number. */
export function maxBufferOf(o: Options): number | undefined {
  const max = o.maxBuffer;
  if (max !== undefined && (typeof max !== "number" || !(max > 0))) {
    throw new TypeError(`maxBuffer must be a positive number of bytes, got ${typeof max === "number" ? max : typeof max}`);
  }
  return max;
}

/** The library and this context's reactor channel; failing to get them for
 * want of fds is a SpawnError EMFILE like any other failure to create the
 * child. */
function channelFor(file: string, args: readonly string[]): Channel {
  try {
    loadNative();
    return getChannel();
  } catch (e) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno !== "number") throw e;
    throw new SpawnError(errno, "spawn", commandLine(file, args));
  }
}

/** @internal spawn() with the stdio defaults of the caller (run() differs). */
export function spawnWith(
  file: string,
  args: readonly string[],
  options: Options,
  defaults: StdioDefaults,
): Subprocess {
  if (rewritesCommand(options)) ({ file, args, options } = command(file, args, options));
  const p = plan(file, args, options, defaults);
  const timeout = duration(options.timeout, "timeout", Infinity);
  const forceKillAfter = duration(options.forceKillAfter, "forceKillAfter", 5000);
  const killSignal = signalNumber(options.killSignal ?? "SIGTERM", "killSignal");
  const maxBuffer = maxBufferOf(options);
  const verbose = verboseOf(options);
  if (options.reject !== undefined && typeof options.reject !== "boolean") {
    throw new TypeError(`reject must be a boolean, got ${typeof options.reject}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError("signal must be an AbortSignal");
  }
  const channel = channelFor(file, args); // no tuple allocated per spawn
  const native = loadNative();
  // A pipe of ours handed to this child: make it blocking, as stdio is.
  for (const reader of p.handovers) native.asp_set_nonblock(reader.fd, 0);
  const r = native.asp_spawn(p.request, p.request.length, outBytes, OUT_SLOTS);
  if (r < 0) {
    // The stream we were handed is still its owner's: non-blocking again.
    for (const reader of p.handovers) native.asp_set_nonblock(reader.fd, 1);
    const step = out[Out.STEP]!;
    const paths = { cwd: options.cwd, cgroup: options.cgroup, opened: p.paths[step] };
    throw new SpawnError(-r, stepName(p.steps, step, out[Out.DETAIL]!), commandLine(file, args), file, paths);
  }
  // The child has the pipes it was handed (asp_spawn duplicated them when
  // it shares our fd table): ours go, so the writer sees EOF/EPIPE from the
  // reader child alone.
  for (const reader of p.handovers) reader.close();
  return new Subprocess({
    native,
    channel,
    pid: out[Out.PID]!,
    pidfd: out[Out.PIDFD]!,
    statusFd: out[Out.STATUS]!,
    pipes: p.pipes.map((childFd, i) => [childFd, out[Out.PIPES + i]!]),
    file,
    args,
    steps: p.steps,
    paths: p.paths,
    timeout: timeout === Infinity ? undefined : timeout,
    signal: options.signal,
    killSignal,
    forceKillAfter,
    ownGroup: options.setsid === true || options.processGroup === true,
    joinedGroup: typeof options.processGroup === "number" ? options.processGroup : undefined,
    cgroup: options.cgroup,
    cwd: options.cwd,
    reject: options.reject !== false,
    maxBuffer,
    verbose,
  });
}

/**
 * Start `file` with `args` and return at once, without waiting for exec.
 * A file without "/" is looked up in the PATH of the child's environment.
 * Throws TypeError for bad input and SpawnError when no child could be
 * created; a failure in the child (ENOENT, a pre-exec step) rejects
 * `spawned` and `exited` instead.
 */
export function spawn(file: string, args?: readonly string[], options?: Options): Subprocess;
export function spawn(file: string, options?: Options): Subprocess;
export function spawn(file: string, a?: readonly string[] | Options, b?: Options): Subprocess {
  const [args, options] = Array.isArray(a) ? [a, b ?? {}] : [[], (a as Options | undefined) ?? b ?? {}];
  return spawnWith(file, args as readonly string[], options, spawnDefaults);
}
