/**
 * (4a) stdout throughput: a fast writer (head -c N /dev/zero) read to EOF
 * through each launcher's stdout, and by the C reader (bench/c/reader_loop.c,
 * with the pipe and read sizes bench-c found best) in this process through
 * the FFI when libbench-floor.so is built; repetitions taking turns, so a
 * slow minute of this noisy host hits each. MB/s = 1e6 bytes per second.
 * The floor blocks the event loop for its read (a C program would).
 */
import type { Config } from "../config.ts";
import { readerFloor } from "../ffi/floors.ts";
import type { Launcher } from "../launchers/index.ts";
import { progress } from "../progress.ts";
import type { Pair, ReaderFloor } from "../results.ts";
import { median, rotate } from "../stats.ts";

export const WRITER = "head";
/** bench-c's defaults when it gave no best sizes: Linux's pipe, a 256 KiB read. */
const PIPE_SIZE = 65536, READ_SIZE = 262144;

type Side = { mbPerSec: number; runs: number[] };
type Read = { name: string; readAll(file: string, args: string[]): Promise<number> | number };

function floorSide(tuned: ReaderFloor | undefined): Read | null {
  try {
    const read = readerFloor(tuned?.pipeSize ?? PIPE_SIZE, tuned?.readSize ?? READ_SIZE);
    return { name: "the C reader", readAll: (_file, args) => read(Number(args[1])) };
  } catch (e) {
    progress(`stdout: no in-process C reader (${(e as Error).message})`, true);
    return null;
  }
}

export async function pipe(pair: Launcher[], cfg: Config, tuned?: ReaderFloor): Promise<Pair<Side> & { floor?: Side }> {
  const args = ["-c", String(cfg.pipeBytes), "/dev/zero"];
  const floor = floorSide(tuned);
  const sides: Read[] = [...pair, ...(floor ? [floor] : [])];
  const runs: number[][] = sides.map(() => []);
  const order = sides.map((_, j) => j);
  for (let r = 0; r < cfg.pipeReps; r++) {
    for (const j of rotate(order, r)) {
      const l = sides[j]!;
      progress(`stdout: ${cfg.pipeBytes / 2 ** 20} MiB through ${l.name}, run ${r + 1}/${cfg.pipeReps}`, true);
      const t0 = performance.now();
      const n = await l.readAll(WRITER, args);
      const ms = performance.now() - t0;
      if (n !== cfg.pipeBytes) throw new Error(`${l.name} read ${n} bytes of ${cfg.pipeBytes}`);
      runs[j]!.push(n / 1e6 / (ms / 1000));
    }
  }
  const side = (j: number) => ({ mbPerSec: median(runs[j]!), runs: runs[j]! });
  return { aspawn: side(0), native: side(1), ...(floor && { floor: side(2) }) };
}
