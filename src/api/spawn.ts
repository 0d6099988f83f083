/** spawn(): start a child and return at once; exec's outcome arrives later. */
import { backend } from "./backend.ts";
import type { ChannelRequest, Child, ChildRequest } from "./child.ts";
import { abortSignal, callArguments, describe } from "./check.ts";
import { command, rewritesCommand } from "./command.ts";
import type { Options } from "./options.ts";
import type { StdioDefaults } from "./plan.ts";
import { wantsPty } from "./pty.ts";
import { pumpsOf } from "./stdio.ts";
import type { PumpSpec } from "./stream-stdio.ts";
import { killSignalNumber } from "./signals.ts";
import { Subprocess, type SubprocessInit } from "./subprocess.ts";
import { nativeBackend, startPlanned } from "./native-backend.ts";
import { plan, type Plan } from "./plan.ts";
import { frozenArgs, givenOptions, keepSpawn, preparedSpawn, seenBefore, startPrepared } from "./spawn-cache.ts";
import { inheritedEnvStamp } from "./environment.ts";
import { verboseOf } from "./verbose.ts";
import { ownOptions } from "./own-options.ts";

const noPumps: readonly PumpSpec[] = [];
const spawnDefaults: StdioDefaults = { stdin: "ignore", stdout: "pipe", stderr: "inherit", extraPipes: true };

/** @internal Timers take at most 2 ** 31 - 1 ms (~24.8 days); larger ones fire at once. */
export const MAX_TIMER_MS = 0x7fffffff;

/** @internal A `timeout` or `forceKillAfter`, checked. */
export function duration(v: unknown, what: string, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0 || (!Number.isInteger(v) && v !== Infinity) ||
      (v > MAX_TIMER_MS && v !== Infinity)) {
    throw new TypeError(
      `${what} must be an integer number of milliseconds from 0 to ${MAX_TIMER_MS}, or Infinity, got ${describe(v)}`,
    );
  }
  return v;
}

/** @internal `timeout`, checked: 0 is none, as in node:child_process and execa (it killed at once). */
export function timeoutOf(v: unknown): number {
  return duration(v, "timeout", Infinity) || Infinity;
}

/** @internal maxBuffer if given; TypeError unless a positive integer or Infinity. */
export function maxBufferOf(o: Options): number | undefined {
  const max = o.maxBuffer;
  if (max !== undefined && (typeof max !== "number" || !(max > 0) || (!Number.isInteger(max) && max !== Infinity))) {
    throw new TypeError(`maxBuffer must be a positive number of bytes (an integer, or Infinity), got ${describe(max)}`);
  }
  return max;
}

/**
 * Peers' option names that this library spells otherwise. Unknown options
 * are otherwise ignored, and each of these would change what runs without
 * a word (`extendEnv: false` passed the whole environment on): [name, why,
 * the one value that asks for what happens here anyway]. An array, not an
 * object walked with for-in, which would walk a polluted Object.prototype too.
 */
const FOREIGN: readonly (readonly [string, string, unknown?])[] = [
  ["extendEnv", "execa's option: here it is clearEnv: true (for extendEnv: false)", true],
  ["stripFinalNewline", "execa's option: here output is kept as written; $`...`.text() strips one final newline", false],
  ["cancelSignal", "execa's option: here it is signal (an AbortSignal)"],
  ["inputFile", "execa's option: here it is stdin: { file }"],
  ["forceKillAfterDelay", "execa's option: here it is forceKillAfter (ms, or Infinity where execa says false)"],
  ["lines", "execa's option: here stdout is text; $`...`.lines() and subprocess.lines() split it", false],
  ["args", "Deno.Command's option: here the arguments are the second argument, spawn(file, args, options)"],
  ["cmd", "Bun.spawn's option: here spawn(file, args, options)"],
  ["onExit", "Bun.spawn's option: here await subprocess.exited"],
];

/** @internal A TypeError for an own option named as a peer names it (FOREIGN). */
export function foreignOptions(o: object): void {
  for (let i = 0; i < FOREIGN.length; i++) {
    const f = FOREIGN[i]!, k = f[0];
    if (!Object.hasOwn(o, k)) continue;
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined && v !== f[2]) throw new TypeError(`${k} is ${f[1]}`);
  }
}

