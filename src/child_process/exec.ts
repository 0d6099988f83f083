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
  // The options Node 20's execFile hands to spawn (argv0 is not one of them).
  const child = spawn(a.file, a.args, {
    cwd: o.cwd, env: o.env, gid: o.gid, uid: o.uid, shell: o.shell, signal: o.signal,
    windowsHide: !!o.windowsHide, windowsVerbatimArguments: !!o.windowsVerbatimArguments,
  });
  const encoding = o.encoding !== "buffer" && Buffer.isEncoding(o.encoding as string) ? o.encoding as BufferEncoding : null;
  // Node aborts on the next tick, before anything was read: the output is
  // dropped. Read and dropped, not its pipes closed now: a child writing at
  // once died of SIGPIPE before the abort, which then found nothing to kill.
  const dropped = (o.signal as AbortSignal | undefined)?.aborted === true;
  new Collection(child, a, encoding, o.maxBuffer as number, killSignal, dropped).start(o.timeout as number);
  return child;
}

/**
 * One execFile() call after the spawn: stdout and stderr collected against
 * maxBuffer, the kill a timeout or an overflow makes, and the callback at
 * `close` (or `error`) with Node's error.
 */
class Collection {
  readonly #out: (string | Buffer)[] = [];
  readonly #err: (string | Buffer)[] = [];
  readonly #lengths = { stdout: 0, stderr: 0 };
  #ex: ExecError | null = null;
  #killed = false;
  #exited = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly call: ExecFileArgs,
    readonly encoding: BufferEncoding | null,
    readonly maxBuffer: number,
    readonly killSignal: ReturnType<typeof killSignalOf>,
    readonly dropped: boolean,
  ) {}

  start(timeout: number): void {
    const { child, encoding } = this;
    if (timeout > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kill();
      }, timeout);
    }
    const onStdout = this.#collector("stdout", this.#out), onStderr = this.#collector("stderr", this.#err);
    // UTF-8 or Buffers are read without streams until the program asks for them (output-tap.ts).
    const utf8 = encoding !== null && /^utf-?8$/i.test(encoding);
    if (!((utf8 || encoding === null) && child[tapOutput](utf8, onStdout, onStderr))) {
      for (const [stream, listener] of [[child.stdout, onStdout], [child.stderr, onStderr]] as const) {
        if (!stream) continue;
        if (encoding) stream.setEncoding(encoding);
        stream.on("data", listener);
      }
    }
    child.addListener("close", this.#onExit);
    child.addListener("error", (e: ExecError) => {
      this.#ex = e;
      child[stopOutput]();
      this.#onExit();
    });
  }

  #joined(parts: (string | Buffer)[], fd: 1 | 2): string | Buffer {
    return this.encoding || this.child[outputEncoding](fd) ? parts.join("") : Buffer.concat(parts as Buffer[]);
  }

  readonly #onExit = (code?: number | null, signal?: string | null): void => {
    if (this.#exited) return;
    this.#exited = true;
    clearTimeout(this.#timer);
    const { callback, file, args } = this.call;
    if (!callback) return;
    const stdout = this.#joined(this.#out, 1), stderr = this.#joined(this.#err, 2);
    if (!this.#ex && code === 0 && signal === null) return callback(null, stdout, stderr);
    let cmd = file;
    if (args.length) cmd += ` ${args.join(" ")}`;
    const ex = this.#ex ?? Object.assign(new Error(`Command failed: ${cmd}\n${stderr}`), {
      code: code != null && code < 0 ? errnoCode(-code) : code,
      killed: this.child.killed || this.#killed,
      signal: signal ?? null,
    }) as ExecError;
    ex.cmd = cmd;
    callback(ex, stdout, stderr);
  };

  #kill(): void {
    this.child[stopOutput]();
    this.#killed = true;
    try {
      this.child.kill(this.killSignal);
    } catch (e) {
      this.#ex = e as ExecError;
      this.#onExit();
    }
  }

  /** Node's listener of stdout's (or stderr's) `data`, which counts what came against maxBuffer. */
  #collector(name: "stdout" | "stderr", parts: (string | Buffer)[]): (chunk: string | Buffer) => void {
    return (chunk) => {
      if (this.dropped) return;
      if (this.maxBuffer === Infinity) return void parts.push(chunk);
      const enc = this.child[outputEncoding](name === "stdout" ? 1 : 2) as BufferEncoding | null;
      const length = enc ? Buffer.byteLength(chunk as string, enc) : chunk.length;
      this.#lengths[name] += length;
      if (this.#lengths[name] > this.maxBuffer) {
        parts.push(chunk.slice(0, this.maxBuffer - (this.#lengths[name] - length)));
        this.#ex = maxBufferError(name) as ExecError;
        this.#kill();
      } else parts.push(chunk);
    };
  }
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

