/**
 * Node's argument checks for spawn() and friends, in Node's order, with
 * Node's errors (node-errors.ts), and the normalised form ChildProcess#spawn
 * takes: `args` with argv[0] first, the shell applied.
 */
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { signalNumber } from "../api/signals.ts";
import { invalidArgType, invalidArgValue, outOfRange, unknownSignal } from "./node-errors.ts";
import { ownOptions } from "../api/own-options.ts";
import { runtime } from "../ffi/runtime.ts";
import { denoNodeArgs } from "./deno-args.ts";

/**
 * Deno's own executable, to which Node's command lines are translated
 * (deno-args.ts): read once, not per spawn; none in a program made by
 * `deno compile`, whose execPath is the program and its arguments its own.
 */
const denoExecPath = runtime === "deno" &&
    (globalThis as { Deno?: { build?: { standalone?: boolean } } }).Deno?.build?.standalone !== true
  ? process.execPath
  : undefined;

/** The options Node documents for spawn(); others are passed through untouched. */
export interface SpawnOptions {
  cwd?: string | URL | Buffer | null;
  env?: Record<string, string | undefined> | null;
  argv0?: string;
  stdio?: unknown;
  detached?: boolean;
  uid?: number;
  gid?: number;
  serialization?: "json" | "advanced";
  shell?: boolean | string;
  windowsVerbatimArguments?: boolean;
  windowsHide?: boolean;
  signal?: AbortSignal;
  timeout?: number;
  killSignal?: string | number;
  [key: string]: unknown;
}

/** What ChildProcess#spawn takes (Node's own shape for it). */
export interface NormalizedSpawn {
  file: string;
  /** argv, argv[0] first. */
  args: string[];
  cwd?: string | undefined;
  /** undefined: this process's environment as it is now. */
  env?: Record<string, string | undefined> | undefined;
  /** Node's form: "KEY=value" strings (used when env is not given). */
  envPairs?: string[];
  stdio?: unknown;
  detached?: boolean;
  uid?: number | undefined;
  gid?: number | undefined;
  serialization?: string | undefined;
  [key: string]: unknown;
}

export { ownOptions };

export function validateString(v: unknown, name: string): asserts v is string {
  if (typeof v !== "string") throw invalidArgType(name, "string", v);
}

export function nullCheck(v: unknown, name: string): void {
  if (typeof v === "string" && v.includes("\u0000")) throw invalidArgValue(name, v, "must be a string without null bytes");
}

export function validateObject(v: unknown, name: string): void {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw invalidArgType(name, "object", v);
}

export function validateFunction(v: unknown, name: string): void {
  if (typeof v !== "function") throw invalidArgType(name, "Function", v);
}

function validateBoolean(v: unknown, name: string): void {
  if (typeof v !== "boolean") throw invalidArgType(name, "boolean", v);
}

const isInt32 = (v: unknown) => typeof v === "number" && v === (v | 0);

/** A path option: a string, a Buffer or a file: URL. */
export function validatedPath(v: unknown, name: string): string {
  let path: string;
  if (typeof v === "string") path = v;
  else if (v instanceof URL) {
    if (v.protocol !== "file:") throw Object.assign(new TypeError("The URL must be of scheme file"), { code: "ERR_INVALID_URL_SCHEME" });
    path = fileURLToPath(v);
  } else if (v instanceof Uint8Array) path = Buffer.from(v).toString();
  else throw invalidArgType(name, ["string", "Buffer", "URL"], v);
  if (path.includes("\u0000")) throw invalidArgValue(name, v, "must be a string, Uint8Array, or URL without null bytes");
  return path;
}

export function validateTimeout(t: unknown): void {
  if (t != null && !(Number.isInteger(t) && (t as number) >= 0)) throw outOfRange("timeout", "an unsigned integer", t);
}

export function validateMaxBuffer(m: unknown): void {
  if (m != null && !(typeof m === "number" && m >= 0)) throw outOfRange("options.maxBuffer", "a positive number", m);
}

export function validateAbortSignal(s: unknown, name: string): void {
  if (s !== undefined && (s === null || typeof s !== "object" || !("aborted" in s))) {
    throw invalidArgType(name, "AbortSignal", s);
  }
}

/** A signal name or number as Node takes it (0 only where the caller allows it). */
export function toSignal(sig: unknown): number {
  if (typeof sig === "string" || typeof sig === "number") {
    // Node looks names up in upper case: "sigterm" is SIGTERM.
    const name = typeof sig === "string" ? sig.toUpperCase() : sig;
    if (typeof name === "string" && !/^SIG[A-Z0-9]+$/.test(name)) throw unknownSignal(sig);
    try {
      return signalNumber(name);
    } catch {
      throw unknownSignal(sig);
    }
  }
  throw unknownSignal(sig);
}

