/** Options of spawn() and run(). */
import type { ChildFdOption, FileOption } from "./files.ts";
import type { PtyOptions } from "./pty.ts";
import type { Signal } from "./signals.ts";

/**
 * Where a child's standard fd comes from or goes to:
 * - "pipe": a pipe to this process (a stream on the Subprocess),
 * - "inherit": this process's own fd of the same number,
 * - "ignore": /dev/null,
 * - a number: that fd of this process,
 * - `{ file }`: a file the child opens (FileOption),
 * - "pty": the child's terminal (Bun's spelling; see {@link Options.pty}):
 *   every slot so marked is on the one terminal.
 */
export type StdioOption = "pipe" | "inherit" | "ignore" | "pty" | number | FileOption;

/** A chunk of input: text (sent as UTF-8) or bytes. */
export type InputChunk = string | ArrayBufferView | ArrayBuffer;

/**
 * Bytes for the child's stdin that the library reads and writes into a pipe,
 * pulling the next chunk only once the last is in the pipe (backpressure):
 * - bytes: a `Uint8Array` (a Buffer), another `ArrayBufferView`, an `ArrayBuffer`;
 * - a `Blob` (a `File`, `Bun.file()`);
 * - a web `ReadableStream` of chunks;
 * - a Node `Readable` (`fs.createReadStream()`, on Node, Bun and Deno);
 * - an async or sync iterable of chunks (an async generator, an array).
 *
 * The pipe is closed at the source's end (the child reads EOF). A child that
 * stops reading (it exits, as `head -c 1` does) cancels the source (a Node
 * stream is destroyed — this process's own stdin is only paused): no error.
 * A source that throws, or yields something other than an {@link InputChunk},
 * stops the child with `killSignal` — it must not act on input cut short —
 * and `exited` (and run()) rejects with a `StreamError` whose `cause` is the
 * source's error.
 */
export type InputSource =
  | ArrayBufferView
  | ArrayBuffer
  | Blob
  | ReadableStream<InputChunk>
  | AsyncIterable<InputChunk>
  // `& object`: a string is iterable too, and "pipe" must stay a word.
  | (Iterable<InputChunk> & object);

/**
 * The child's stdin: a {@link StdioOption}, an {@link InputSource}, or the
 * unread stdout (or stderr) stream of another child of this library — the
 * two children are then connected by the kernel pipe itself, and no byte
 * passes through JavaScript. A string is always one of the words: text
 * goes in `input`.
 */
export type StdinOption = StdioOption | ReadableStream<Uint8Array> | InputSource;

/** A Node stream by the parts the library uses: it is recognised by its shape (no node:stream is loaded). */
export interface NodeStreamLike {
  // deno-lint-ignore no-explicit-any -- Node's own listener type
  on(event: string, listener: (...args: any[]) => void): unknown;
  // deno-lint-ignore no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown;
  destroy(): unknown;
}

/** A Node `Writable` by the parts the library uses. */
export interface NodeWritableLike extends NodeStreamLike {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
}

/**
 * Where the library writes a child's stdout or stderr, each chunk once the
 * sink accepted the last one (backpressure: a slow sink slows the child):
 * a web `WritableStream` or a Node `Writable` (`fs.createWriteStream()`).
 * The sink is closed (ended) when the output ends — this process's own
 * stdout and stderr are never ended — and `exited` resolves only once the
 * sink has all of it (`finish` for a Node stream). stdout and stderr may
 * name the same sink: it is closed after both ended. A sink that errors
 * stops the reading (the child gets EPIPE/SIGPIPE), the child is sent
 * `killSignal`, and `exited` rejects with a `StreamError`.
 */
export type OutputSink = WritableStream<Uint8Array> | NodeWritableLike;

/** The child's stdout or stderr: a {@link StdioOption} or an {@link OutputSink}. */
export type StdoutOption = StdioOption | OutputSink;

/**
 * An entry of `stdio` beyond StdioOption: an extra fd (index 3 and up) may
 * be an fd of this process, closed (null, "ignore"), or "pipe" (spawn()
 * only: a socketpair, `subprocess.stdio[n]`); any entry may be a file or a
 * copy of another child fd ("stdout", "stderr", `{ child: n }`).
 */
