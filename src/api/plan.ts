/**
 * Turns (file, args, options) into a request for the native spawn: checks
 * every input first (a TypeError before anything is spawned), then encodes
 * the steps in the order the child must run them, and remembers each step's
 * name for error messages.
 */
import { createRequire } from "node:module";
import { runtime } from "../ffi/runtime.ts";
import type { FdReader } from "./fd-reader.ts";
import type { ExtraFdOption, Options, RlimitName, RlimitValue, StdioOption } from "./options.ts";
import { encodeStrings, FD_DEVNULL, FD_PIPE_READ, FD_PIPE_WRITE, Op, RequestWriter } from "./request.ts";
import { signalNumber } from "./signals.ts";
import { readerOf } from "./streams.ts";
import { unrefTimeout } from "./timers.ts";

export interface Plan {
  request: Uint8Array;
  /** Name of each encoded step, by index (for SpawnError.step). */
  steps: string[];
  /** Child fds that got a pipe, in the order asp_spawn returns their parent ends. */
  pipes: number[];
  /** Pipes of other children handed to this one (our ends close after the spawn). */
  handovers: FdReader[];
}

export const rlimitNumbers: Record<RlimitName, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8,
  as: 9, locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14,
};
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

function noNul(s: unknown, what: string): string {
  if (typeof s !== "string") throw new TypeError(`${what} must be a string, got ${typeof s}`);
  if (s.includes("\0")) throw new TypeError(`${what} must not contain NUL bytes: ${JSON.stringify(s)}`);
  return s;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${what} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new TypeError(`${what} must be a boolean, got ${typeof v}`);
  return v;
}

const FD_MAX = (1 << 20) - 1;

function pipeFrom(stream: ReadableStream<Uint8Array>, fd: number, handovers: FdReader[]): number {
  const reader = readerOf(stream);
  if (!reader) throw new TypeError(`stdio[${fd}]: only the stdout or stderr stream of another Subprocess can be passed`);
  // Its child exited without output: the pipe is gone, EOF is all there was.
  if (reader.endedUnread && !stream.locked) return FD_DEVNULL;
  if (reader.touched || reader.closed || reader.prefetched || stream.locked || handovers.includes(reader)) {
    throw new TypeError(`stdio[${fd}]: that stream was already read, piped or cancelled`);
  }
  handovers.push(reader);
  return reader.fd;
}

function stdioSource(v: StdioOption | ExtraFdOption, fd: number, pipes: number[]): number | undefined {
  if (v === "pipe" && fd <= 2) {
    pipes.push(fd);
    return fd === 0 ? FD_PIPE_READ : FD_PIPE_WRITE;
  }
  if (v === "inherit") return fd;
  if (v === "ignore") return fd <= 2 ? FD_DEVNULL : undefined;
  if ((v === null || v === undefined) && fd > 2) return undefined;
  if (typeof v === "number") return int(v, `stdio[${fd}]`, 0, FD_MAX);
  throw new TypeError(
    `stdio[${fd}] must be ${fd <= 2 ? `"pipe", ` : ""}"inherit", "ignore"${fd > 2 ? ", null" : ""} or an fd number, got ${
      JSON.stringify(v)
    }`,
  );
}

function limit(v: number | bigint | null, what: string): bigint {
  if (v === null || v === Infinity) return RLIM_INFINITY;
  if (typeof v === "bigint" && v >= 0n && v <= RLIM_INFINITY) return v;
  // Below 2 ** 64: the encoder would wrap larger values (2 ** 64 became 0).
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 64) return BigInt(v);
  throw new TypeError(`${what} must be a non-negative integer below 2 ** 64, Infinity or null, got ${String(v)}`);
}

/** signalNumber() looks names up in a plain object: "toString" would find Object.prototype's. */
function signal(v: unknown, what: string): number {
  const n = signalNumber(v, what);
  if (typeof n !== "number") throw new TypeError(`${what} must be a signal name or number, got ${JSON.stringify(v)}`);
  return n;
}

const writer = new RequestWriter();

/** @internal The request buffer's size in bytes (tests). */
export function requestCapacity(): number {
  return writer.capacity;
}


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
  if (runtime === "node") return !createRequire(import.meta.url)("node:worker_threads").isMainThread;
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
  let i = 0, same = true;
  for (const k in env) {
    if (same && (jsEnv.keys[i] !== k || jsEnv.values[i] !== env[k])) same = false;
    i++;
  }
  if (!same || i !== jsEnv.keys.length) {
    jsEnv.keys = Object.keys(env);
    jsEnv.values = jsEnv.keys.map((k) => env[k]!);
    jsEnv.bytes = encodeStrings(jsEnv.keys.map((k, j) => `${k}=${jsEnv.values[j]}`));
  }
  return { bytes: jsEnv.bytes, count: jsEnv.keys.length };
}

