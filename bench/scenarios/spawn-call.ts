/**
 * (1) Time the JS thread spends inside the spawn call: performance.now()
 * around the call alone, /bin/true, reaped (stdout read to EOF and exit
 * awaited) outside the timing, one child at a time, the launchers taking
 * turns in blocks of BLOCK calls. Blocks, not single calls: a fork
 * (child_process) write-protects the parent's pages, and the next call of
 * the other launcher paid for those copy-on-write faults (about twice its
 * usual time, in a 1 GiB parent); in blocks that lands on the first call of
 * a block, so each block starts with one untimed call (as a p99 over blocks
 * of 10 would otherwise read the other launcher's faults: 5 % of the
 * samples follow child_process's block).
 * Runs per parent size; a time budget caps the per-size cost because
 * child_process forks the parent's page tables (this scenario's own
 * child_process column, per parent size, shows what that costs).
 *
 * The physical floor (bench/c/floor.c's spawn: the same syscalls by hand)
 * takes its turn too, in this process through the FFI, when
 * libbench-floor.so is built: the spawn() target is held against it, same
 * parent, same minute.
 */
import { rss } from "../env.ts";
import type { Config } from "../config.ts";
import { spawnFloor } from "../ffi/floors.ts";
import { growTo, release } from "../heap.ts";
import type { Launcher } from "../launchers/index.ts";
import { progress } from "../progress.ts";
import type { CallResult } from "../results.ts";
import { latency, rotate } from "../stats.ts";

const WARMUP = 10, MIN_SAMPLES = 20, BLOCK = 10;

interface Side {
  spawn(): unknown;
  reap(child: unknown): Promise<void> | void;
  close?(): void;
}

function floorSide(): Side | null {
  try {
    const f = spawnFloor();
    return { spawn: () => f.spawn(), reap: () => f.reap(), close: () => f.close() };
  } catch (e) {
    progress(`spawn() call: no in-process C floor (${(e as Error).message})`, true);
    return null;
  }
}

export async function spawnCall(pair: Launcher[], cfg: Config): Promise<CallResult[]> {
  const results: CallResult[] = [];
  const floor = floorSide();
  const sides: Side[] = [
    ...pair.map((l): Side => ({ spawn: () => l.spawnTrue(), reap: (c) => l.reap(c) })),
    ...(floor ? [floor] : []),
  ];
  const order = sides.map((_, j) => j);
  for (const heap of cfg.callHeaps) {
    progress(`spawn() call: touching a ${heap.label} parent`, true);
    growTo(heap.bytes);
    for (let i = 0; i < WARMUP; i++) for (const s of sides) await s.reap(s.spawn());
    const samples: number[][] = sides.map(() => []);
    const t0 = performance.now();
    for (let i = 0; i < cfg.callSamples; i += BLOCK) {
      for (const j of rotate(order, i / BLOCK)) {
        const s = sides[j]!;
        await s.reap(s.spawn());
        for (let k = 0; k < BLOCK; k++) {
          const a = performance.now();
          const child = s.spawn();
          const b = performance.now();
          samples[j]!.push(b - a);
          await s.reap(child);
        }
      }
      progress(`spawn() call, ${heap.label} parent: ${i + BLOCK}/${cfg.callSamples}`);
      if (i + BLOCK >= MIN_SAMPLES && performance.now() - t0 > cfg.callBudgetMs) break;
    }
    results.push({
      label: heap.label,
      bytes: heap.bytes,
      rssBytes: rss(),
      aspawn: latency(samples[0]!),
      native: latency(samples[1]!),
      ...(floor && { floor: latency(samples[2]!) }),
    });
  }
  floor?.close?.();
  release();
  return results;
}
