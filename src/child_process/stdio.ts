/**
 * Node's `stdio` option (getValidStdio's rules) read into the library's
 * per-fd array: "pipe"/"overlapped" pipes, "ignore" /dev/null (fds 0-2)
 * or closed, "inherit" this process's fd of the same number, a number or a
 * stream with an fd passed as is (a negative number is "pipe"), "ipc" the
 * channel's socket.
 */
import { inspect } from "node:util";
import { invalidArgValue, nodeError } from "./node-errors.ts";
import { PipeReadable, PipeWritable } from "./streams.ts";

export type Slot = "pipe" | "ignore" | "ipc" | number | { input: Uint8Array | string };

export interface ReadStdio {
  slots: Slot[];
  /** Streams of other children of this module given as stdio: their pipes are lent to this child. */
  lent: (PipeReadable | PipeWritable)[];
  /** Index of "ipc", if any. */
  ipc: number | undefined;
}

const words: Record<string, Slot[]> = {
  pipe: ["pipe", "pipe", "pipe"],
  overlapped: ["pipe", "pipe", "pipe"],
  ignore: ["ignore", "ignore", "ignore"],
  inherit: [0, 1, 2],
};

/** The fd behind a stream or handle of this process (a Socket, a ReadStream, process.stdout...). */
function fdOf(v: object): number | undefined {
  // A stream of another child of this module: its pipe, by fd.
  if (v instanceof PipeReadable || v instanceof PipeWritable) return v.fd >= 0 ? v.fd : undefined;
  const o = v as { fd?: unknown; _handle?: { fd?: unknown }; handle?: { fd?: unknown } };
  for (const fd of [o.fd, o._handle?.fd, o.handle?.fd]) if (typeof fd === "number" && fd >= 0) return fd;
  return undefined;
}

/** `sync`: spawnSync's rules (input buffers allowed, no ipc). */
export function readStdio(stdio: unknown, sync: boolean): ReadStdio {
  let list: unknown[];
  if (typeof stdio === "string") {
    const w = words[stdio];
    if (!w) throw invalidArgValue("stdio", stdio);
    list = [...w];
  } else if (Array.isArray(stdio)) list = [...stdio];
  else if (stdio == null) list = ["pipe", "pipe", "pipe"];
  else throw invalidArgValue("stdio", stdio);
  while (list.length < 3) list.push(undefined);
  let ipc: number | undefined;
  const lent: (PipeReadable | PipeWritable)[] = [];
  const slots = list.map((v, i): Slot => {
    if (v == null) return i < 3 ? "pipe" : "ignore";
    if (v === "ignore") return "ignore";
    if (v === "pipe" || v === "overlapped") return "pipe";
    if (v === "ipc") {
      if (sync) throw nodeError(Error, "ERR_IPC_SYNC_FORK", "IPC cannot be used with synchronous forks");
      if (ipc !== undefined) throw nodeError(Error, "ERR_IPC_ONE_PIPE", "Child process can have only one IPC pipe");
      ipc = i;
      return "ipc";
    }
    if (v === "inherit") return i;
    // A negative number is a pipe (Node's rule); others reach libuv as int32s.
    if (typeof v === "number") return v < 0 ? "pipe" : v | 0;
    if (typeof v === "object") {
      const fd = fdOf(v);
      if (fd !== undefined && (v instanceof PipeReadable || v instanceof PipeWritable)) lent.push(v);
      if (fd !== undefined) return fd;
    }
    if (typeof v === "string" || ArrayBuffer.isView(v)) {
      if (sync) return { input: typeof v === "string" ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
      throw nodeError(TypeError, "ERR_INVALID_SYNC_FORK_INPUT",
        `Asynchronous forks do not support Buffer, TypedArray, DataView or string input: ${inspect(v)}`);
    }
    // Node names the entry, not the whole array.
    throw invalidArgValue("stdio", v);
  });
  return { slots, ipc, lent };
}