/** killSignal: undefined, a name or a number. */
export function killSignalOf(sig: unknown): number | undefined {
  if (typeof sig === "string" || typeof sig === "number") return toSignal(sig);
  if (sig != null) throw invalidArgType("options.killSignal", ["string", "number"], sig);
  return undefined;
}

/** spawn()'s (file, args?, options?) as Node reads them. */
export function normalizeSpawnArguments(file: unknown, args: unknown, options: unknown): NormalizedSpawn & SpawnOptions {
  validateString(file, "file");
  nullCheck(file, "file");
  if (file.length === 0) throw invalidArgValue("file", file, "cannot be empty");
  let argv: unknown[];
  if (Array.isArray(args)) argv = args.slice();
  else if (args == null) argv = [];
  else if (typeof args !== "object") throw invalidArgType("args", "object", args);
  else {
    options = args;
    argv = [];
  }
  argv.forEach((a, i) => nullCheck(a, `args[${i}]`));
  if (options === undefined) options = {};
  else validateObject(options, "options");
  const o = ownOptions(options as SpawnOptions);
  // An empty cwd is no cwd at all (Node does not chdir to it).
  const cwd = o.cwd != null ? validatedPath(o.cwd, "options.cwd") || undefined : undefined;
  if (o.detached != null) validateBoolean(o.detached, "options.detached");
  if (o.uid != null && !isInt32(o.uid)) throw invalidArgType("options.uid", "int32", o.uid);
  if (o.gid != null && !isInt32(o.gid)) throw invalidArgType("options.gid", "int32", o.gid);
  if (o.shell != null && typeof o.shell !== "boolean" && typeof o.shell !== "string") {
    throw invalidArgType("options.shell", ["boolean", "string"], o.shell);
  }
  if (o.argv0 != null) {
    validateString(o.argv0, "options.argv0");
    nullCheck(o.argv0, "options.argv0");
  }
  if (o.windowsHide != null) validateBoolean(o.windowsHide, "options.windowsHide");
  if (o.windowsVerbatimArguments != null) validateBoolean(o.windowsVerbatimArguments, "options.windowsVerbatimArguments");
  let f = file;
  let strArgs = argv.map((a) => `${a as string}`); // a Symbol throws, as in Node
  // Deno's own executable given a Node command line: as Deno's node:child_process runs it.
  if (file === denoExecPath && !o.shell) strArgs = [...denoNodeArgs(strArgs)];
  if (o.shell) {
    nullCheck(o.shell, "options.shell");
    // Node joins the command and its arguments with spaces, unquoted: the
    // shell parses all of it (the documented hazard, kept for compatibility).
    const line = [file, ...strArgs].join(" ");
    f = typeof o.shell === "string" ? o.shell : "/bin/sh";
    strArgs = ["-c", line];
  }
  strArgs.unshift(typeof o.argv0 === "string" ? o.argv0 : f);
  // Copied into a fresh object, then set: on Node 20's V8 a property added
  // to a spread copy, or to an object without a prototype, is a slow
  // dictionary store (3 us here, against 0.2).
  const r = Object.assign({}, o) as NormalizedSpawn & SpawnOptions;
  r.file = f;
  r.args = strArgs;
  r.cwd = cwd;
  r.env = o.env ? envOf(o.env) : undefined;
  r.detached = !!o.detached;
  r.uid = o.uid ?? undefined;
  r.gid = o.gid ?? undefined;
  return Object.setPrototypeOf(r, null);
}

/** The id (uid_t, gid_t) an int32 uid or gid is to setuid()/setgid(), as libuv passes it: -1 is NO_ID. Anything else is left for the library to refuse. */
export const idOf = (id: number | null | undefined): number | undefined => (id == null ? undefined : isInt32(id) ? id >>> 0 : id);
/** (uid_t)-1: no id; setuid(-1) and setgid(-1) fail with EINVAL. */
export const NO_ID = 0xffffffff;

/** env as Node reads it: every enumerable key, inherited ones included; undefined values left out. */
function envOf(env: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in env) {
    const value = (env as Record<string, unknown>)[key];
    if (value === undefined) continue;
    nullCheck(key, `options.env['${key}']`);
    // A template, as Node's: a Symbol throws rather than becoming "Symbol(...)".
    const s = `${value as string}`;
    nullCheck(s, `options.env['${key}']`);
    // Node writes "A=B=1" for { "A=B": "1" }: the same string as A with the value "B=1".
    const eq = key.indexOf("=");
    if (eq > 0) out[key.slice(0, eq)] = `${key.slice(eq + 1)}=${s}`;
    else out[key] = s;
  }
  return out;
}
