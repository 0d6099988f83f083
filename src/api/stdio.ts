/**
 * The child's fd map from `stdin`/`stdout`/`stderr`/`stdio`: one [source,
 * target] pair per child fd. Sources are our fds, or Fd.* for a new pipe,
 * socketpair or /dev/null; a fd not named is closed in the child. Files the
 * child opens and merges of one child fd into another are not in the map:
 * they are steps of their own, after it (files.ts).
 */
import { Fd, Out, Req } from "../ffi/abi.ts";
import { int } from "./check.ts";
import type { FdReader } from "./fd-reader.ts";
import { type FileOpen, fileOpen, isChildFd, isFile, mergeSource, resolveMerges, stdioShorthand } from "./files.ts";
import type { ExtraFdOption, Options, StdioOption } from "./options.ts";
import { readerOf } from "./streams.ts";

export interface StdioDefaults {
  stdin: StdioOption;
  stdout: StdioOption;
  stderr: StdioOption;
  /** "pipe" on stdio[3+] is a socketpair exposed as Subprocess.stdio[n] (spawn()); else a TypeError. */
  extraPipes?: boolean;
}

export interface FdMap {
  pairs: [src: number, dst: number][];
  /** Child fds that got a pipe, in the order asp_spawn returns their parent ends. */
  pipes: number[];
  /** Pipes of other children handed to this one (our ends close after the spawn). */
  handovers: FdReader[];
  /** Files the child opens onto its fds, in fd order. */
  opens: FileOpen[];
  /** [child source fd, target]: dups run after the map and the opens. */
  merges: [src: number, dst: number][];
}

const FD_MAX = Req.MAX_FD - 1;

function pipeFrom(stream: ReadableStream<Uint8Array>, fd: number, handovers: FdReader[]): number {
  const reader = readerOf(stream);
  if (!reader) throw new TypeError(`stdio[${fd}]: only the stdout or stderr stream of another Subprocess can be passed`);
  // Its child exited without output: the pipe is gone, EOF is all there was.
  if (reader.endedUnread && !stream.locked) return Fd.DEVNULL;
  if (reader.touched || reader.closed || reader.prefetched || stream.locked || handovers.includes(reader)) {
    throw new TypeError(`stdio[${fd}]: that stream was already read, piped or cancelled`);
  }
  handovers.push(reader);
  return reader.fd;
}

function source(v: StdioOption | ExtraFdOption, fd: number, pipes: number[]): number | undefined {
  if (v === "pipe" && fd <= 2) {
    pipes.push(fd);
    return fd === 0 ? Fd.PIPE_READ : Fd.PIPE_WRITE;
  }
  if (v === "inherit") return fd;
  if (v === "ignore") return fd <= 2 ? Fd.DEVNULL : undefined;
  if ((v === null || v === undefined) && fd > 2) return undefined;
  if (typeof v === "number") return int(v, `stdio[${fd}]`, 0, FD_MAX);
  throw new TypeError(
    `stdio[${fd}] must be ${fd <= 2 ? `"pipe", ` : ""}"inherit", "ignore"${fd > 2 ? ", null" : ""} or an fd number, got ${
      JSON.stringify(v)
    }`,
  );
}

const STD_NAMES = ["stdin", "stdout", "stderr"];

export function fdMap(o: Options, defaults: StdioDefaults): FdMap {
  const short = stdioShorthand(o.stdio);
  const stdio = short !== undefined || o.stdio === undefined ? [] : o.stdio;
  if (!Array.isArray(stdio)) throw new TypeError(`stdio must be "pipe", "inherit", "ignore" or an array`);
  if (stdio.length > Req.MAX_FDS) throw new TypeError(`stdio can name at most ${Req.MAX_FDS} fds, got ${stdio.length}`);
  // The shorthand fills in what stdin/stdout/stderr leave unset; run()'s
  // default "pipe" on stdin exists only for `input`, which it must not cut off.
  const std: unknown[] = [
    o.stdin ?? (defaults.stdin === "pipe" ? "pipe" : short ?? defaults.stdin),
    o.stdout ?? short ?? defaults.stdout,
    o.stderr ?? short ?? defaults.stderr,
  ];
  const map: FdMap = { pairs: [], pipes: [], handovers: [], opens: [], merges: [] };
  // The option the user wrote for this fd, for messages.
  const name = (fd: number) => (fd > 2 || (fd < stdio.length && stdio[fd] !== undefined) ? `stdio[${fd}]` : STD_NAMES[fd]!);
  let merges: Map<number, number> | undefined;
  for (let fd = 0; fd < Math.max(3, stdio.length); fd++) {
    const v = fd < stdio.length && stdio[fd] !== undefined ? stdio[fd] : std[fd];
    if (typeof v === "object" && v !== null && !(v instanceof ReadableStream)) {
      if (isFile(v)) {
        map.opens.push(fileOpen(v, fd, name(fd)));
        continue;
      }
      if (isChildFd(v, fd)) {
        (merges ??= new Map()).set(fd, mergeSource(v, fd, name(fd)));
        continue;
      }
    } else if (v === "stdout" || v === "stderr") {
      (merges ??= new Map()).set(fd, mergeSource(v, fd, name(fd)));
      continue;
    } else if (v === "pipe" && fd > 2) {
      map.pairs.push([extraPipe(fd, name(fd), defaults, map.pipes), fd]);
      continue;
    }
    const src = v instanceof ReadableStream
      ? pipeFrom(v, fd, map.handovers)
      : source(v as StdioOption | ExtraFdOption, fd, map.pipes);
    if (src !== undefined) map.pairs.push([src, fd]);
  }
  if (merges) map.merges = resolveMerges(merges, map, name);
  return map;
}

/** A socketpair for stdio[3+]: spawn() exposes it as Subprocess.stdio[n]. */
function extraPipe(fd: number, name: string, defaults: StdioDefaults, pipes: number[]): number {
  if (!defaults.extraPipes) {
    throw new TypeError(`${name}: "pipe" on an fd above 2 is a stream of the Subprocess: use spawn() and read subprocess.stdio[${fd}]`);
  }
  if (pipes.length >= Out.MAX_PIPES) throw new TypeError(`stdio: at most ${Out.MAX_PIPES} pipes per child`);
  pipes.push(fd);
  return Fd.SOCKETPAIR;
}
