/**
 * (6) Sizes that grow: the time of the spawn() call (as the spawn-call
 * scenario times it: /bin/true, stdout a pipe, reaped outside the timing)
 * while what it works on grows:
 *  - live children: 1, 10, ... sleeping children (`sleep 1000`, stdio
 *    ignored, so each holds only what the library keeps per child) stay
 *    alive while /bin/true is spawned; the cost should not grow with them.
 *    The C floor that shares our fd table (bench/ffi/floors.ts, "shared")
 *    takes turns with spawn() at each size: a size measured a minute after
 *    another is compared through it, as the host's speed drifts more than
 *    that in a minute (the floor itself stays flat in children);
 *  - the request: N arguments of 16 characters, and N KiB of environment
 *    (entries of 1 KiB merged over this process's); the cost should grow
 *    linearly with a small constant, the fitted slope in us per KiB.
 * aspawn only: it is the library's own scaling that is asked about. Every
 * sleeping child is killed and reaped on the way out, even when something
 * throws.
 */
import type { Config } from "../config.ts";
import type { Launcher } from "../launchers/index.ts";
import { spawnFloor } from "../ffi/floors.ts";
import { progress } from "../progress.ts";
import type { GrowthPoint, GrowthResult } from "../results.ts";
import { type Latency, latency } from "../stats.ts";

const WARMUP = 5, BLOCK = 10, SETTLE_MS = 200, SETTLE_PER_CHILD_MS = 0.5, ARG_CHARS = 16, ENV_ENTRY = 1024;
/** Spawns of sleeping children between two turns of the event loop, so their exec reports land and free their fds. */
const IDLE_BATCH = 64;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The spawn call alone, `samples` times (ms each), after `warmup` untimed calls. */
async function timeSpawns(l: Launcher, samples: number, spawnOne: () => unknown, warmup = WARMUP): Promise<number[]> {
  const ms: number[] = [];
  for (let i = -warmup; i < samples; i++) {
    const a = performance.now();
    const child = spawnOne();
    const b = performance.now();
    if (i >= 0) ms.push(b - a);
    await l.reap(child);
  }
  return ms;
}

type Floor = ReturnType<typeof spawnFloor>;

function sharedFloor(): Floor | null {
  try {
    return spawnFloor(undefined, "shared");
  } catch (e) {
    progress(`growth: no in-process C floor (${(e as Error).message})`, true);
    return null;
  }
}

/** timeSpawns(), and the floor's call in turn with it, in blocks of BLOCK. */
async function timeWithFloor(l: Launcher, samples: number, floor: Floor): Promise<[Latency, Latency]> {
  const ours: number[] = [], its: number[] = [];
  await timeSpawns(l, 0, () => l.spawnTrue());
  for (let i = 0; i < samples; i += BLOCK) {
    // Each block starts with one untimed call, as the floor's does.
    ours.push(...(await timeSpawns(l, BLOCK, () => l.spawnTrue(), 1)));
    for (let k = -1; k < BLOCK; k++) {
      const a = performance.now();
      floor.spawn();
      const b = performance.now();
      if (k >= 0) its.push(b - a);
      floor.reap();
    }
  }
  return [latency(ours), latency(its)];
}

async function children(l: Launcher, cfg: Config): Promise<GrowthPoint[]> {
  const idle: unknown[] = [], points: GrowthPoint[] = [], floor = sharedFloor();
  let killed = false;
  const killAll = async () => {
    killed = true;
    for (const k of idle) l.kill(k);
    await Promise.all(idle.map((k) => l.waitIdle(k)));
  };
  try {
    for (const size of cfg.growthChildren) {
      progress(`growth: ${size} live children`, true);
      while (idle.length < size) {
        idle.push(l.startIdle("/bin/sleep", ["1000"]));
        if (idle.length % IDLE_BATCH === 0) await sleep(0);
      }
      // Each new sleeper still execs and loads after its spawn returned
      // (~0.5 ms of CPU each here): 10 000 of them kept both vCPUs busy for
      // seconds, and the first blocks of that size were timed meanwhile.
      await sleep(SETTLE_MS + size * SETTLE_PER_CHILD_MS);
      if (floor) {
        const [lat, floorLat] = await timeWithFloor(l, cfg.growthSamples, floor);
        points.push({ size, kib: 0, ...lat, floor: floorLat });
      } else {
        points.push({ size, kib: 0, ...latency(await timeSpawns(l, cfg.growthSamples, () => l.spawnTrue())) });
      }
    }
    progress(`growth: killing ${idle.length} children`, true);
    await killAll();
    return points;
  } finally {
    floor?.close();
    if (!killed) await killAll();
  }
}

/** The request's bytes as the child gets them: each string (ASCII here) and its NUL. */
const kib = (strings: string[]) => strings.reduce((n, s) => n + s.length + 1, 0) / 1024;

async function request(l: Launcher, cfg: Config): Promise<{ args: GrowthPoint[]; env: GrowthPoint[] }> {
  const spawnWith = l.spawnTrueWith!.bind(l);
  const args: GrowthPoint[] = [], env: GrowthPoint[] = [];
  for (const n of cfg.growthArgs) {
    progress(`growth: ${n} arguments`, true);
    const list = Array.from({ length: n }, (_, i) => `a${String(i).padStart(ARG_CHARS - 1, "0")}`);
    args.push({ size: n, kib: kib(list), ...latency(await timeSpawns(l, cfg.growthSamples, () => spawnWith(list, undefined))) });
  }
  for (const k of cfg.growthEnvKib) {
    progress(`growth: ${k} KiB of environment`, true);
    const vars: Record<string, string> = {};
    for (let i = 0; i < k; i++) {
      const name = `ASPAWN_BENCH_GROWTH_${String(i).padStart(5, "0")}`;
      vars[name] = "v".repeat(ENV_ENTRY - name.length - 2); // "name=value\0" is 1 KiB
    }
    const entries = Object.entries(vars).map(([n, v]) => `${n}=${v}`);
    env.push({ size: k * 1024, kib: kib(entries), ...latency(await timeSpawns(l, cfg.growthSamples, () => spawnWith([], k ? vars : undefined))) });
  }
  return { args, env };
}

/** Least-squares slope of p50 (us) over the request's KiB. */
export function slope(points: readonly GrowthPoint[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.kib, 0) / n, my = points.reduce((s, p) => s + p.p50Us, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.kib - mx) * (p.p50Us - my), 0);
  const sxx = points.reduce((s, p) => s + (p.kib - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : NaN;
}

export async function growth(l: Launcher, cfg: Config): Promise<GrowthResult> {
  if (!l.spawnTrueWith) throw new Error(`${l.name} cannot run the growth scenario`);
  const kids = await children(l, cfg);
  const { args, env } = await request(l, cfg);
  return { children: kids, args, env, argsUsPerKib: slope(args), envUsPerKib: slope(env) };
}
