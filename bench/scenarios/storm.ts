/**
 * (2)+(3) A storm of /bin/true with a fixed number in flight: spawns per
 * second, and the event loop's tick gaps meanwhile. Like bench/c, the total
 * is split in rounds that alternate launchers, so a noisy moment of the
 * machine hits all of them. With libbench-floor.so, two more sides take
 * their turns: the C wake floor (bench/c/wake_floor.c), where C does the
 * work and this thread wakes once per child through the runtime's loop —
 * the most a library on this runtime could reach — and the C loop itself
 * (bench/c/loop_storm.c, the target's floor), which blocks this thread for
 * its round and times its own 1 ms timer.
 */
import type { Config } from "../config.ts";
import { loopFloor, WAKE_FLOOR, wakeFloor } from "../ffi/floors.ts";
import type { Launcher } from "../launchers/index.ts";
import { LoopMonitor } from "../loop-monitor.ts";
import { progress } from "../progress.ts";
import type { Pair, StormSide } from "../results.ts";
import { percentile, rotate } from "../stats.ts";

const ROUNDS = 4;

type Side = Pick<Launcher, "name" | "spawnTrue" | "reap">;

/** n spawns of l, `inflight` at a time: each worker starts the next as its child is reaped. */
async function burst(l: Side, n: number, inflight: number, onDone: () => void): Promise<void> {
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

function wakeSide(): (Side & { close(): void }) | null {
  try {
    const w = wakeFloor();
    return { name: WAKE_FLOOR, spawnTrue: () => w.spawn(false), reap: (p) => p as Promise<void>, close: () => w.close() };
  } catch (e) {
    progress(`storm: no C wake floor (${(e as Error).message})`, true);
    return null;
  }
}

function loopSide(): ((total: number) => { ms: number; gaps: number[] }) | null {
  try {
    return loopFloor();
  } catch (e) {
    progress(`storm: no in-process C loop (${(e as Error).message})`, true);
    return null;
  }
}

export async function storm(pair: Launcher[], cfg: Config): Promise<Pair<StormSide> & { wake?: StormSide; floor?: StormSide }> {
  const chunk = Math.ceil(cfg.stormTotal / ROUNDS);
  const wake = wakeSide(), cLoop = loopSide();
  const sides: Side[] = [...pair, ...(wake ? [wake] : [])];
  const n = sides.length + (cLoop ? 1 : 0);
  const ms = Array.from({ length: n }, () => 0), done = ms.slice();
  const loops = sides.map(() => new LoopMonitor());
  const cGaps: number[] = [];
  const order = Array.from({ length: n }, (_, j) => j);
  progress(`storm: ${cfg.stormTotal} x /bin/true, ${cfg.inflight} in flight`, true);
  for (let r = 0; r < ROUNDS; r++) {
    for (const j of rotate(order, r)) {
      const l = sides[j];
      if (!l) {
        const round = cLoop!(chunk);
        for (const g of round.gaps) cGaps.push(g);
        ms[j]! += round.ms;
        done[j]! += chunk;
        continue;
      }
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
    const gaps = loops[j]?.gaps ?? cGaps;
    return {
      perSec: done[j]! / (ms[j]! / 1000),
      ticks: gaps.length - ROUNDS, // every stop() adds a final gap that is no tick
      ticksPerSec: (gaps.length - ROUNDS) / (ms[j]! / 1000),
      gapP50Ms: percentile(gaps, 0.5),
      gapP99Ms: percentile(gaps, 0.99),
      gapMaxMs: Math.max(...gaps),
    };
  };
  wake?.close();
  return {
    aspawn: side(0),
    native: side(1),
    ...(wake && { wake: side(2) }),
    ...(cLoop && { floor: side(n - 1) }),
  };
}
