/** Spawning through the bare bindings (below the public API), for binding tests. */
import { Fd, Out } from "../src/ffi/abi.ts";
import { RequestWriter } from "../src/ffi/request.ts";
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
  writer.env("PATH=/usr/bin:/bin").fdMap([[Fd.DEVNULL, 0], [Fd.PIPE_WRITE, 1], [2, 2]]);
  const out = new Int32Array(Out.PIPES + 1);
  const r = native.asp_spawn(writer.end(), writer.end().length, new Uint8Array(out.buffer), out.length);
  if (r < 0) throw new Error(`asp_spawn: errno ${-r}`);
  return { pid: out[Out.PID]!, pidfd: out[Out.PIDFD]!, status: out[Out.STATUS]!, stdout: out[Out.PIPES]! };
}
