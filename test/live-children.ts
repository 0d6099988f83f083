/**
 * Many live children at once: how long spawn() takes as they pile up, and
 * that all of them are killed and reaped with nothing left behind
 * (test/fixtures/hard-live.ts runs it scaled down; scripts/soak.ts at full size).
 */
import { run, spawn, type Subprocess } from "../src/index.ts";
import { nofileLimit } from "./limits.ts";
import { childrenOfUs, zombieChildren } from "./proc.ts";
import { settle, type Snapshot, snapshot } from "./snapshot.ts";

export interface LiveResult {
  children: number;
  spawned: number;
  alive: number;
  killed: number;
  reaped: number;
  left: number;
  zombies: number;
  nofile: number;
  before: Snapshot;
  after: Snapshot;
  /** spawn() call times in µs */
  first100: Dist;
  last100: Dist;
  all: Dist;
  spawnMs: number;
  killMs: number;
  reapMs: number;
}

export interface Dist {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(s.length * f))]!;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1]!, mean: xs.reduce((a, b) => a + b, 0) / xs.length };
}

/** `n` children of `sleep 1000` (stdio ignored) alive at once; all killed and reaped. */
export async function liveChildren(n: number): Promise<LiveResult> {
  // A warm-up round first: runtimes set up some resources lazily under such
  // a load (Deno: a thread and a socket pair, once) — not ours to count.
  await liveRound(Math.min(n, 1000));
  return liveRound(n);
}

async function liveRound(n: number): Promise<LiveResult> {
  await run("true");
  await settle();
  const before = snapshot();
  const kids: Subprocess[] = [];
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    kids.push(spawn("sleep", ["1000"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }));
    times.push((performance.now() - t) * 1000);
    // Let status pipes report now and then: each child holds one until
    // our side learns it exec'd.
    if (i % 200 === 199) await Promise.all(kids.slice(i - 199).map((k) => k.spawned));
  }
  let spawned = 0;
  for (const r of await Promise.allSettled(kids.map((k) => k.spawned))) if (r.status === "fulfilled") spawned++;
  const spawnMs = performance.now() - t0;
  const alive = childrenOfUs().length - before.children;
  const t1 = performance.now();
  let killed = 0;
  for (const k of kids) if (k.kill("SIGKILL")) killed++;
  const killMs = performance.now() - t1;
  let reaped = 0;
  for (const r of await Promise.allSettled(kids.map((k) => k.exited))) {
    if (r.status === "fulfilled" && r.value.signal === "SIGKILL") reaped++;
  }
  const reapMs = performance.now() - t1;
  kids.length = 0;
  await settle();
  const after = snapshot();
  return {
    children: n,
    spawned,
    alive,
    killed,
    reaped,
    left: childrenOfUs().length - before.children,
    zombies: zombieChildren(),
    nofile: nofileLimit().soft,
    before,
    after,
    first100: dist(times.slice(0, 100)),
    last100: dist(times.slice(-100)),
    all: dist(times),
    spawnMs,
    killMs,
    reapMs,
  };
}
