/** The two errors of the library besides TypeError for bad input. */
import { ENOENT, ENOTDIR, EOPNOTSUPP, errnoCode, errnoMessage } from "./errno.ts";
import { clip, outputDecoder } from "./text.ts";

/** The OS error behind a SpawnError, in the shape Node gives system errors. */
export interface OsError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

function osError(errno: number, syscall: string): OsError {
  const code = errnoCode(errno);
  return Object.assign(new Error(`${code}: ${errnoMessage(errno)}, ${syscall}`), { code, errno, syscall });
}

/** What the failing step was working on, for messages: the options that name paths. */
export interface SpawnPaths {
  cwd?: string | undefined;
  cgroup?: string | undefined;
  /** The file an `open ...` step opened (stdio's `{ file }`). */
  opened?: string | undefined;
}

/** The path a step failed on, when the step names one. */
function pathOf(step: string, file: string | undefined, paths: SpawnPaths | undefined): string | undefined {
  if (step === "execve") return file;
  if (step === "chdir") return paths?.cwd;
  if (step === "cgroup") return paths?.cgroup;
  if (step.startsWith("open ")) return paths?.opened;
  return undefined;
}

/** The cause in words: the errno's, or one that names the option. */
function reason(errno: number, step: string, path: string | undefined): string {
  if (step === "cgroup" && errno === EOPNOTSUPP) return `${JSON.stringify(path)} is not a cgroup v2 directory`;
  if (step === "chdir" && path !== undefined) {
    const cwd = `cwd ${JSON.stringify(path)}`;
    if (errno === ENOENT) return `${cwd} does not exist`;
    if (errno === ENOTDIR) return `${cwd} is not a directory`;
    return `${cwd}: ${errnoMessage(errno)}`;
  }
  if (step === "cgroup" && path !== undefined) return `cgroup ${JSON.stringify(path)}: ${errnoMessage(errno)}`;
  if (step.startsWith("open ") && path !== undefined) return `${JSON.stringify(path)}: ${errnoMessage(errno)}`;
  return errnoMessage(errno);
}

/**
 * The program never ran: the spawn failed in the parent (thrown by spawn())
 * or the child failed before exec (rejects `spawned` and `exited`).
 */
export class SpawnError extends Error {
  override name = "SpawnError";
  /** "ENOENT", "EACCES", ... */
  readonly code: string;
  /** The positive errno value. */
  readonly errno: number;
  /** What failed: "execve", "chdir", "setuid", "dup2:3", "setrlimit:nofile", "cgroup", "open stdout", "merge stderr", "spawn" ... */
  readonly step: string;
  /** The command line, for messages: file and arguments. */
  readonly command: string;
  /** The path the step failed on: the program (execve), `cwd` (chdir), the `cgroup`. */
  readonly path: string | undefined;
  declare readonly cause: OsError;
  readonly #file: string | undefined;
  readonly #paths: SpawnPaths | undefined;

  /** `file` (the program as given) lets the message say what a miss likely means. */
  constructor(errno: number, step: string, command: string, file?: string, paths?: SpawnPaths) {
    const cause = osError(errno, step);
    const path = pathOf(step, file, paths);
    // "echo $HOME && ls" looked up as one program name: a command line.
    const hint = errno === ENOENT && step === "execve" && file?.includes(" ") && !file.includes("/")
      ? " — use shell: true, or split the arguments"
      : "";
    super(`Command failed to start (${cause.code}: ${reason(errno, step, path)}, ${step}): ${command}${hint}`, { cause });
    this.code = cause.code;
    this.errno = errno;
    this.step = step;
    this.command = command;
    this.path = path;
    this.#file = file;
    this.#paths = paths;
  }

