/**
 * exec() and execFile(): a spawn whose stdout and stderr are collected for
 * a callback `(error, stdout, stderr)`, with Node's defaults (utf8, 1 MiB
 * maxBuffer, no timeout), its error (`Command failed: CMD\nSTDERR`, `code`,
 * `killed`, `signal`, `cmd`), and its promisified form resolving to
 * `{ stdout, stderr }`.
 */
import { Buffer } from "node:buffer";
import { promisify } from "node:util";
import { errnoCode } from "../api/errno.ts";
import { type ChildProcess, outputEncoding, stopOutput, tapOutput } from "./child-process.ts";
import { maxBufferError } from "./node-errors.ts";
import { spawn } from "./spawn.ts";
import { killSignalOf, nullCheck, ownOptions, validateFunction, validateMaxBuffer, validateObject, validateString, validateTimeout } from "./validate.ts";

export type ExecCallback = (error: ExecError | null, stdout: string | Buffer, stderr: string | Buffer) => void;

export interface ExecError extends Error {
  code?: number | string | null;
  killed?: boolean;
  signal?: string | null;
  cmd?: string;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
}

const MAX_BUFFER = 1024 * 1024;

interface ExecFileArgs {
  file: string;
  args: string[];
  options: Record<string, unknown>;
  callback: ExecCallback | undefined;
}

/** execFile's optional arguments in Node's order of precedence. */
function normalizeExecFileArgs(file: unknown, args: unknown, options: unknown, callback: unknown): ExecFileArgs {
  if (Array.isArray(args)) args = args.slice();
  else if (args != null && typeof args === "object") {
    callback = options;
    options = args;
    args = null;
  } else if (typeof args === "function") {
    callback = args;
    options = null;
    args = null;
  }
  if (args == null) args = [];
  if (typeof options === "function") callback = options;
  else if (options != null) validateObject(options, "options");
  if (options == null || typeof options === "function") options = {};
  if (callback != null) validateFunction(callback, "callback");
  const o = options as Record<string, unknown>;
  if (o.argv0 != null) {
    validateString(o.argv0, "options.argv0");
    nullCheck(o.argv0, "options.argv0");
  }
  return { file: file as string, args: args as string[], options: o, callback: callback as ExecCallback | undefined };
}

