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
 * parent, same minute. In its blocks each call follows the floor's own
 * reap, a blocking C wait, so it finds the caches as C left them. It takes
 * a second turn in which each call follows a spawn() and its reap instead
 * (untimed), as every spawn() of the pair follows the JS that awaited the
 * child before: the same syscalls, timed in the state a JS program's next
 * spawn finds the machine in.
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

function floorSides(lib: Launcher): Side[] {
  try {
    const f = spawnFloor();
    return [
      { spawn: () => f.spawn(), reap: () => f.reap(), close: () => f.close() },
      // After the floor's reap, a spawn() of the library and its reap: the
      // next floor call follows JS, as the library's own calls do.
      {
        spawn: () => f.spawn(),
        async reap() {
          f.reap();
          await lib.reap(lib.spawnTrue());
        },
      },
    ];
  } catch (e) {
    progress(`spawn() call: no in-process C floor (${(e as Error).message})`, true);
    return [];
  }
}

export async function spawnCall(pair: Launcher[], cfg: Config): Promise<CallResult[]> {
  const results: CallResult[] = [];
  const floors = floorSides(pair[0]!);
  const sides: Side[] = [
    ...pair.map((l): Side => ({ spawn: () => l.spawnTrue(), reap: (c) => l.reap(c) })),
    ...floors,
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
      ...(floors.length && { floor: latency(samples[2]!), floorAfterJs: latency(samples[3]!) }),
    });
  }
  floors[0]?.close?.();
  release();
  return results;
}
