/**
 * The last spawn() of this module, kept for the same call again. Between
 * two spawns this code is cold (the child ran meanwhile), and Node's
 * argument checks, the library options' assembly and the library's own
 * checks and plan cost 25-30 us of execFile()'s ~120 us of JavaScript
 * (2026-12-05). A loop that runs one command gets the normalised options
 * of the call before, and ChildProcess hands the library the same frozen
 * options object again, which the library keeps whole in turn
 * (src/api/spawn-cache.ts).
 *
 * The same call is the same file, args of the same strings, and options
 * with the same own keys and values in the same order, all primitives
 * (execFile() passes spawn() a fresh object each time: values are
 * compared, not objects). Anything else is checked the long way, as is
 * the environment and PATH at every call (they are not options).
 */
import { sameArgs } from "../api/plan.ts";
import { primitive } from "../api/spawn-cache.ts";
import { normalizeSpawnArguments, type NormalizedSpawn, ownOptions, type SpawnOptions } from "./validate.ts";

type Normalized = NormalizedSpawn & SpawnOptions;

interface Kept {
  file: string;
  args: readonly string[] | undefined;
  keys: string[];
  values: unknown[];
  /** Frozen: ChildProcess may hand on what it made of it (see isKept). */
  o: Normalized;
}

/** Held until the next call: small, so that nothing large of the caller's outlives it. */
const MAX_CHARS = 4096, MAX_ITEMS = 64;
let kept: Kept | undefined;

/** normalizeSpawnArguments(), or its result for the call before when this is the same call. */
export function normalizedCall(file: unknown, args: unknown, options: unknown): Normalized {
  // Each arg and option read once, args first, as Node reads them: the
  // comparison, the checks and what is kept all read these copies (an
  // arg's toString() or a getter may change the caller's array meanwhile).
  const list = Array.isArray(args) ? args.slice() : args;
  const own = isOptions(options) ? ownOptions(options) : options;
  const k = kept;
  if (k !== undefined && k.file === file && sameList(list, k.args) && sameOptions(own, k)) return k.o;
  kept = undefined;
  const o = normalizeSpawnArguments(file, list, own);
  kept = keep(file as string, list, own, o);
  return o;
}

const isOptions = (v: unknown): v is object => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether `o` is the kept call's normalised options (frozen, and only ever made by normalizedCall). */
export function isKept(o: object): boolean {
  return o === kept?.o;
}

/**
 * `o` as ChildProcess#spawn is to get it: the kept object itself only by
 * the method of this module (`own`), which reads it; a wrapper of
 * ChildProcess.prototype.spawn (instrumentation) may change what it is
 * given, so it gets a copy of its own, unfrozen, as a fresh call's.
 */
export function forSpawn(o: Normalized, own: boolean): Normalized {
  if (own || !isKept(o)) return o;
  return Object.setPrototypeOf(Object.assign({}, o, { args: [...o.args] }), null) as Normalized;
}

/** The same args (a copy of the caller's array), or none both times. */
function sameList(list: unknown, kept: readonly string[] | undefined): boolean {
  if (list === undefined || kept === undefined) return list === kept;
  return Array.isArray(list) && sameArgs(list, kept);
}

/** The same keys with the same values, in order (`own`: a copy of the caller's own keys, without a prototype). */
function sameOptions(own: unknown, k: Kept): boolean {
  if (own === undefined) return k.keys.length === 0;
  if (!isOptions(own)) return false;
  const { keys, values } = k;
  let i = 0;
  for (const key in own) {
    if (i >= keys.length || key !== keys[i] || (own as Record<string, unknown>)[key] !== values[i]) return false;
    i++;
  }
  return i === keys.length;
}

/** What to keep of a call that passed the checks, or undefined when it cannot be kept. `args`: the call's own copy. */
function keep(file: string, args: unknown, own: unknown, o: Normalized): Kept | undefined {
  let chars = file.length;
  if (args !== undefined) {
    if (!Array.isArray(args) || args.length > MAX_ITEMS) return undefined;
    for (const a of args) {
      if (typeof a !== "string") return undefined;
      chars += a.length;
    }
  }
  const keys: string[] = [], values: unknown[] = [];
  if (own !== undefined) {
    if (!isOptions(own) || Object.getOwnPropertySymbols(own).length) return undefined;
    for (const key in own) {
      const v = (own as Record<string, unknown>)[key];
      if (!primitive(v) || keys.length >= MAX_ITEMS) return undefined;
      if (typeof v === "string") chars += v.length;
      keys.push(key);
      values.push(v);
    }
  }
  if (chars > MAX_CHARS) return undefined;
  Object.freeze(o.args);
  return { file, args: args === undefined ? undefined : Object.freeze(args as string[]), keys, values, o: Object.freeze(o) };
}
