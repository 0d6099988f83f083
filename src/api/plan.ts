/**
 * Turns (file, args, options) into a request for the native spawn: checks
 * every input first (a TypeError before anything is spawned), then encodes
 * the strings and the steps of steps.ts in its order, and remembers each
 * step's name for error messages.
 */
import { RequestWriter } from "../ffi/request.ts";
import { describe, noNul } from "./check.ts";
import { inheritedEnvStamp, writeEnvironment, writeInheritedEnvironment } from "./environment.ts";
import type { PipeReader } from "./child.ts";
import { type Options, shFallback, socketStdio } from "./options.ts";
import type { FdMap, StdioDefaults } from "./stdio.ts";
import type { PumpSpec } from "./stream-stdio.ts";
import { fdMapIndex, steps } from "./steps.ts";
import { unrefTimeout } from "./timers.ts";
import { controllingFd, type PtyMarked } from "./pty.ts";

export type { StdioDefaults } from "./stdio.ts";

export interface Plan {
  request: Uint8Array;
  /** Name of each encoded step, by index (for SpawnError.step). */
  steps: string[];
  /** The path a step works on, by index (file opens), for SpawnError's message. */
  paths: (string | undefined)[];
  /** Child fds that got a pipe, in the order asp_spawn returns their parent ends. */
  pipes: number[];
  /** Pipes of other children handed to this one (our ends close after the spawn). */
  handovers: PipeReader[];
  /** Each step's checked value, by index in steps.ts (undefined: no step). */
  values: unknown[];
  /** Pipes the library pumps from or into the user's streams (runSync's input). */
  pumps: PumpSpec[];
}

const writer = new RequestWriter();
/** An option's getter that spawns while we encode gets a writer of its own. */
let writing = false;

/** @internal The request buffer's size in bytes (tests). */
export function requestCapacity(): number {
  return writer.capacity;
}

/**
 * A request buffer grown past 1 MiB by a large request goes back to a small
 * one once no large request has used it for this long, rather than stay for
 * the life of the context. Until then back-to-back large spawns reuse it: a
 * new one would cost an allocation of up to 128 MiB and its zeroing each
 * time — and, near RLIMIT_AS, a failed ArrayBuffer allocation aborts V8,
 * where the stack slot's failed mmap is a clean SpawnError (hard-memory).
 */
const SHRINK_AFTER_MS = 10_000;
let lastLarge = 0;
let shrinkPending = false;

function shrinkWhenIdle(): void {
  if (!writer.large) return;
  // Small requests meanwhile do not keep it.
  if (writer.largeRequest || !shrinkPending) lastLarge = performance.now();
  if (shrinkPending) return;
  shrinkPending = true;
  const check = () => {
    const idle = performance.now() - lastLarge;
    if (idle < SHRINK_AFTER_MS) return void unrefTimeout(check, Math.ceil(SHRINK_AFTER_MS - idle));
    shrinkPending = false;
    writer.shrink();
  };
  unrefTimeout(check, SHRINK_AFTER_MS);
}

export function plan(file: unknown, args: unknown, options: Options, defaults: StdioDefaults): Plan {
  if (writing) return encode(new RequestWriter(), file, args, options, defaults);
  writing = true;
  try {
    return encode(writer, file, args, options, defaults);
  } finally {
    writing = false;
    // The native side copies the request during the spawn (or it is never
    // sent): the Plan's view keeps the old bytes alive until then.
    shrinkWhenIdle();
  }
}

/** Per step, the value to encode (undefined: no step). Every check runs:
 * that measured cheaper than looking the step's options up first. */
function checkSteps(o: Options, defaults: StdioDefaults): unknown[] {
  const values: unknown[] = new Array(steps.length);
  for (let i = 0; i < steps.length; i++) values[i] = steps[i]!.check(o, defaults, values);
  return values;
}

/**
 * The steps of the usual request — options that name stdio words, and
 * perhaps `cleanup` and options that are no step (an environment) — are
 * the same every time, and so are the checks
 * that make them: they are taken from here, encoded once. Between spawns
 * the caches are cold (the child ran meanwhile), and the 18 checks and
 * their encoding cost 15-40 us a spawn there (1.2 us hot); this costs a
 * key and a copy. Every check is a pure function of the options and the
 * defaults, so the key holds both whole.
 */
interface CachedSteps {
  values: readonly unknown[];
  bytes: Uint8Array;
  count: number;
  names: string[];
  paths: (string | undefined)[];
}
const stepCache = new Map<number, CachedSteps>();
/** Few keys exist (stdio words x defaults); a bound all the same. */
const STEP_CACHE_MAX = 64;

