/**
 * spawnSync(), execSync(), execFileSync() over runSync(): one native call
 * that spawns, feeds input, collects and reaps, with Node's result shape
 * (`pid`, `output`, `stdout`, `stderr`, `status`, `signal`, `error`) and
 * Node's errors (`spawnSync FILE ENOENT`, ETIMEDOUT, ENOBUFS).
 */
import { Buffer } from "node:buffer";
import { SpawnError } from "../api/errors.ts";
import { keepRead, type RunOptions, shFallback, socketStdio } from "../api/options.ts";
import { runSync } from "../api/run-sync.ts";
import { EINVAL, ENOBUFS, ETIMEDOUT } from "../api/errno.ts";
import { type ErrnoError, errnoError, invalidArgType, invalidArgValue, unknownEncoding } from "./node-errors.ts";
import { readStdio, type Slot } from "./stdio.ts";
import { idOf, killSignalOf, NO_ID, normalizeSpawnArguments, nullCheck, ownOptions, validateMaxBuffer, validateObject, validateString, validateTimeout } from "./validate.ts";

const MAX_BUFFER = 1024 * 1024;

export interface SpawnSyncReturns<T = Buffer | string> {
  pid: number;
  output: (T | null)[] | null;
  stdout: T | null;
  stderr: T | null;
  status: number | null;
  signal: string | null;
  error?: ErrnoError | Error;
}

type Normalized = ReturnType<typeof normalizeSpawnArguments>;

export function spawnSync(file: string, args?: unknown, options?: unknown): SpawnSyncReturns {
  const o = normalizeSpawnArguments(file, args, options);
  validateTimeout(o.timeout);
  validateMaxBuffer(o.maxBuffer);
  // 0 is no limit to Node's sync runner (exec and execFile fail on any output).
  const maxBuffer = o.maxBuffer == null ? MAX_BUFFER : o.maxBuffer === 0 ? Infinity : (o.maxBuffer as number);
  const killSignal = killSignalOf(o.killSignal);
  const { slots } = readStdio(o.stdio ?? "pipe", true);
  const input = inputOf(o, slots);
  const stdio = slots.map((s: Slot) => (typeof s === "object" ? "pipe" : s));
  // The native sync call collects stdout and stderr only (a documented difference).
  const extra = stdio.findIndex((s, i) => i > 2 && s === "pipe");
  if (extra > 0) {
    throw invalidArgValue(`options.stdio[${extra}]`, o.stdio && typeof o.stdio === "object" ? (o.stdio as unknown[])[extra] : o.stdio,
      "cannot be a pipe: aspawn's spawnSync collects stdout and stderr only");
  }
  const lib = libraryOptions(o, stdio, maxBuffer, killSignal, input);
  const fail = (errno: number): ErrnoError => {
    const e = errnoError(errno, `spawnSync ${o.file}`);
    e.path = o.file;
    e.spawnargs = o.args.slice(1);
    return e;
  };
  // Keys in Node's order (console.log and snapshots show it): error first when there is one.
  const failed = (errno: number): SpawnSyncReturns => ({ error: fail(errno), status: null, signal: null, output: null, pid: 0, stdout: null, stderr: null });
  // setuid(-1) and setgid(-1) fail (child-process.ts).
  if (idOf(o.uid) === NO_ID || idOf(o.gid) === NO_ID) return failed(EINVAL);
  let r;
  try {
    r = runSync(o.file, o.args.slice(1), lib);
  } catch (e) {
    if (!(e instanceof SpawnError)) throw e;
    return failed(e.errno);
  }
  // Node decodes each output with any encoding given but "buffer", and
  // throws then, after the run, if Buffer does not know it.
  const encoding = o.encoding && o.encoding !== "buffer" ? o.encoding : undefined;
  const shape = (bytes: string | Uint8Array, fd: number): Buffer | string | null => {
    if (stdio[fd] !== "pipe") return null;
    const b = Buffer.from(bytes as Uint8Array);
    if (!encoding) return b;
    return b.length ? b.toString(checked(encoding)) : "";
  };
  const stdout = shape(r.stdout, 1), stderr = shape(r.stderr, 2);
  const error = r.timedOut
    ? fail(ETIMEDOUT)
    : r.maxBufferExceeded || r.stdout.length > maxBuffer || r.stderr.length > maxBuffer
    ? fail(ENOBUFS)
    : undefined;
  return {
    ...(error ? { error } : {}),
    status: r.exitCode,
    signal: r.signal,
    output: [null, stdout, stderr],
    // Node's is a number: 0 where the portable backend's runtime does not report it.
    pid: r.pid ?? 0,
    stdout,
    stderr,
  };
}

