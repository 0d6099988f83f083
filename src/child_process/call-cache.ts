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
  // Each option read once, as Node reads them: the comparison and the
  // checks both read this copy of the own keys.
  const own = isOptions(options) ? ownOptions(options) : options;
  const k = kept;
  if (k !== undefined && k.file === file && sameArgs(args, k.args) && sameOptions(own, k)) return k.o;
  kept = undefined;
  const o = normalizeSpawnArguments(file, args, own);
  kept = keep(file as string, args, own, o);
  return o;
}

const isOptions = (v: unknown): v is object => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether `o` is the kept call's normalised options (frozen, and only ever made by normalizedCall). */
export function isKept(o: object): boolean {
  return o === kept?.o;
}

function sameArgs(args: unknown, kept: readonly string[] | undefined): boolean {
  if (args === undefined || kept === undefined) return args === kept;
  if (!Array.isArray(args) || args.length !== kept.length) return false;
  for (let i = 0; i < args.length; i++) if (args[i] !== kept[i]) return false;
  return true;
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

const primitive = (v: unknown) => (typeof v !== "object" || v === null) && typeof v !== "function";

/** What to keep of a call that passed the checks, or undefined when it cannot be kept. */
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
  return { file, args: args === undefined ? undefined : Object.freeze([...args as string[]]), keys, values, o: Object.freeze(o) };
}