/** The stdio words a key can hold; any other value is planned the long way. */
const WORDS = new Map([["pipe", 1], ["ignore", 2], ["inherit", 3]]);
const word = (v: unknown) => (typeof v === "string" ? WORDS.get(v) ?? -1 : v === undefined ? 0 : -1);

/**
 * Options no check reads (each is read on every spawn where it is used:
 * writeEnvironment, encode's argv0, Subprocess's timers): they leave the
 * key alone. test/cases/steps.test.ts holds each to that.
 */
export const NOT_STEPS: ReadonlySet<string> = new Set(["env", "clearEnv", "argv0", "timeout", "forceKillAfter"]);

/** `stdio` as a number of the key: absent 0, a word 1-3, an array of at most 3 words 4-259; -1 otherwise. */
function stdioCode(v: unknown): number {
  if (!Array.isArray(v)) return word(v);
  if (v.length > 3) return -1;
  let code = v.length;
  for (let i = 0; i < 3; i++) {
    const w = i < v.length ? word(v[i]) : 0;
    if (w < 0) return -1;
    code = code * 4 + w;
  }
  return 4 + code;
}

/**
 * The cache's key for these options and defaults (a number: a string key
 * would be built and hashed each spawn), or -1 when the options name
 * anything else than stdio words, `cleanup` and NOT_STEPS, or carry the
 * pty step's marker.
 */
function stepsKey(o: Options, d: StdioDefaults): number {
  let stdin = 0, stdout = 0, stderr = 0, stdio = 0, cleanup = 0;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (NOT_STEPS.has(k)) continue;
    else if (k === "stdin" && (stdin = word(v)) > 0) continue;
    else if (k === "stdout" && (stdout = word(v)) > 0) continue;
    else if (k === "stderr" && (stderr = word(v)) > 0) continue;
    else if (k === "stdio" && (stdio = stdioCode(v)) > 0) continue;
    else if (k === "cleanup" && typeof v === "boolean" && (cleanup = v ? 2 : 1)) continue;
    return -1;
  }
  const dIn = word(d.stdin), dOut = word(d.stdout), dErr = word(d.stderr);
  if (dIn <= 0 || dOut <= 0 || dErr <= 0 || (o as PtyMarked)[controllingFd] !== undefined) return -1;
  const defaults = (((dIn * 4 + dOut) * 4 + dErr) * 2 + (d.extraPipes === true ? 1 : 0)) * 2 + (d.socketPipes === true ? 1 : 0);
  return ((((defaults * 4 + stdin) * 4 + stdout) * 4 + stderr) * 260 + stdio) * 3 + cleanup;
}

const WORD_NAMES = [undefined, "pipe", "ignore", "inherit"] as const;

/**
 * The options a key stands for, rebuilt from it: a miss is checked on
 * these, not on the caller's, so what is cached is what the key says even
 * when reading the caller's options again would give something else (a
 * getter on a stdio array's element). NOT_STEPS are left out: no check
 * reads them.
 */
function keyOptions(key: number): Options {
  const o: Record<string, unknown> = Object.create(null);
  const cleanup = key % 3;
  let stdio = Math.floor(key / 3) % 260, rest = Math.floor(key / 780);
  for (const name of ["stderr", "stdout", "stdin"]) {
    if (rest % 4) o[name] = WORD_NAMES[rest % 4];
    rest = Math.floor(rest / 4);
  }
  if (cleanup) o.cleanup = cleanup === 2;
  if (stdio > 0 && stdio < 4) o.stdio = WORD_NAMES[stdio];
  else if (stdio >= 4) {
    const words: unknown[] = [];
    stdio -= 4;
    for (let i = 2; i >= 0; i--, stdio = Math.floor(stdio / 4)) words[i] = WORD_NAMES[stdio % 4];
    words.length = stdio; // what is left is the array's length
    o.stdio = words;
  }
  return o as Options;
}

/** Frozen: a consumer that changed a cached Plan's arrays would change every later spawn's. */
function remember(key: number, w: RequestWriter, values: unknown[], names: string[], paths: (string | undefined)[]): void {
  if (stepCache.size >= STEP_CACHE_MAX) return;
  const map = values[fdMapIndex] as FdMap;
  for (const list of Object.values(map)) Object.freeze(list);
  Object.freeze(map);
  const { bytes, count } = w.stepBytes();
  stepCache.set(key, { values: Object.freeze(values), bytes, count, names: Object.freeze(names) as string[], paths: Object.freeze(paths) as (string | undefined)[] });
}