/** spawn()'s own options, checked (the backend checks the rest). */
function checked(options: Options) {
  foreignOptions(options);
  const timeout = timeoutOf(options.timeout);
  const forceKillAfter = duration(options.forceKillAfter, "forceKillAfter", 5000);
  const killSignal = killSignalNumber(options.killSignal);
  const maxBuffer = maxBufferOf(options);
  const verbose = verboseOf(options);
  if (options.reject !== undefined && typeof options.reject !== "boolean") {
    throw new TypeError(`reject must be a boolean, got ${describe(options.reject)}`);
  }
  abortSignal(options.signal, "signal");
  return { timeout, forceKillAfter, killSignal, maxBuffer, verbose };
}

/** @internal Every TypeError spawn(file, args, options) would throw, nothing started. */
export function checkSpawn(file: string, args: readonly string[], options: Options): void {
  options = ownOptions(options);
  if (rewritesCommand(options)) ({ file, args, options } = command(file, args, options));
  checked(options);
  const pumped = pumpsOf(options, spawnDefaults);
  backend().check({ file, args, options: pumped?.options ?? options, defaults: spawnDefaults });
}

/** @internal spawn() with the stdio defaults of the caller (run() differs), and a worker's channel to make. */
export function spawnWith(
  file: string,
  args: readonly string[],
  options: Options,
  defaults: StdioDefaults,
  channel?: ChannelRequest,
  keep?: (plan: Plan, settings: SubprocessInit) => void,
): Subprocess {
  if (rewritesCommand(options)) ({ file, args, options } = command(file, args, options));
  const { timeout, forceKillAfter, killSignal, maxBuffer, verbose } = checked(options);
  // The user's streams are pumped by Subprocess whatever the backend: it gets pipes.
  const pumped = pumpsOf(options, defaults);
  if (pumped) options = pumped.options;
  const settings: SubprocessInit = {
    file,
    args,
    timeout: timeout === Infinity ? undefined : timeout,
    signal: options.signal,
    killSignal,
    forceKillAfter,
    ownGroup: options.setsid === true || options.processGroup === true || wantsPty(options),
    joinedGroup: typeof options.processGroup === "number" ? options.processGroup : undefined,
    reject: options.reject !== false,
    maxBuffer,
    verbose,
    pumps: pumped?.pumps ?? noPumps,
    extraFds: Array.isArray(options.stdio) && options.stdio.length > 3 ? options.stdio.length - 3 : 0,
  };
  const request: ChildRequest = channel === undefined ? { file, args, options, defaults } : { file, args, options, defaults, channel };
  if (options.signal?.aborted) request.killAtOnce = killSignal;
  let child: Child;
  if (keep && backend() === nativeBackend && !wantsPty(options)) {
    // The plan is made here, to be kept (spawn-cache.ts) with what it started.
    const p = plan(file, args, options, defaults);
    child = startPlanned(request, p);
    keep(p, settings);
  } else child = backend().start(request);
  return new Subprocess(child, settings);
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
  const prepared = preparedSpawn(file, a, b, spawnDefaults);
  if (prepared) return new Subprocess(startPrepared(prepared), prepared.settings);
  const [args, options] = callArguments(a, b);
  return spawnKeeping(file, args, givenOptions(a, b), ownOptions(options), spawnDefaults);
}

/**
 * @internal spawnWith(), keeping the call (spawn-cache.ts) when it is the
 * one before again. `given` is the caller's options object, `own` what
 * ownOptions() read of it.
 */
export function spawnKeeping(
  file: string, args: readonly string[], given: object | undefined, own: Options, defaults: StdioDefaults,
): Subprocess {
  if (!seenBefore(file, args, given, own)) return spawnWith(file, args, own, defaults);
  // The same call as the one before: kept, with what this one read once.
  const kept = frozenArgs(args), env = inheritedEnvStamp();
  return spawnWith(file, kept, own, defaults, undefined, (p, settings) => keepSpawn(file, kept, given, own, defaults, env, p, settings));
}

/**
 * @internal spawn() of a worker whose channel the runtime makes
 * (ChannelRequest): its stdio[channel.fd] is "pipe", which only the
 * portable backend of Node and Bun takes for it.
 */
export function spawnWithChannel(file: string, args: readonly string[], options: Options, channel: ChannelRequest): Subprocess {
  return spawnWith(file, args, ownOptions(options), spawnDefaults, channel);
}