  /**
   * The same error made again here: inside an async function that the
   * caller awaits, its stack shows the caller's frames (the runtimes' async
   * stack traces), where the one made when the child's status arrived shows
   * only the reactor's. Capturing a stack at every spawn instead would cost
   * microseconds on every call.
   */
  atCallSite(): SpawnError {
    return new SpawnError(this.errno, this.step, this.command, this.#file, this.#paths);
  }
}

/** Why `e`'s child never ran, as its message says it: `(ENOENT: no such file or directory, execve)`. */
export function startFailure(e: SpawnError): string {
  return `(${e.code}: ${reason(e.errno, e.step, e.path)}, ${e.step})`;
}

/** `e` made again in the caller's async context when it is a SpawnError (see atCallSite). */
export function atCallSite(e: unknown): unknown {
  return e instanceof SpawnError ? e.atCallSite() : e;
}

export interface ExitErrorDetails {
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string | Uint8Array;
  stderr: string | Uint8Array;
  durationMs: number;
  timedOut: boolean;
  timeoutMs?: number;
  aborted: boolean;
  /** The signal's reason, when it aborted the child: the error's `cause`. */
  abortReason?: unknown;
  maxBufferExceeded: boolean;
  /** The limit, and the stream that passed it first. */
  maxBuffer?: number | undefined;
  maxBufferStream?: "stdout" | "stderr" | undefined;
  all?: string | Uint8Array | undefined;
}

/** At most the last 10 lines of the last 4096 characters (bytes, of a Uint8Array): a message, not the whole output (which can be maxBuffer long). */
const TAIL_BYTES = 4096;
export function tail(stderr: string | Uint8Array): string {
  let text = typeof stderr === "string" ? stderr.slice(-TAIL_BYTES) : outputDecoder().decode(stderr.subarray(-TAIL_BYTES));
  // A string cut inside a surrogate pair starts with its second half: dropped, not shown as a stray.
  const first = text.charCodeAt(0);
  if (first >= 0xdc00 && first <= 0xdfff) text = text.slice(1);
  const lines = text.trimEnd().split("\n");
  return lines.slice(-10).join("\n");
}

/**
 * The program ran and failed: non-zero exit, killed by a signal, timed out,
 * aborted, too much output. `T` is the type of `stdout` and `stderr`:
 * strings unless the call had `encoding: "buffer"` (bytes() of spawn()
 * also gives bytes); in a `catch`, say which you expect with
 * `e instanceof ExitError && typeof e.stdout === "string"` or
 * `(e as ExitError<string>)`.
 */
export class ExitError<T extends string | Uint8Array = string | Uint8Array> extends Error {
  override name = "ExitError";
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: T;
  readonly stderr: T;
  readonly durationMs: number;
  /** `timeout` elapsed before the child exited and its output ended. */
  readonly timedOut: boolean;
  /** `signal` aborted before the child exited and its output ended. */
  readonly aborted: boolean;
  /** stdout or stderr passed maxBuffer (cut there; the child was sent killSignal). */
  readonly maxBufferExceeded: boolean;
  /** With `all: true`: stdout and stderr interleaved. */
  readonly all: T | undefined;

  constructor(d: ExitErrorDetails) {
    let why: string;
    // How it ended, whatever made us stop it: it may have caught the signal
    // and exited, or exited before the signal landed.
    const how = d.signal ? `was killed with ${d.signal}` : `exited with code ${d.exitCode}`;
    // Why we signalled it, also when it caught the signal and exited.
    const reason = d.timedOut ? ` (timed out after ${d.timeoutMs} ms)` : d.aborted ? " (aborted)" : "";
    if (d.maxBufferExceeded) {
      const limit = d.maxBuffer === undefined ? "" : ` (${d.maxBuffer} bytes of ${d.maxBufferStream ?? "output"})`;
      why = `Command output exceeded maxBuffer${limit} and ${how}`;
    } else if (d.signal) why = `Command was killed with ${d.signal}${reason}`;
    else if (d.exitCode !== 0) why = `Command failed with exit code ${d.exitCode}${reason}`;
    // Exit code 0, stopped all the same (while a descendant held its output open).
    else if (d.timedOut) why = `Command timed out after ${d.timeoutMs} ms and ${how}`;
    else if (d.aborted) why = `Command was aborted and ${how}`;
    else why = `Command failed with exit code ${d.exitCode}`;
    const err = tail(d.stderr);
    super(`${why}: ${d.command}${err ? `\n${err}` : ""}`, d.aborted && d.abortReason !== undefined ? { cause: d.abortReason } : undefined);
    this.command = d.command;
    this.exitCode = d.exitCode;
    this.signal = d.signal;
    this.stdout = d.stdout as T;
    this.stderr = d.stderr as T;
    this.durationMs = d.durationMs;
    this.timedOut = d.timedOut;
    this.aborted = d.aborted;
    this.maxBufferExceeded = d.maxBufferExceeded;
    this.all = d.all as T | undefined;
  }
}

/** Longest command line kept for messages: a 40 MiB argument list must not
 * live on in every error that quotes it. */
const MAX_COMMAND = 4096;
/** Words that need no quotes for a shell (a literal in quote() would be a new RegExp per string). */
const PLAIN = /^[\w@%+=:,./-]+$/;
const quote = (s: string) => (PLAIN.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** "file arg1 arg2" with arguments quoted when they need it, for messages. */
export function commandLine(file: string, args: readonly string[]): string {
  let line = quote(clip(file, MAX_COMMAND));
  for (const a of args) {
    if (line.length > MAX_COMMAND) break;
    line += ` ${quote(clip(a, MAX_COMMAND))}`;
  }
  return line.length > MAX_COMMAND ? `${clip(line, MAX_COMMAND)}… (${args.length} arguments)` : line;
}

/**
 * JSON.parse of a command's stdout; a SyntaxError names the command and
 * starts with the output it could not parse (each runtime words the
 * parser's own message otherwise), the parser's error as its cause.
 */
export function parseOutput<T>(text: string, command: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const start = text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}...` : JSON.stringify(text);
    throw new SyntaxError(`stdout of ${command} is not JSON (${(e as Error).message}): ${start}`, { cause: e });
  }
}