export function execFile(file: string, ...rest: unknown[]): ChildProcess {
  const a = normalizeExecFileArgs(file, rest[0], rest[1], rest[2]);
  const o = ownOptions<Record<string, unknown>>({ encoding: "utf8", timeout: 0, maxBuffer: MAX_BUFFER, killSignal: "SIGTERM", ...a.options });
  validateTimeout(o.timeout);
  validateMaxBuffer(o.maxBuffer);
  const killSignal = killSignalOf(o.killSignal);
  const maxBuffer = o.maxBuffer as number;
  // The options Node 20's execFile hands to spawn (argv0 is not one of them).
  const child = spawn(a.file, a.args, {
    cwd: o.cwd, env: o.env, gid: o.gid, uid: o.uid, shell: o.shell, signal: o.signal,
    windowsHide: !!o.windowsHide, windowsVerbatimArguments: !!o.windowsVerbatimArguments,
  });
  const encoding = o.encoding !== "buffer" && Buffer.isEncoding(o.encoding as string) ? o.encoding as BufferEncoding : null;
  const out: (string | Buffer)[] = [], err: (string | Buffer)[] = [];
  const lengths = { stdout: 0, stderr: 0 };
  let ex: ExecError | null = null;
  let killed = false, exited = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const joined = (parts: (string | Buffer)[], fd: 1 | 2) =>
    encoding || child[outputEncoding](fd) ? parts.join("") : Buffer.concat(parts as Buffer[]);

  function onExit(code?: number | null, signal?: string | null): void {
    if (exited) return;
    exited = true;
    clearTimeout(timer);
    if (!a.callback) return;
    const stdout = joined(out, 1), stderr = joined(err, 2);
    if (!ex && code === 0 && signal === null) return a.callback(null, stdout, stderr);
    let cmd = a.file;
    if (a.args.length) cmd += ` ${a.args.join(" ")}`;
    if (!ex) {
      ex = Object.assign(new Error(`Command failed: ${cmd}\n${stderr}`), {
        code: code != null && code < 0 ? errnoCode(-code) : code,
        killed: child.killed || killed,
        signal: signal ?? null,
      }) as ExecError;
    }
    ex.cmd = cmd;
    a.callback(ex, stdout, stderr);
  }

  function kill(): void {
    child[stopOutput]();
    killed = true;
    try {
      child.kill(killSignal);
    } catch (e) {
      ex = e as ExecError;
      onExit();
    }
  }

  if ((o.timeout as number) > 0) {
    timer = setTimeout(() => {
      timer = undefined;
      kill();
    }, o.timeout as number);
  }

  // Node aborts on the next tick, before anything was read: the output is
  // dropped. Read and dropped, not its pipes closed now: a child writing at
  // once died of SIGPIPE before the abort, which then found nothing to kill.
  const dropped = (o.signal as AbortSignal | undefined)?.aborted === true;
  /** Node's listener of stdout's (or stderr's) `data`, which counts what came against maxBuffer. */
  const collector = (name: "stdout" | "stderr", parts: (string | Buffer)[]) => (chunk: string | Buffer) => {
    if (dropped) return;
    if (maxBuffer === Infinity) return void parts.push(chunk);
    const enc = child[outputEncoding](name === "stdout" ? 1 : 2) as BufferEncoding | null;
    const length = enc ? Buffer.byteLength(chunk as string, enc) : chunk.length;
    lengths[name] += length;
    if (lengths[name] > maxBuffer) {
      const keep = maxBuffer - (lengths[name] - length);
      parts.push(chunk.slice(0, keep));
      ex = maxBufferError(name) as ExecError;
      kill();
    } else parts.push(chunk);
  };
  const onStdout = collector("stdout", out), onStderr = collector("stderr", err);
  // UTF-8 or Buffers are read without streams until the program asks for them (output-tap.ts).
  const utf8 = encoding !== null && /^utf-?8$/i.test(encoding);
  if (!((utf8 || encoding === null) && child[tapOutput](utf8, onStdout, onStderr))) {
    for (const [stream, listener] of [[child.stdout, onStdout], [child.stderr, onStderr]] as const) {
      if (!stream) continue;
      if (encoding) stream.setEncoding(encoding);
      stream.on("data", listener);
    }
  }
  child.addListener("close", onExit);
  child.addListener("error", (e: ExecError) => {
    ex = e;
    child[stopOutput]();
    onExit();
  });
  return child;
}

export function exec(command: string, options?: unknown, callback?: unknown): ChildProcess {
  validateString(command, "command");
  nullCheck(command, "command");
  if (typeof options === "function") {
    callback = options;
    options = undefined;
  }
  // Node spreads what it got: options that are not an object add nothing (a string its characters).
  const given = Object(options ?? {}) as Record<string, unknown>;
  const o = ownOptions(given, { shell: typeof given.shell === "string" ? given.shell : true });
  return execFile(command, o, callback);
}

/** util.promisify's form: resolves `{ stdout, stderr }`; the error carries them too. Its `child` is the ChildProcess. */
function promised(fn: (...args: unknown[]) => ChildProcess) {
  return (...args: unknown[]) => {
    let settle!: ExecCallback;
    const promise = new Promise<{ stdout: string | Buffer; stderr: string | Buffer }>((resolve, reject) => {
      settle = (e, stdout, stderr) => (e !== null ? reject(Object.assign(e, { stdout, stderr })) : resolve({ stdout, stderr }));
    }) as Promise<{ stdout: string | Buffer; stderr: string | Buffer }> & { child: ChildProcess };
    // Outside the executor: bad arguments throw here, as Node's do, rather than reject.
    promise.child = fn(...args, settle);
    return promise;
  };
}

for (const fn of [exec, execFile]) {
  Object.defineProperty(fn, promisify.custom, { value: promised(fn as (...args: unknown[]) => ChildProcess), enumerable: false });
}

