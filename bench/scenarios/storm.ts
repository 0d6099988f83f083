/**
 * (2)+(3) A storm of /bin/true with a fixed number in flight: spawns per
 * second, and the event loop's tick gaps meanwhile. Like bench/c, the total
 * is split in rounds that alternate launchers, so a noisy moment of the
 * machine hits both.
 */
import type { Config } from "../config.ts";
import type { Launcher } from "../launchers/index.ts";
import { LoopMonitor } from "../loop-monitor.ts";
import { progress } from "../progress.ts";
import type { Pair, StormSide } from "../results.ts";
import { percentile, rotate } from "../stats.ts";

const ROUNDS = 4;

/** n spawns of l, `inflight` at a time: each worker starts the next as its child is reaped. */
async function burst(l: Launcher, n: number, inflight: number, onDone: () => void): Promise<void> {
  let left = n;
  const worker = async () => {
    while (left > 0) {
      left--;
      await l.reap(l.spawnTrue());
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, n) }, worker));
}

export async function storm(pair: Launcher[], cfg: Config): Promise<Pair<StormSide>> {
  const chunk = Math.ceil(cfg.stormTotal / ROUNDS);
  const ms = pair.map(() => 0), done = pair.map(() => 0);
  const loops = pair.map(() => new LoopMonitor());
  progress(`storm: ${cfg.stormTotal} x /bin/true, ${cfg.inflight} in flight`, true);
  for (let r = 0; r < ROUNDS; r++) {
    for (const j of rotate([0, 1], r)) {
      const l = pair[j]!;
      const t0 = performance.now();
      loops[j]!.start();
      await burst(l, chunk, cfg.inflight, () => {
        // Building the line costs: only every 64th completion reports.
        if ((++done[j]! & 63) === 0) progress(`storm: ${pair[0]!.name} ${done[0]}, ${pair[1]!.name} ${done[1]} of ${chunk * ROUNDS}`);
      });
      loops[j]!.stop();
      ms[j]! += performance.now() - t0;
    }
  }
  const side = (j: number): StormSide => {
    const gaps = loops[j]!.gaps;
    return {
      perSec: done[j]! / (ms[j]! / 1000),
      ticks: gaps.length - ROUNDS, // every stop() adds a final gap that is no tick
      ticksPerSec: (gaps.length - ROUNDS) / (ms[j]! / 1000),
      gapP50Ms: percentile(gaps, 0.5),
      gapP99Ms: percentile(gaps, 0.99),
      gapMaxMs: Math.max(...gaps),
    };
  };
  return { aspawn: side(0), native: side(1) };
}
