/**
 * The last spawn() prepared whole. A program that spawns the same command
 * again — the same file, the same args, the same options object with the
 * same prototype and own keys and values, all of them primitives — gets
 * the checks' results and the request of the first call: between two
 * spawns that code is cold (the child ran meanwhile) and took 11-13 us of
 * the 23-32 us spawn() spent in JavaScript (Bun and Node, 2026-12-05),
 * where this costs a compare.
 *
 * A call is kept the second time in a row it is made (a miss then costs a
 * compare, where keeping costs 2-10 us), from what that call read once.
 * Only what is a pure function of those values is kept: no streams (their
 * pumps), no terminal (its slave fd is in the request), no `shell` or
 * `preferLocal` (they read PATH), no `env`, `clearEnv` or `argv0`; and the
 * inherited environment is checked unchanged at every use, as plan.ts
 * checks it for its own kept request.
 *
 * run() keeps its calls here too, with its own stdio defaults: a call of
 * one is never served to the other (the defaults object tells them apart).
 *
 * A frozen options object is kept with its symbol keys and with frozen
 * arrays of primitives among its values (a `stdio` array), and is then the
 * same call again by identity: nothing in it can change. aspawn/child_process
 * passes its options so (child-process.ts), and a caller may too.
 */
import type { ChildRequest } from "./child.ts";
import { rewritesCommand } from "./command.ts";
import { commandLine } from "./errors.ts";
import { inheritedEnvStamp } from "./environment.ts";
import type { NativeChild } from "./native-child.ts";
import { startPlanned } from "./native-backend.ts";
import type { Options } from "./options.ts";
import { KEEP_MAX, keptPlan, type Plan, sameArgs, type StdioDefaults } from "./plan.ts";
import type { SubprocessInit } from "./subprocess.ts";

interface Prepared {
  file: string;
  args: readonly string[];
  /** The caller's options object (undefined: none), its prototype, and the own keys and values read of it. */
  options: object | undefined;
  /** `options` is frozen, its values primitives or frozen arrays of them: the same object is the same call. */
  frozen: boolean;
  proto: object | null;
  keys: string[];
  values: unknown[];
  /** The options as spawnWith() read them (own keys only). */
  own: Options;
  defaults: StdioDefaults;
  env: unknown;
  plan: Plan;
  /** What startPlanned() is given, made once. */
  request: ChildRequest;
  settings: SubprocessInit;
}

let last: Prepared | undefined;

/**
 * The call before, as given (a call is kept the second time in a row it is
 * made, so that a miss costs a compare). Held only when it could be kept
 * and is small — its options all primitives, its strings few and short —
 * so that nothing large of the caller's outlives the call (a WeakRef
 * would do as well, but costs ~1 us per call on V8).
 */
let seenFile: string | undefined, seenOptions: object | undefined, seenArgs: readonly string[] | undefined;

const NO_ARGS: readonly string[] = Object.freeze([]);

/** A copy of args the caller cannot change (the plan and the kept call are made from it). */
export function frozenArgs(args: readonly string[]): readonly string[] {
  return args.length ? Object.freeze(args.slice()) : NO_ARGS;
}

/** The options object of spawn(file, a, b), as callArguments() takes it (undefined: none). */
export function givenOptions(a: unknown, b: unknown): object | undefined {
  return (Array.isArray(a) || a == null ? b : a) as object | undefined;
}

/** The kept call, if spawn(file, a, b) with these stdio defaults (spawn()'s or run()'s) is it again. */
export function preparedSpawn(file: string, a: unknown, b: unknown, defaults: StdioDefaults): Prepared | undefined {
  const p = last;
  if (p === undefined || p.file !== file || p.defaults !== defaults) return undefined;
  if (Array.isArray(a) ? !sameArgs(a, p.args) : p.args.length !== 0 || (a != null && b !== undefined)) return undefined;
  const options = givenOptions(a, b);
  if (options !== p.options || (options !== undefined && !p.frozen && !sameOwn(options, p))) return undefined;
  return inheritedEnvStamp() === p.env ? p : undefined;
}

/** Start the kept call's child; its Subprocess takes `p.settings`. */
export function startPrepared(p: Prepared): NativeChild {
  return startPlanned(p.request, p.plan);
}

/**
 * Whether spawn() is called as the call before (then it may be kept), and
 * remember this one. `options` is the caller's object, `own` what
 * ownOptions() read of it. Read before the call goes the long way.
 */