export type ExtraFdOption =
  | number | "inherit" | "ignore" | "pipe" | "stdout" | "stderr" | FileOption | ChildFdOption | null | undefined;

/** Resource limit names accepted by `rlimits`. */
export type RlimitName =
  | "as" | "core" | "cpu" | "data" | "fsize" | "locks" | "memlock" | "msgqueue" | "nice"
  | "nofile" | "nproc" | "rss" | "rtprio" | "sigpending" | "stack";

/**
 * @internal An option key of aspawn/child_process, not of the public API:
 * `true` runs a file that execve refuses with ENOEXEC (a script without
 * "#!") under /bin/sh, as execvp does and so node:child_process.
 */
export const shFallback: unique symbol = Symbol("aspawn.shFallback");
/**
 * @internal An option key of aspawn/child_process: `true` makes "pipe" on
 * fds 0-2 a socketpair, as node:child_process gives. A Node child writes
 * its stdout without blocking and drops what is still queued at
 * process.exit(): a socket takes ~200 KB of that write, a pipe 64 KiB.
 */
export const socketStdio: unique symbol = Symbol("aspawn.socketStdio");
/**
 * @internal runSync(): the read that passes maxBuffer is kept whole (up to
 * 64 KiB past it) and the child killed at once, as Node's spawnSync does;
 * set by aspawn/child_process (a symbol: no public option).
 */
export const keepRead: unique symbol = Symbol("aspawn.keepRead");

/** A limit: soft = hard, or [soft, hard]. `Infinity` (or null) means unlimited. */
export type RlimitValue = number | bigint | null | [soft: number | bigint | null, hard: number | bigint | null];

export interface Options {
  /**
   * Working directory of the child (it changes to it before exec; a missing
   * directory rejects with SpawnError step "chdir"). A path, or a file: URL
   * (`new URL("./site/", import.meta.url)`).
   * @default the current directory
   */
  cwd?: string | URL;
  /**
   * Environment variables set for the child, merged over this process's
   * environment (unless `clearEnv`). `undefined` removes a variable. A plain
   * object (or `process.env`): an array, a Map or a string is a TypeError.
   * @default {}
   */
  env?: Record<string, string | undefined>;
  /**
   * Start from an empty environment: the child gets only `env`.
   * @default false
   */
  clearEnv?: boolean;
  /**
   * The child's argv[0].
   * @default file
   */
  argv0?: string;
  /**
   * The child's stdin: a word, an fd, a source of bytes the library pumps
   * (see {@link InputSource}), or the unread `stdout` of another Subprocess.
   * Subprocess.stdin is null unless it is "pipe".
   * @default "ignore"
   */
  stdin?: StdinOption;
  /**
   * Written to the child's stdin, which is then closed: text (UTF-8) or any
   * {@link InputSource}. Takes stdin's place (stdin may only be left out or
   * "pipe"); Subprocess.stdin is then null.
   * @default none
   */
  input?: string | InputSource;
  /**
   * The child's stdout: a word, an fd, a file, or a sink the library writes
   * it to ({@link OutputSink}; Subprocess.stdout is then null, and run()
   * leaves it out of the result as with "inherit"); "stderr" makes it a copy
   * of the child's stderr (`1>&2`), wherever that goes.
   * @default "pipe"
   */
  stdout?: StdoutOption | "stderr";
  /**
   * The child's stderr, as stdout; "stdout" sends it wherever the child's
   * stdout goes (`2>&1`): one pipe, in the order the child wrote, and run()
   * then collects both in `stdout` (its `stderr` is empty).
   * @default "inherit" (spawn); "pipe" (run)
   */
  stderr?: StdoutOption | "stdout";
  /**
   * Every fd of the child by number: entries 0-2 override stdin/stdout/
   * stderr, entries from 3 on pass fds of this process (a number), open a
   * file, copy another child fd, give a socketpair ("pipe": spawn() only,
   * read and written through `subprocess.stdio[n]`) or leave that fd
   * closed. Every fd not named here is closed in the child.
   *
   * `"pipe" | "inherit" | "ignore"` alone is a shorthand for fds 0-2 that
   * fills in whichever of `stdin`, `stdout`, `stderr` is not given (with
   * run(), `input` still pipes stdin; `"inherit"` leaves run()'s `stdout`
   * and `stderr` empty, `"ignore"` discards them).
   * @default [stdin, stdout, stderr]
   */
  stdio?: "pipe" | "inherit" | "ignore" | "pty" | readonly (StdioOption | ExtraFdOption | StdinOption | StdoutOption)[];
  /**
   * Run `file` as a command line through a shell: `true` is `/bin/sh`, a
   * string names the shell (looked up in PATH when it has no "/"). The child
   * is `SHELL -c FILE`, and `args`, when given, become the positional
   * parameters `$1`, `$2`... (`SHELL -c FILE sh ARGS...`): the shell never
   * parses them, so refer to them as `"$1"` or `"$@"`.
   * @default false
   */
  shell?: boolean | string;
  /**
   * Look for the program in `node_modules/.bin` of `cwd` and each of its
   * parents before PATH: those directories are put in front of the
   * child's PATH (so its own children find them too).
   * @default false
   */
  preferLocal?: boolean;
  /**
   * Kill the child with `killSignal` after this many milliseconds (at most
   * 2 ** 31 - 1; 0 or Infinity: never, as node:child_process and execa take
   * 0). Once the child has exited it also stops
   * the reading of its pipes, which a descendant may hold open: what they
   * hold then is kept, and its streams end.
   * @default no timeout
   */
  timeout?: number;
  /**
   * Kill the child with `killSignal` when this signal aborts; after the
   * child exited, stop reading its pipes, as `timeout` does. runSync()
   * cannot be aborted: there it is a TypeError.
   * @default none
   */
  signal?: AbortSignal;
  /**
   * The signal sent on timeout, abort and async dispose, and by `cleanup`.
   * @default "SIGTERM"
   */
  killSignal?: Signal;
  /**
   * When the child outlives `killSignal` by this many milliseconds (at
   * most 2 ** 31 - 1), SIGKILL follows. `Infinity` disables it.
   * @default 5000
   */
  forceKillAfter?: number;

