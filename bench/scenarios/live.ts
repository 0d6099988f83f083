/**
 * (5) Many live children (`sleep 1000`, stdio on /dev/null): JS heap per
 * child after a full GC, RSS per child (native side included, coarse), the
 * time of the spawn calls, and the time to SIGKILL and reap them all.
 * Every child is killed on the way out, even when something throws.
 */
import type { Config } from "../config.ts";
import { collect, heapUsed, rss } from "../env.ts";
import type { Launcher } from "../launchers/index.ts";
import { progress } from "../progress.ts";
import type { LiveSide, Pair } from "../results.ts";
import { median, rotate } from "../stats.ts";

const SETTLE_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function once(l: Launcher, n: number): Promise<LiveSide> {
  collect();
  await sleep(SETTLE_MS);
  collect();
  const heap0 = heapUsed(), rss0 = rss();
  const kids: unknown[] = [];
  const reaped: Promise<void>[] = [];
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      kids.push(l.startIdle("/bin/sleep", ["1000"]));
      if ((i & 63) === 0) progress(`live: ${l.name} ${i}/${n} children`);
    }
    const spawnAllMs = performance.now() - t0;
    // Let the exec reports land: the handles are measured in their steady state.
    await sleep(SETTLE_MS);
    collect();
    const heapBytesPerChild = (heapUsed() - heap0) / n, rssBytesPerChild = (rss() - rss0) / n;
    progress(`live: killing ${n} ${l.name} children`, true);
    const t1 = performance.now();
    for (const k of kids) l.kill(k);
    for (const k of kids) reaped.push(l.waitIdle(k));
    await Promise.all(reaped);
    return { heapBytesPerChild, rssBytesPerChild, spawnAllMs, killReapMs: performance.now() - t1 };
  } finally {
    if (reaped.length < kids.length) {
      for (const k of kids) l.kill(k);
      await Promise.all(kids.map((k) => l.waitIdle(k)));
    }
  }
}

export async function live(pair: Launcher[], cfg: Config): Promise<Pair<LiveSide>> {
  const runs: LiveSide[][] = pair.map(() => []);
  for (let r = 0; r < cfg.liveReps; r++) {
    for (const j of rotate([0, 1], r)) {
      progress(`live: ${cfg.liveChildren} x sleep 1000 via ${pair[j]!.name}`, true);
      runs[j]!.push(await once(pair[j]!, cfg.liveChildren));
    }
  }
  const side = (j: number): LiveSide => {
    const rs = runs[j]!;
    const m = (f: (s: LiveSide) => number) => median(rs.map(f));
    return {
      heapBytesPerChild: m((s) => s.heapBytesPerChild),
      rssBytesPerChild: m((s) => s.rssBytesPerChild),
      spawnAllMs: m((s) => s.spawnAllMs),
      killReapMs: m((s) => s.killReapMs),
    };
  };
  return { aspawn: side(0), native: side(1) };
}
