/** Spawning through the bare bindings (below the public API), for binding tests. */
import { FD_DEVNULL, FD_PIPE_WRITE, Out, RequestWriter } from "../src/api/request.ts";
import { loadNative } from "../src/ffi/load.ts";

export interface RawChild {
  pid: number;
  pidfd: number;
  status: number;
  stdout: number;
}

const writer = new RequestWriter();

export function spawnRaw(file: string, args: string[]): RawChild {
  const native = loadNative();
  writer.begin(file, false).arg(file);
  for (const a of args) writer.arg(a);
  writer.env("PATH=/usr/bin:/bin").fdMap([[FD_DEVNULL, 0], [FD_PIPE_WRITE, 1], [2, 2]]);
  const out = new Int32Array(Out.PIPES + 1);
  const r = native.asp_spawn(writer.end(), writer.end().length, new Uint8Array(out.buffer), out.length);
  if (r < 0) throw new Error(`asp_spawn: errno ${-r}`);
  return { pid: out[Out.PID]!, pidfd: out[Out.PIDFD]!, status: out[Out.STATUS]!, stdout: out[Out.PIPES]! };
}
