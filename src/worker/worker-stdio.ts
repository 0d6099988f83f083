/**
 * A worker's stdio: the spawn options for fds 0-2 and the caller's extra
 * fds, with the worker's defaults (stdin ignored, stdout inherited, stderr
 * piped: worker.ts forwards it to ours and keeps its tail for WorkerError).
 * A Worker has no stdin, stdout or extra-fd stream: "pipe" (or "pty")
 * there would be a pipe nobody reads, and the worker would block on its
 * first write past the pipe's 64 KiB; or nobody writes, and a read waits
 * forever. Refused, saying what to use.
 */
import type { Options } from "../api/options.ts";
import { CHANNEL_FD } from "./channel-fd.ts";

export interface WorkerStdio {
  /** The caller's `stdio` array (copied; fds 3 and up as given), or empty. */
  stdio: unknown[];
  stdin: Options["stdin"];
  stdout: Options["stdout"];
  stderr: Options["stderr"];
}

const USE = {
  stdin: `"ignore", "inherit", an fd, a file ({ file }) or bytes to feed it`,
  stdout: `"inherit", "ignore", an fd, a file ({ file }) or a stream to write it to`,
  extra: `an fd of ours, a file ({ file }) or null`,
};

function refuse(name: string, value: string, why: string, use: string): never {
  throw new TypeError(`${name}: ${JSON.stringify(value)} is not available for a worker: ${why}; use ${use}`);
}

const unread = (v: unknown): v is "pipe" | "pty" => v === "pipe" || v === "pty";

export function workerStdio(options: Options): WorkerStdio {
  if (options.pty) refuse("pty", "pty", "a Worker has no terminal to read the worker's output from", `stdout: ${USE.stdout}`);
  // "pipe" | "inherit" | "ignore" alone is the shorthand for fds 0-2.
  const short = typeof options.stdio === "string" ? options.stdio : undefined;
  const stdio: unknown[] = short !== undefined ? [] : [...(options.stdio ?? [])];
  if (stdio[CHANNEL_FD] !== undefined && stdio[CHANNEL_FD] !== null) {
    throw new TypeError(`stdio[${CHANNEL_FD}] is the worker's channel: it cannot be given`);
  }
  // What fds 0 and 1 are, and the option that says so (stdio entries win over stdin/stdout).
  const slot = (fd: 0 | 1, option: "stdin" | "stdout", dflt: string): [unknown, string] =>
    stdio[fd] !== undefined ? [stdio[fd], `stdio[${fd}]`]
    : options[option] !== undefined ? [options[option], option]
    : short !== undefined ? [short, "stdio"]
    : [dflt, option];
  // `input` feeds stdin: ignoring it by default would refuse input with a stdin nobody gave.
  const stdinDefault = options.input !== undefined ? undefined : "ignore";
  const [stdin, inName] = slot(0, "stdin", "ignore");
  if (unread(stdin)) refuse(inName, stdin, "a Worker has no stdin stream to write to", USE.stdin);
  const [stdout, outName] = slot(1, "stdout", "inherit");
  if (unread(stdout)) refuse(outName, stdout, "a Worker has no stdout stream, and a worker writing to a pipe nobody reads blocks", USE.stdout);
  const stderr = stdio[2] ?? options.stderr ?? short ?? "pipe";
  if (stderr === "pty") refuse(stdio[2] !== undefined ? "stdio[2]" : options.stderr !== undefined ? "stderr" : "stdio", stderr, "a Worker has no terminal", `"pipe" (forwarded to our stderr), ${USE.stdout}`);
  for (let fd = CHANNEL_FD + 1; fd < stdio.length; fd++) {
    if (unread(stdio[fd])) refuse(`stdio[${fd}]`, stdio[fd] as string, "a Worker has no stream for an extra fd", USE.extra);
  }
  return {
    stdio,
    stdin: options.stdin ?? short ?? stdinDefault,
    stdout: options.stdout ?? short ?? "inherit",
    stderr: options.stderr ?? short ?? "pipe",
  } as WorkerStdio;
}
