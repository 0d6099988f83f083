/**
 * The child's fd map from `stdin`/`stdout`/`stderr`/`stdio`: one [source,
 * target] pair per child fd. Sources are our fds, or Fd.* for a new pipe or
 * /dev/null; a fd not named is closed in the child.
 */
import { Fd, Req } from "../ffi/abi.ts";
import { int } from "./check.ts";
import type { PipeReader } from "./child.ts";
import type { ExtraFdOption, Options, StdioOption } from "./options.ts";
import { readerOf } from "./streams.ts";

export interface StdioDefaults {
  stdin: StdioOption;
  stdout: StdioOption;
  stderr: StdioOption;
}

export interface FdMap {
  pairs: [src: number, dst: number][];
  /** Child fds that got a pipe, in the order asp_spawn returns their parent ends. */
  pipes: number[];
  /** Pipes of other children handed to this one (our ends close after the spawn). */
  handovers: PipeReader[];
}

const FD_MAX = Req.MAX_FD - 1;

function pipeFrom(stream: ReadableStream<Uint8Array>, fd: number, handovers: PipeReader[]): number {
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

export function fdMap(o: Options, defaults: StdioDefaults): FdMap {
  const stdio = o.stdio ?? [];
  if (!Array.isArray(stdio)) throw new TypeError("stdio must be an array");
  if (stdio.length > Req.MAX_FDS) throw new TypeError(`stdio can name at most ${Req.MAX_FDS} fds, got ${stdio.length}`);
  const std: unknown[] = [o.stdin ?? defaults.stdin, o.stdout ?? defaults.stdout, o.stderr ?? defaults.stderr];
  const map: FdMap = { pairs: [], pipes: [], handovers: [] };
  for (let fd = 0; fd < Math.max(3, stdio.length); fd++) {
    const v = fd < stdio.length && stdio[fd] !== undefined ? stdio[fd] : std[fd];
    const src = v instanceof ReadableStream
      ? pipeFrom(v, fd, map.handovers)
      : source(v as StdioOption | ExtraFdOption, fd, map.pipes);
    if (src !== undefined) map.pairs.push([src, fd]);
  }
  return map;
}