export interface StdioDefaults {
  stdin: StdioOption;
  stdout: StdioOption;
  stderr: StdioOption;
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
  const what = Array.isArray(env)
    ? "an array"
    : typeof env === "object" && env !== null
    ? `a ${(env as object).constructor?.name ?? "non-plain object"}`
    : env === null
    ? "null"
    : `a ${typeof env}`;
  throw new TypeError(`env must be an object of strings (name: value), got ${what}`);
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
  try {
    return encode(file, args, options, defaults);
  } finally {
    // The native side copies the request during the spawn (or it is never
    // sent): the Plan's view keeps the old bytes alive until then.
    shrinkWhenIdle();
  }
}

function encode(file: unknown, args: unknown, options: Options, defaults: StdioDefaults): Plan {
  noNul(file, "file");
  if (file === "") throw new TypeError("file must not be empty");
  if (!Array.isArray(args)) throw new TypeError(`args must be an array of strings, got ${typeof args}`);
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const f = file as string;
  const o = options;
  const steps: string[] = [];
  const pipes: number[] = [];
  const handovers: FdReader[] = [];

  writer.begin(f, !f.includes("/"));
  writer.arg(o.argv0 === undefined ? f : noNul(o.argv0, "argv0"));
  for (let i = 0; i < args.length; i++) writer.arg(noNul(args[i], `args[${i}]`));

  // Environment: copied from environ natively with our overrides on top,
  // or sent whole from JS (see envFromJs).
  const clearEnv = bool(o.clearEnv, "clearEnv");
  const env = o.env ?? {};
  envObject(env);
  let fromJs = !clearEnv && envFromJs, merged: [string, string | undefined][] | undefined;
  if (fromJs) {
    try {
      if (o.env === undefined) {
        const { bytes, count } = jsEnvironment();
        writer.rawStrings(bytes, count);
      } else merged = Object.entries({ ...process.env, ...env });
    } catch {
      fromJs = false; // a Deno Worker without --allow-env: environ it is
    }
  }
  const inherit = !clearEnv && !fromJs;
  const entries = merged ?? Object.entries(env);
  for (const [k, v] of entries) {
    if (k === "" || k.includes("=") || k.includes("\0")) {
      throw new TypeError(`env keys must be non-empty, without "=" or NUL: ${JSON.stringify(k)}`);
    }
    if (v === undefined) {
      if (inherit) writer.env(k);
      continue;
    }
    writer.env(`${k}=${noNul(v, `env.${k}`)}`);
  }
  writer.setInheritEnv(inherit);

  // cgroup first: the native side places the child before any step.
  if (o.cgroup !== undefined) {
    writer.cgroup(noNul(o.cgroup, "cgroup"));
    steps.push("cgroup");
  }

  // The fd map, always: every fd not named is closed in the child.
  const stdio = o.stdio ?? [];
  if (!Array.isArray(stdio)) throw new TypeError("stdio must be an array");
  if (stdio.length > 4096) throw new TypeError(`stdio can name at most 4096 fds, got ${stdio.length}`);
  const std: unknown[] = [o.stdin ?? defaults.stdin, o.stdout ?? defaults.stdout, o.stderr ?? defaults.stderr];
  const pairs: [number, number][] = [];
  for (let fd = 0; fd < Math.max(3, stdio.length); fd++) {
    const v = fd < stdio.length && stdio[fd] !== undefined ? stdio[fd] : std[fd];
    const src = v instanceof ReadableStream
      ? pipeFrom(v, fd, handovers)
      : stdioSource(v as StdioOption | ExtraFdOption, fd, pipes);
    if (src !== undefined) pairs.push([src, fd]);
  }
  writer.fdMap(pairs);
  steps.push("dup2");

  if (bool(o.setsid, "setsid")) {
    writer.empty(Op.SETSID);
    steps.push("setsid");
  }
  // setsid already made the child the leader of a new group: setpgid(0, 0)
  // would fail with EPERM in a session leader.
  if (o.processGroup !== undefined && o.processGroup !== false && !(o.processGroup === true && o.setsid === true)) {
    const pgid = o.processGroup === true ? 0 : int(o.processGroup, "processGroup", 1, 0x7fffffff);
    writer.i32(Op.SETPGID, pgid);
    steps.push("setpgid");
  }
  if (o.umask !== undefined) {
    writer.u32(Op.UMASK, int(o.umask, "umask", 0, 0o777));
    steps.push("umask");
  }
  if (o.nice !== undefined) {
    writer.i32(Op.NICE, int(o.nice, "nice", -20, 19));
    steps.push("nice");
  }
  if (o.rlimits !== undefined) {
    if (typeof o.rlimits !== "object" || o.rlimits === null) throw new TypeError("rlimits must be an object");
    for (const [name, v] of Object.entries(o.rlimits) as [RlimitName, RlimitValue | undefined][]) {
      // Own keys only: "constructor" or "toString" must not pass (as RLIMIT_CPU).
      if (!Object.hasOwn(rlimitNumbers, name)) {
        throw new TypeError(`unknown rlimit "${name}"; known: ${Object.keys(rlimitNumbers).join(", ")}`);
      }
      if (v === undefined) continue; // unset, like every other option
      const res = rlimitNumbers[name];
      if (Array.isArray(v) && v.length !== 2) {
        throw new TypeError(`rlimits.${name} must be a limit or [soft, hard], got an array of ${v.length}`);
      }
      const [soft, hard] = Array.isArray(v) ? v : [v, v];
      const s = limit(soft, `rlimits.${name}`), h = limit(hard, `rlimits.${name}`);
      if (s > h) throw new TypeError(`rlimits.${name}: soft limit ${s} is above hard limit ${h}`);
      writer.rlimit(res, s, h);
      steps.push(`setrlimit:${name}`);
    }
  }
  // Credentials: groups, then gid, then uid (afterwards we may no longer).
  // With uid/gid and no explicit groups, the supplementary groups are
  // cleared — when we are root: an unprivileged process cannot setgroups at
  // all, and keeping its own groups is then the only possible outcome.
  if (o.groups === undefined && (o.uid !== undefined || o.gid !== undefined)) {
    writer.empty(Op.CLEAR_GROUPS);
    steps.push("setgroups");
  } else if (o.groups !== undefined) {
    const groups = o.groups ?? [];
    if (!Array.isArray(groups)) throw new TypeError("groups must be an array of group ids");
    // NGROUPS_MAX; the native decoder rejects more (a SpawnError from spawn() itself).
    if (groups.length > 65536) throw new TypeError(`groups must hold at most 65536 ids, got ${groups.length}`);
    writer.list32(Op.SETGROUPS, groups.map((g, i) => int(g, `groups[${i}]`, 0, 0xfffffffe)));
    steps.push("setgroups");
  }
  if (o.gid !== undefined) {
    writer.u32(Op.SETGID, int(o.gid, "gid", 0, 0xfffffffe));
    steps.push("setgid");
  }
  if (o.uid !== undefined) {
    writer.u32(Op.SETUID, int(o.uid, "uid", 0, 0xfffffffe));
    steps.push("setuid");
  }
  // After the credentials: changing them as the new user is checked
  // against the new user, like Go and Rust do.
  if (o.cwd !== undefined) {
    writer.string(Op.CHDIR, noNul(o.cwd, "cwd"));
    steps.push("chdir");
  }
  // After the credentials, which clear it.
  if (o.deathSignal !== undefined) {
    writer.u32(Op.PDEATHSIG, signal(o.deathSignal, "deathSignal"));
    steps.push("pdeathsig");
  }
  const seccomp = o.seccomp;
  if (seccomp !== undefined && !(seccomp instanceof Uint8Array)) {
    throw new TypeError("seccomp must be a Uint8Array of struct sock_filter");
  }
  if (seccomp && (seccomp.length === 0 || seccomp.length % 8 || seccomp.length > 8 * 4096)) {
    throw new TypeError(`seccomp must hold 1 to 4096 filters of 8 bytes, got ${seccomp.length} bytes`);
  }
  if (bool(o.noNewPrivileges, "noNewPrivileges") || seccomp) {
    writer.empty(Op.NO_NEW_PRIVS);
    steps.push("no_new_privs");
  }
  if (o.signalMask !== undefined) {
    if (!Array.isArray(o.signalMask)) throw new TypeError("signalMask must be an array of signals");
    let mask = 0n;
    for (const s of o.signalMask) mask |= 1n << BigInt(signal(s, "signalMask entry") - 1);
    writer.u64(Op.SIGMASK, mask);
    steps.push("sigmask");
  }
  if (seccomp) {
    writer.bytes(Op.SECCOMP, seccomp.length / 8, seccomp);
    steps.push("seccomp");
  }
  return { request: writer.end(), steps, pipes, handovers };
}