/**
 * The last request planned from the step cache, whole. The same command
 * again — file and args, the same cached steps, no env, clearEnv or argv0
 * of its own, and the inherited environment unchanged — is the same bytes:
 * its Plan (frozen) is given again, and the strings are not copied again.
 */
interface LastRequest {
  key: number;
  sh: boolean;
  file: string;
  args: readonly string[];
  env: unknown;
  plan: Plan;
}
let last: LastRequest | undefined;
/** @internal Larger requests are not kept (here or by runSync): a 1 MiB argument list would stay alive. */
export const KEEP_MAX = 4096;

/** @internal Whether args (not yet checked) are exactly the strings kept of an earlier call. */
export function sameArgs(a: readonly unknown[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * @internal A Plan that may be given again: frozen, with its own copy of
 * the request (a fresh Plan's request is a view of the shared writer's
 * buffer, which the next plan() overwrites).
 */
export function keptPlan(p: Plan): Plan {
  return Object.isFrozen(p) ? p : Object.freeze({ ...p, request: p.request.slice() });
}

function keep(key: number, sh: boolean, file: string, args: readonly string[], env: unknown, p: Plan): void {
  if (p.request.length > KEEP_MAX) return;
  last = { key, sh, file, args: Object.freeze(args.slice()), env, plan: keptPlan(p) };
}

/** Each defaults object's socketpair twin, made once (not per spawn of aspawn/child_process). */
const socketTwins = new WeakMap<StdioDefaults, StdioDefaults>();
function withSockets(d: StdioDefaults): StdioDefaults {
  let twin = socketTwins.get(d);
  if (!twin) socketTwins.set(d, (twin = Object.freeze({ ...d, socketPipes: true })));
  return twin;
}

function encode(w: RequestWriter, file: unknown, args: unknown, o: Options, defaults: StdioDefaults): Plan {
  noNul(file, "file");
  if (file === "") throw new TypeError("file must not be empty");
  if (!Array.isArray(args)) throw new TypeError(`args must be an array of strings, got ${describe(args)}`);
  if (typeof o !== "object" || o === null) throw new TypeError("options must be an object");
  // node:child_process's and execa's name: ignored, it would leave a child
  // meant to outlive us to be killed with us (cleanup). false is what we do.
  if ((o as { detached?: unknown }).detached !== undefined && (o as { detached?: unknown }).detached !== false) {
    throw new TypeError("detached is node:child_process's option: here it is setsid: true (a session of its own, which outlives this process)");
  }
  // The socketpairs of aspawn/child_process are a default of its own: its key and its checks see them.
  if ((o as { [socketStdio]?: unknown })[socketStdio] === true && !defaults.socketPipes) defaults = withSockets(defaults);
  const key = stepsKey(o, defaults), hit = key < 0 ? undefined : stepCache.get(key);
  const f = file as string, sh = (o as { [shFallback]?: unknown })[shFallback] === true;
  const env = hit && o.env === undefined && o.clearEnv === undefined && o.argv0 === undefined ? inheritedEnvStamp() : undefined;
  if (env !== undefined && last && last.key === key && last.sh === sh && last.file === f && last.env === env && sameArgs(args, last.args)) return last.plan;
  const values = hit ? hit.values : checkSteps(key < 0 ? o : keyOptions(key), defaults);

  w.begin(f, !f.includes("/"), sh);
  // A request that may be kept (env defined) is written from what was
  // read above, once: no argv0, the inherited environment as stamped.
  w.arg(env !== undefined || o.argv0 === undefined ? f : noNul(o.argv0, "argv0"));
  for (let i = 0; i < args.length; i++) w.arg(noNul(args[i], `args[${i}]`));
  if (env !== undefined) writeInheritedEnvironment(w, env);
  else writeEnvironment(w, o);
  let names: string[] = [], paths: (string | undefined)[] = [];
  if (hit) {
    w.rawSteps(hit.bytes, hit.count);
    ({ names, paths } = hit);
  } else {
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!, v = values[i];
      if (v === undefined) continue;
      s.encode(w, v);
      if (s.names) s.names(v, names, paths);
      else names.push(s.name);
    }
    if (key >= 0) remember(key, w, values as unknown[], names, paths);
  }
  const map = values[fdMapIndex] as FdMap;
  const p = { request: w.end(), steps: names, paths, pipes: map.pipes, handovers: map.handovers, values: values as unknown[], pumps: map.pumps };
  if (env !== undefined) keep(key, sh, f, args as string[], env, p);
  return p;
}
