/**
 * The last spawn() prepared whole. A program that spawns the same command
 * again — the same file, the same args, the same options object with the
 * same own keys and values, all of them primitives — gets the checks'
 * results and the request of the first call: between two spawns that code
 * is cold (the child ran meanwhile) and took 11-13 us of the 23-32 us
 * spawn() spent in JavaScript (Bun and Node, 2026-12-05), where this costs
 * a compare.
 *
 * A call is kept the second time in a row it is made (a miss then costs a
 * compare, where keeping costs 2-10 us). Only what is a pure function of
 * those values is kept: no streams (their
 * pumps), no terminal (its slave fd is in the request), no `shell` or
 * `preferLocal` (they read PATH), no `env`, `clearEnv` or `argv0`, and the
 * inherited environment is checked unchanged at every use, as plan.ts
 * checks it for its own kept request.
 */
import { backend } from "./backend.ts";
import { rewritesCommand } from "./command.ts";
import { inheritedEnvStamp } from "./environment.ts";
import type { NativeChild } from "./native-child.ts";
import { nativeBackend, startPlanned } from "./native-backend.ts";
import type { Options } from "./options.ts";
import { KEEP_MAX, keptPlan, type Plan, sameArgs, type StdioDefaults } from "./plan.ts";
import { wantsPty } from "./pty.ts";
import type { SubprocessInit } from "./subprocess.ts";


interface Prepared {
  file: string;
  args: readonly string[];
  /** The caller's options object (undefined: none), and its own keys and values when kept. */
  options: object | undefined;
  keys: string[];
  values: unknown[];
  /** The options as spawnWith() read them (own keys only). */
  own: Options;
  defaults: StdioDefaults;
  env: unknown;
  plan: Plan;
  settings: SubprocessInit;
}

let last: Prepared | undefined;
/** The call before, as given: a call is kept the second time in a row it is made, so a miss costs a compare. */
let seenFile: string | undefined, seenOptions: object | undefined, seenArgs: readonly string[] | undefined;

const NO_ARGS: readonly string[] = Object.freeze([]);

/** The kept call, if spawn(file, a, b) is it again. */
export function preparedSpawn(file: string, a: unknown, b: unknown): Prepared | undefined {
  const p = last;
  if (p === undefined || p.file !== file) return undefined;
  let options: unknown;
  if (Array.isArray(a)) {
    if (!sameArgs(a, p.args)) return undefined;
    options = b;
  } else {
    if (p.args.length !== 0 || b !== undefined) return undefined;
    options = a ?? undefined;
  }
  if (options !== p.options || (options !== undefined && !sameOwn(options as Record<string, unknown>, p.keys, p.values))) return undefined;
  return inheritedEnvStamp() === p.env ? p : undefined;
}

/** Start the kept call's child; its Subprocess takes `p.settings`. */
export function startPrepared(p: Prepared): NativeChild {
  return startPlanned({ file: p.file, args: p.args, options: p.own, defaults: p.defaults }, p.plan);
}

/**
 * After a spawn that went the long way: keep it when the next same call
 * may skip that way. `options` is the caller's object, `own` what was read
 * of it; `plan` the request the child was started from.
 */
export function keepSpawn(file: string, args: readonly string[], options: object | undefined, own: Options, defaults: StdioDefaults, plan: Plan, settings: SubprocessInit): void {
  if (file !== seenFile || options !== seenOptions || seenArgs === undefined || !sameArgs(args, seenArgs)) {
    [seenFile, seenOptions, seenArgs] = [file, options, args];
    return;
  }
  if (backend() !== nativeBackend || plan.request.length > KEEP_MAX || settings.pumps?.length) return;
  if (own.env !== undefined || own.clearEnv !== undefined || own.argv0 !== undefined || rewritesCommand(own) || wantsPty(own)) return;
  const keys: string[] = [], values: unknown[] = [];
  if (options !== undefined) {
    if (Object.getOwnPropertySymbols(options).length) return;
    for (const k in options) {
      const v = (options as Record<string, unknown>)[k];
      // Objects may change inside without changing here: not kept.
      if (!Object.hasOwn(options, k) || (typeof v === "object" && v !== null) || typeof v === "function") return;
      keys.push(k);
      values.push(v);
    }
  }
  const env = inheritedEnvStamp();
  if (env === undefined) return;
  const kept = args.length ? Object.freeze(args.slice()) : NO_ARGS;
  // The caller's array may change later: the child's command line is the kept copy.
  last = { file, args: kept, options, keys, values, own, defaults, env, plan: keptPlan(plan), settings: withArgs(settings, kept) };
}

/** Whether o has exactly these own keys, in this order, with these values (an inherited key makes it differ). */
function sameOwn(o: Record<string, unknown>, keys: readonly string[], values: readonly unknown[]): boolean {
  let i = 0;
  for (const k in o) {
    if (i >= keys.length || k !== keys[i] || o[k] !== values[i]) return false;
    i++;
  }
  return i === keys.length;
}

/** settings with other args, built as a literal (a spread that changes a key makes a slow object on Node 20's V8). */
function withArgs(s: SubprocessInit, args: readonly string[]): SubprocessInit {
  return {
    file: s.file,
    args,
    timeout: s.timeout,
    signal: s.signal,
    killSignal: s.killSignal,
    forceKillAfter: s.forceKillAfter,
    ownGroup: s.ownGroup,
    joinedGroup: s.joinedGroup,
    reject: s.reject,
    verbose: s.verbose,
    maxBuffer: s.maxBuffer,
    pumps: s.pumps,
  };
}