  /**
   * User id of the child (setresuid before exec). Requires privilege.
   * @default unchanged
   */
  uid?: number;
  /**
   * Group id of the child (setresgid before exec). Requires privilege.
   * @default unchanged
   */
  gid?: number;
  /**
   * Supplementary groups of the child (setgroups).
   * @default [] when uid or gid is given and we run as root, else unchanged
   */
  groups?: readonly number[];
  /**
   * Start a new session (setsid): the child leads a new session and process group.
   * @default false
   */
  setsid?: boolean;
  /**
   * Run the child on a pseudo-terminal (native backend; spawn(), run() and runSync()):
   * it leads a new session (`setsid`, implied) whose controlling terminal
   * is the pty, and its stdin, stdout and stderr are the terminal unless
   * given something else (`stderr: "pipe"` keeps stderr apart). `TERM` is
   * set when the environment has none. We keep only the master:
   * `subprocess.stdout` is what the program writes to the terminal (it
   * ends after the program and everything holding the terminal are gone),
   * `subprocess.stdin` types keystrokes (`"\x03"` is ^C: SIGINT to the
   * foreground job); closing stdin types ^D, the terminal's end of input,
   * and keeps the output open. `subprocess.pty` resizes the window (the
   * program gets SIGWINCH) and reads its size. The terminal does what a
   * terminal does: input is echoed and "\n" becomes "\r\n" on output.
   *
   * run() and runSync(): `stdout` is all the program wrote to the terminal,
   * read until no process holds it; `input` is a pipe (exact bytes, then
   * end of file, no echo), and without it nothing is typed on the terminal.
   *
   * As `cleanup` has it, the program is killed when we end; and when the
   * master closes (our process is gone) the kernel hangs it up (SIGHUP).
   * `true` is an 80x24 window. A TypeError with `setsid: false`, a
   * `processGroup` number, or the portable backend.
   * @default no terminal
   */
  pty?: boolean | PtyOptions;
  /**
   * `true`: the child leads a new process group (setpgid(0, 0); with
   * `setsid` it already does); a number: it joins that process group.
   * @default unchanged
   */
  processGroup?: boolean | number;
  /**
   * File mode creation mask of the child.
   * @default unchanged
   */
  umask?: number;
  /**
   * Niceness of the child, -20 (most favourable) to 19.
   * @default unchanged
   */
  nice?: number;
  /**
   * Resource limits of the child, e.g. `{ nofile: 64 }` or `{ core: [0, Infinity] }`.
   * @default unchanged
   */
  rlimits?: Partial<Record<RlimitName, RlimitValue>>;
  /**
   * Kill the child when this process ends (exit, uncaught exception, a
   * signal, SIGKILL included) — from a Worker, when the Worker ends: the
   * kernel sends it `killSignal` (PR_SET_PDEATHSIG). Not by default for a
   * child that is a daemon (`setsid`, `processGroup: true`: pass `true` to
   * have it anyway), nor with `false`. Its own children are not reached: see
   * `kill(signal, { tree: true })` and `cgroup`.
   * @default true, unless `setsid` or `processGroup: true`
   */
  cleanup?: boolean;
  /**
   * Signal the kernel sends the child when this thread dies (PR_SET_PDEATHSIG;
   * from a Worker, that is when the Worker ends), in place of `cleanup`'s
   * `killSignal`, also for a daemon.
   * @default `killSignal` when `cleanup`, else none
   */
  deathSignal?: Signal;
  /**
   * Set no_new_privs: exec can never grant privileges (setuid binaries,
   * file capabilities).
   * @default false, true when `seccomp` is given
   */
  noNewPrivileges?: boolean;
  /**
   * Path of a cgroup v2 directory the child starts in (CLONE_INTO_CGROUP).
   * @default unchanged
   */
  cgroup?: string;
  /**
   * Signals blocked in the child when it starts. Dispositions are always
   * reset to default.
   * @default [] (nothing blocked)
   */
  signalMask?: readonly Signal[];
  /**
   * A classic BPF seccomp filter (an array of 8-byte `struct sock_filter`),
   * installed as the last step before exec. Implies `noNewPrivileges`.
   * @default none
   */
  seccomp?: Uint8Array;
  /**
   * Reject with ExitError on a non-zero exit code, a signal, a timeout, an
   * abort or `maxBuffer` exceeded: run() and `$` reject, and so do the
   * helpers of spawn() (`bytes()`, `text()`, `json()`; `lines()` throws at
   * the end of the iteration). With `false` the result says which
   * (`exitCode`, `signal`, `timedOut`, `aborted`, `maxBufferExceeded`).
   * A program that never ran is a SpawnError whatever this says.
   * @default true
   */
  reject?: boolean;
  /**
   * Log on stderr one line when the child starts (`[aspawn PID] $ COMMAND`,
   * quoted as a shell would need it) and one when it ends (`[aspawn PID]
   * exit 0 after 3.1 ms`, `killed by SIGTERM`, `failed: ...`). The
   * environment variable ASPAWN_VERBOSE=1 turns it on for every child
   * that does not say `verbose: false`.
   * @default false, or ASPAWN_VERBOSE
   */
  verbose?: boolean;
  /**
   * Most bytes kept of stdout and of stderr (run(), `$`) or read by the
   * helpers of spawn(); past it the output is cut, the child is sent
   * `killSignal` (reading stops once it exited) and the call rejects with an
   * ExitError whose `maxBufferExceeded` is true — or, with `reject: false`,
   * resolves with what was kept.
   * @default 64 MiB; spawn()'s `lines()`: no limit unless given
   */
  maxBuffer?: number;
}

/** Options of run() and runSync(). */
export interface RunOptions extends Options {
  /**
   * "utf8": stdout and stderr as strings; "buffer": as Uint8Array.
   * @default "utf8"
   */
  encoding?: "utf8" | "buffer";
  /**
   * Also give `all`: stdout and stderr interleaved in the order this
   * process read them. Each read takes what a pipe holds at that moment, so
   * writes the child makes to both within one wakeup of the reader (well
   * under a millisecond apart) can come out in either order; for the exact
   * order, send stderr to stdout in the child instead. stdout and stderr
   * keep their own copies, each within `maxBuffer`.
   * @default false
   */
  all?: boolean;
}
