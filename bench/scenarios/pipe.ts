/**
 * (4a) stdout throughput: a fast writer (head -c N /dev/zero writes in
 * large blocks, faster than any reader here can take) read to EOF through each
 * launcher's stdout, repetitions alternating; MB/s = 1e6 bytes per second.
 */
import type { Config } from "../config.ts";
import type { Launcher } from "../launchers/index.ts";
import { progress } from "../progress.ts";
import type { Pair } from "../results.ts";
import { median, rotate } from "../stats.ts";

export const WRITER = "head";

export async function pipe(pair: Launcher[], cfg: Config): Promise<Pair<{ mbPerSec: number; runs: number[] }>> {
  const args = ["-c", String(cfg.pipeBytes), "/dev/zero"];
  const runs: number[][] = pair.map(() => []);
  for (let r = 0; r < cfg.pipeReps; r++) {
    for (const j of rotate([0, 1], r)) {
      const l = pair[j]!;
      progress(`stdout: ${cfg.pipeBytes / 2 ** 20} MiB through ${l.name}, run ${r + 1}/${cfg.pipeReps}`, true);
      const t0 = performance.now();
      const n = await l.readAll(WRITER, args);
      const ms = performance.now() - t0;
      if (n !== cfg.pipeBytes) throw new Error(`${l.name} read ${n} bytes of ${cfg.pipeBytes}`);
      runs[j]!.push(n / 1e6 / (ms / 1000));
    }
  }
  const side = (j: number) => ({ mbPerSec: median(runs[j]!), runs: runs[j]! });
  return { aspawn: side(0), native: side(1) };
}