/** `input` (or stdio[0]'s), checked whatever stdio[0] is and used only when it is a pipe (Node's libuv ignores it for "ignore" and "inherit"). */
function inputOf(o: Normalized, slots: Slot[]): Uint8Array | undefined {
  const given = o.input ?? (slots[0] as { input?: unknown } | undefined)?.input;
  let input: Uint8Array | undefined;
  if (given != null) {
    // Node's Buffer.from(input, options.encoding): "buffer" is unknown there.
    if (typeof given === "string") input = Buffer.from(given, typeof o.encoding === "string" && o.encoding ? checked(o.encoding) : undefined);
    else if (ArrayBuffer.isView(given)) input = new Uint8Array(given.buffer, given.byteOffset, given.byteLength);
    else throw invalidArgType("options.stdio[0]", ["Buffer", "TypedArray", "DataView", "string"], given);
  }
  return slots[0] !== "pipe" && typeof slots[0] !== "object" ? undefined : input;
}

/** What runSync() is asked for: Node's sync spawn in the library's options, without a prototype (a polluted Object.prototype's cwd or uid must not count). */
function libraryOptions(o: Normalized, stdio: unknown[], maxBuffer: number, killSignal: ReturnType<typeof killSignalOf>, input: Uint8Array | undefined): RunOptions {
  return ownOptions({
    // Only when it differs, as spawn() does: the portable backend on Deno has no argv0.
    ...(o.args.length && o.args[0] !== o.file ? { argv0: o.args[0] } : {}),
    ...(o.cwd != null ? { cwd: o.cwd } : {}),
    ...(o.env ? { env: o.env, clearEnv: true } : {}),
    stdio: stdio as RunOptions["stdio"],
    ...(o.detached ? { setsid: true } : {}),
    ...(o.uid != null ? { uid: idOf(o.uid) } : {}),
    ...(o.gid != null ? { gid: idOf(o.gid) } : {}),
    ...(o.timeout ? { timeout: o.timeout } : {}),
    ...(killSignal !== undefined ? { killSignal } : {}),
    ...(input !== undefined ? { input } : {}),
    // Node reads in 64 KiB chunks and checks maxBuffer after each: the
    // child is killed then, and what passed the limit within that chunk is
    // kept (keepRead; the portable backend keeps up to maxBuffer). Node
    // takes any number (3.14 lets 3 bytes through): the library, whole bytes.
    maxBuffer: maxBuffer === Infinity ? Infinity : Math.max(1, Math.floor(maxBuffer)),
    [keepRead]: true,
    encoding: "buffer",
    reject: false,
    cleanup: false,
    forceKillAfter: Infinity,
    // A script without "#!" runs under /bin/sh, as Node's execvp runs it; its pipes are socketpairs, as libuv's.
    [shFallback]: true,
    [socketStdio]: true,
  } as RunOptions);
}

/** An encoding Buffer knows, else Node's ERR_UNKNOWN_ENCODING (whatever this runtime's Buffer would throw). */
function checked(encoding: unknown): BufferEncoding {
  if (typeof encoding === "string" && Buffer.isEncoding(encoding)) return encoding;
  throw unknownEncoding(encoding);
}

/** Node's error for a failed sync exec: the spawn error, or `Command failed: CMD\nSTDERR`, with the result's fields. */
function execSyncError(ret: SpawnSyncReturns, cmd: string): Error | undefined {
  if (ret.error) return Object.assign(ret.error, ret);
  if (ret.status === 0) return undefined;
  const stderr = ret.stderr && ret.stderr.length > 0 ? `\n${ret.stderr.toString()}` : "";
  return Object.assign(new Error(`Command failed: ${cmd}${stderr}`), ret);
}

export function execFileSync(file: string, args?: unknown, options?: unknown): Buffer | string | null {
  if (args != null && typeof args === "object" && !Array.isArray(args)) {
    options = args;
    args = [];
  }
  if (options != null) validateObject(options, "options");
  const o = (options ?? {}) as Record<string, unknown>;
  if (o.argv0 != null) {
    validateString(o.argv0, "options.argv0");
    nullCheck(o.argv0, "options.argv0");
  }
  const list = (args ?? []) as string[];
  const ret = spawnSync(file, list, o);
  // With no stdio of the caller's, the child's stderr is shown, as Node does.
  if (!o.stdio && ret.stderr) process.stderr.write(ret.stderr);
  const err = execSyncError(ret, [(o.argv0 as string) || file, ...list].join(" "));
  if (err) throw err;
  return ret.stdout;
}

export function execSync(command: string, options?: unknown): Buffer | string | null {
  validateString(command, "command");
  nullCheck(command, "command");
  // As exec(): options that are not an object add nothing.
  const o = ownOptions(Object(options ?? {}) as Record<string, unknown>);
  o.shell = typeof o.shell === "string" ? o.shell : true;
  const ret = spawnSync(command, o);
  if (!o.stdio && ret.stderr) process.stderr.write(ret.stderr);
  const err = execSyncError(ret, command);
  if (err) throw err;
  return ret.stdout;
}
