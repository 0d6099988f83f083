/**
 * The child's environment in the request: copied from `environ` natively
 * with our overrides on top (Req.INHERIT_ENV), or sent whole from JS.
 */
import { encodeStrings, type RequestWriter } from "../ffi/request.ts";
import { requireHere, runtime } from "../ffi/runtime.ts";
import { bool, describe, noNul } from "./check.ts";
import type { Options } from "./options.ts";

/**
 * Where the child's environment comes from. The library copies `environ`
 * natively (no pass over process.env in JS, no --allow-env on Deno), safely
 * even while other threads call setenv (a SHARE_ENV Worker, Deno.env.set in
 * a Worker, native code): that is the main thread of Node and Deno. Bun
 * keeps process.env in a map of its own (setenv is never called) and a Node
 * Worker's process.env is the Worker's own copy: both are sent from JS, as
 * is a Deno Worker's when --allow-env permits (what its process.env shows).
 */
const envFromJs = runtime === "bun" || inWorker();

function inWorker(): boolean {
  if (runtime === "node") return !requireHere()("node:worker_threads").isMainThread;
  const scope = (globalThis as { WorkerGlobalScope?: new () => unknown }).WorkerGlobalScope;
  return typeof scope === "function" && globalThis instanceof scope;
}

/**
 * process.env encoded, cached and reused while it is unchanged (checking
 * that costs a pass over it; encoding again costs ~10x that).
 */
const jsEnv: { keys: string[]; values: string[]; bytes: Uint8Array } = { keys: [], values: [], bytes: new Uint8Array(0) };

function jsEnvironment(): { bytes: Uint8Array; count: number } {
  const env = process.env as Record<string, string>;
  // Object.keys and a get per key, not for-in: half the time on Bun, whose
  // every spawn checks this (1.2 against 0.6 us hot, 35 variables), and a
  // polluted Object.prototype's keys are not walked.
  const keys = Object.keys(env);
  if (!sameEnvironment(env, keys)) {
    jsEnv.keys = keys;
    jsEnv.values = keys.map((k) => env[k]!);
    jsEnv.bytes = encodeStrings(keys.map((k, j) => `${k}=${jsEnv.values[j]}`));
  }
  return { bytes: jsEnv.bytes, count: jsEnv.keys.length };
}

/** Whether env has the kept keys, in this order, with the kept values. */
function sameEnvironment(env: Record<string, string>, keys: string[]): boolean {
  const { keys: kept, values } = jsEnv;
  if (keys.length !== kept.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== kept[i] || env[keys[i]!] !== values[i]) return false;
  return true;
}

/** The stamp of an environment the library copies natively: it adds no bytes to a request. */
const NATIVE_ENV = Symbol("environ");

/**
 * writeEnvironment() for options without env or clearEnv, given the stamp
 * inheritedEnvStamp() has just returned: process.env is not read again.
 */
export function writeInheritedEnvironment(w: RequestWriter, stamp: unknown): void {
  if (stamp !== NATIVE_ENV) w.rawStrings(jsEnv.bytes, jsEnv.keys.length);
  w.setInheritEnv(stamp === NATIVE_ENV);
}

/**
 * What the inherited environment adds to a request without `env`,
 * `clearEnv` or a change since: the same value means the same bytes
 * (plan.ts reuses a request on it). Natively copied, it adds none; sent
 * from JS, it is process.env's encoding, checked for changes here.
 * undefined where process.env cannot be read (it will not be reused).
 */
export function inheritedEnvStamp(): unknown {
  if (!envFromJs) return NATIVE_ENV;
  try {
    return jsEnvironment().bytes;
  } catch {
    return undefined;
  }
}

/**
 * env is read as an object's own keys: an array would set variables named
 * "0", "1" ..., a Map none at all.
 */
function envObject(env: unknown): void {
  if (typeof env === "object" && env !== null && !Array.isArray(env)) {
    const proto = Object.getPrototypeOf(env);
    if (proto === Object.prototype || proto === null) return;
    if (typeof process !== "undefined" && env === process.env) return;
  }
  throw new TypeError(`env must be an object of strings (name: value), got ${describe(env)}`);
}

/** Append the env strings and set the INHERIT_ENV flag (`env`, `clearEnv`). */
export function writeEnvironment(w: RequestWriter, o: Options): void {
  const clearEnv = bool(o.clearEnv, "clearEnv");
  const env = o.env ?? {};
  envObject(env);
  let fromJs = !clearEnv && envFromJs, merged: [string, string | undefined][] | undefined;
  if (fromJs) {
    try {
      if (o.env === undefined) {
        const { bytes, count } = jsEnvironment();
        w.rawStrings(bytes, count);
      } else merged = Object.entries({ ...process.env, ...env });
    } catch {
      fromJs = false; // a Deno Worker without --allow-env: environ it is
    }
  }
  const inherit = !clearEnv && !fromJs;
  const entries = merged ?? Object.entries(env);
  for (const [k, v] of entries) {
    if (k === "" || k.includes("=") || k.includes("\0")) {
      throw new TypeError(`env keys must be non-empty, without "=" or NUL: ${describe(k)}`);
    }
    if (v === undefined) {
      if (inherit) w.env(k);
      continue;
    }
    w.envPair(k, noNul(v, `env.${k}`));
  }
  w.setInheritEnv(inherit);
}
