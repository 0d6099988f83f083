/**
 * The spawn soak: many spawns of /bin/true in one process, and what the
 * process holds before, at the peak and after (test/fixtures/hard-soak.ts
 * runs it scaled down; scripts/soak.ts at full size).
 */
import { spawn, type Subprocess } from "../src/index.ts";
import { openFds } from "./fds.ts";
import { gc, warmYoungGeneration } from "./gc.ts";
import { mapsLines, rssBytes, settle, type Snapshot, snapshot, threads } from "./snapshot.ts";
import { sleep } from "./wait.ts";

export interface SoakResult {
  spawns: number;
  inflight: number;
  warmup: number;
  ms: number;
  perSec: number;
  /** spawns whose child did not exit 0 */
  failures: number;
  gc: boolean;
  before: Snapshot;
  after: Snapshot;
  peak: { fds: number; threads: number; rss: number; maps: number };
}

/** `total` spawns of /bin/true, `inflight` at once, one process. */
export async function soakSpawns(
  total: number,
  inflight = 64,
  warmup = 5000,
  onProgress?: (done: number) => void,
): Promise<SoakResult> {
  const batch = async (n: number, sample?: (done: number) => void) => {
    let started = 0, done = 0, failures = 0;
    await new Promise<void>((resolve, reject) => {
      const launch = () => {
        started++;
        let p: Subprocess;
        try {
          p = spawn("/bin/true", [], { stdout: "ignore" });
        } catch (e) {
          return reject(e);
        }
        p.exited.then((s) => {
          if (s.exitCode !== 0) failures++;
          done++;
          if (sample && done % 1000 === 0) sample(done);
          if (started < n) launch();
          else if (done === n) resolve();
        }, reject);
      };
      for (let i = 0; i < Math.min(inflight, n); i++) launch();
    });
    return failures;
  };
  await batch(warmup); // warm-up: library, reactor, stack pool, JIT, heap sizes
  warmYoungGeneration();
  await settle();
  const hasGc = gc(true);
  await settle();
  gc(true);
  const before = snapshot();
  const peak = { fds: before.fds, threads: before.threads, rss: before.rss, maps: before.maps };
  const t0 = performance.now();
  const failures = await batch(total, (done) => {
    peak.fds = Math.max(peak.fds, openFds());
    peak.threads = Math.max(peak.threads, threads());
    peak.rss = Math.max(peak.rss, rssBytes());
    peak.maps = Math.max(peak.maps, mapsLines());
    onProgress?.(done);
  });
  const ms = performance.now() - t0;
  await settle();
  gc(true);
  await sleep(50);
  gc(true);
  const after = snapshot();
  return { spawns: total, inflight, warmup, ms, perSec: total / (ms / 1000), failures, gc: hasGc, before, after, peak };
}