export function seenBefore(file: string, args: readonly string[], options: object | undefined, own: Options): boolean {
  const again = file === seenFile && options === seenOptions && sameArgs(args, seenArgs!);
  const keepable = smallArgs(args) && (options === undefined || (typeof options === "object" && options !== null && smallOptions(own, fixed(options))));
  seenFile = keepable ? file : undefined;
  seenOptions = keepable ? options : undefined;
  seenArgs = keepable ? args : undefined;
  return again;
}

/** At most KEEP_MAX characters of args, in few strings: worth holding until the next call. */
function smallArgs(args: readonly string[]): boolean {
  if (args.length > 64) return false;
  let n = 0;
  for (let i = 0; i < args.length; i++) n += typeof args[i] === "string" ? args[i]!.length : KEEP_MAX + 1;
  return n <= KEEP_MAX;
}

/**
 * Options that could be kept (primitives only, or frozen arrays of them in
 * a frozen object) and are small, read from the call's own copy (no getter
 * runs twice).
 */
function smallOptions(o: Options, frozen: boolean): boolean {
  let n = 0;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (!keptValue(v, frozen)) return false;
    if (typeof v === "string") n += v.length;
  }
  return n <= KEEP_MAX;
}

/** @internal Not an object or a function: a value nobody can change inside (call-cache.ts keeps such values too). */
export const primitive = (v: unknown): boolean => (typeof v !== "object" || v === null) && typeof v !== "function";

/** Frozen, with no getter that could answer differently on the next read. */
function fixed(o: object): boolean {
  if (!Object.isFrozen(o)) return false;
  const all = Object.getOwnPropertyDescriptors(o) as Record<string | symbol, PropertyDescriptor>;
  for (const k of Reflect.ownKeys(all)) if (!("value" in all[k]!)) return false;
  return true;
}

/** A value the kept call may hold: a primitive; in a frozen object, also a frozen array of primitives. */
function keptValue(v: unknown, frozen: boolean): boolean {
  if (primitive(v)) return true;
  return frozen && Array.isArray(v) && v.length <= 64 && fixed(v) && v.every(primitive);
}

/**
 * After a spawn that went the long way, seen before: keep it. `args` is
 * the frozen copy the child was planned from, `options` the caller's
 * object, `own` what was read of it (once: the kept values are the ones
 * the child got), `env` the inherited environment's stamp taken before the
 * plan, `plan` the request the child was started from.
 */
export function keepSpawn(
  file: string, args: readonly string[], options: object | undefined, own: Options, defaults: StdioDefaults,
  env: unknown, plan: Plan, settings: SubprocessInit,
): void {
  // (spawnWith() calls it on the native backend only, never for a terminal.)
  if (plan.request.length > KEEP_MAX || settings.pumps?.length || env === undefined) return;
  if (own.env !== undefined || own.clearEnv !== undefined || own.argv0 !== undefined || rewritesCommand(own)) return;
  const frozen = options !== undefined && fixed(options);
  if (!frozen && Object.getOwnPropertySymbols(own).length) return;
  const keys: string[] = [], values: unknown[] = [];
  for (const k in own) { // own has no prototype: its own keys only
    const v = (own as Record<string, unknown>)[k];
    // Objects may change inside without changing here: not kept.
    if (!keptValue(v, frozen)) return;
    keys.push(k);
    values.push(v);
  }
  const proto = options === undefined ? null : Object.getPrototypeOf(options);
  const request = { file, args, options: own, defaults };
  // Made once for all its children: run() asks each for it.
  settings.command = commandLine(file, args);
  last = { file, args, options, frozen, proto, keys, values, own, defaults, env, plan: keptPlan(plan), request, settings };
}

/**
 * Whether the caller's options read as when kept: the same prototype, no
 * symbol keys, exactly these own keys in this order with these values
 * (an inherited enumerable key, a polluted prototype's, makes them differ).
 */
function sameOwn(o: object, p: Prepared): boolean {
  if (Object.getPrototypeOf(o) !== p.proto || Object.getOwnPropertySymbols(o).length) return false;
  const { keys, values } = p;
  let i = 0;
  for (const k in o) {
    if (i >= keys.length || k !== keys[i] || !Object.hasOwn(o, k) || (o as Record<string, unknown>)[k] !== values[i]) return false;
    i++;
  }
  return i === keys.length;
}
