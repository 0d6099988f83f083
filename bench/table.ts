/**
 * The terminal table: the C floor of each measure (bench/c, same run),
 * then every runtime side by side, aspawn | native | how many times better
 * aspawn is than the native API (native/aspawn for times and memory,
 * aspawn/native for rates); the growth scenario (aspawn only); the floors'
 * details; then the targets as a grid.
 */
import type { CFloor, RuntimeResult, Target } from "./results.ts";

interface Row {
  label: string;
  /** higher is better (a rate), else lower is */
  higher: boolean;
  /** aspawn's value and the native API's (undefined: aspawn only) */
  get(r: RuntimeResult): [number, number | undefined] | undefined;
  floor?(c: CFloor): number | undefined;
}

const r = (label: string, higher: boolean, get: Row["get"], floor?: Row["floor"]): Row => ({ label, higher, get, ...(floor && { floor }) });

function comparedRows(first: RuntimeResult): Row[] {
  const heapRows = first.call.flatMap((h, i) => [
    ...(["p50Us", "p99Us"] as const).map((q) =>
      r(`spawn() ${q.slice(0, 3)} us, ${h.label}`, false, (x) => x.call[i] && [x.call[i]!.aspawn[q], x.call[i]!.native[q]],
        (c) => q === "p50Us" ? c.blockedP50Us : c.blockedP99Us)
    ),
    // The same floor timed in each runtime's process, in turn with spawn(): the target's.
    // Its p99 too: the p99 / p50 target's tail is partly the kernel's and the host's, as the floor's own shows.
    ...(h.floor ? (["p50Us", "p99Us"] as const).map((q) =>
      r(`  C floor in-process ${q.slice(0, 3)} us`, false, (x) => x.call[i]?.floor && [x.call[i]!.floor![q], undefined])
    ) : []),
    // The floor again, each call after a spawn() and its reap: what the JS before a call costs the syscalls.
    ...(h.floorAfterJs ? [r("  C floor after JS reap p50 us", false, (x) => x.call[i]?.floorAfterJs && [x.call[i]!.floorAfterJs!.p50Us, undefined])] : []),
  ]);
  return [
    ...heapRows,
    r(`storm spawns/s, ${first.storm.inflight} in flight`, true, (x) => [x.storm.aspawn.perSec, x.storm.native.perSec], (c) => c.loop?.perSec),
    // The C loop timed in each runtime's process, in turn with the pair: the storm targets'.
    ...(first.storm.floor ? [
      r("  C loop in-process spawns/s", true, (x) => x.storm.floor && [x.storm.floor.perSec, undefined]),
      r("  C loop in-process ticks/s", true, (x) => x.storm.floor && [x.storm.floor.ticksPerSec, undefined]),
      r("  C loop in-process gap p99 ms", false, (x) => x.storm.floor && [x.storm.floor.gapP99Ms, undefined]),
    ] : []),
    ...(first.storm.wake ? [r("  C + one JS wake spawns/s", true, (x) => x.storm.wake && [x.storm.wake.perSec, undefined])] : []),
    r("  loop ticks/s", true, (x) => [x.storm.aspawn.ticksPerSec, x.storm.native.ticksPerSec], (c) => c.loop?.ticksPerSec),
    r("  loop gap p50 ms", false, (x) => x.storm.aspawn.gapP50Ms === undefined ? undefined : [x.storm.aspawn.gapP50Ms, x.storm.native.gapP50Ms], (c) => c.loop?.gapP50Ms),
    r("  loop gap p99 ms", false, (x) => [x.storm.aspawn.gapP99Ms, x.storm.native.gapP99Ms], (c) => c.loop?.gapP99Ms),
    r("  loop gap max ms", false, (x) => [x.storm.aspawn.gapMaxMs, x.storm.native.gapMaxMs], (c) => c.loop?.gapMaxMs),
    r(`stdout MB/s, ${first.pipe.bytes / 2 ** 20} MiB`, true, (x) => [x.pipe.aspawn.mbPerSec, x.pipe.native.mbPerSec], (c) => c.stdout?.mbPerSec),
    // The best C reader timed in each runtime's process, in turn with the pair: the target's.
    ...(first.pipe.floor ? [r("  C reader in-process MB/s", true, (x) => x.pipe.floor && [x.pipe.floor.mbPerSec, undefined])] : []),
    r("echo hello p50 us", false, (x) => [x.echo.aspawn.p50Us, x.echo.native.p50Us], (c) => c.echo?.vfork.p50Us),
    r("echo hello p99 us", false, (x) => [x.echo.aspawn.p99Us, x.echo.native.p99Us], (c) => c.echo?.vfork.p99Us),
    // The same capture timed in each runtime's process, in turn with run(): the target's.
    ...(first.echo.floor ? [r("  C echo in-process p50 us", false, (x) => x.echo.floor && [x.echo.floor.p50Us, undefined])] : []),
    ...(first.echo.wake ? [r("  C + one JS wake p50 us", false, (x) => x.echo.wake && [x.echo.wake.p50Us, undefined])] : []),
    r(`live x${first.live.children}: heap B/child`, false, (x) => [x.live.aspawn.heapBytesPerChild, x.live.native.heapBytesPerChild]),
    r("  RSS KiB/child", false, (x) => [x.live.aspawn.rssBytesPerChild / 1024, x.live.native.rssBytesPerChild / 1024]),
    r("  spawn calls ms", false, (x) => [x.live.aspawn.spawnAllMs, x.live.native.spawnAllMs]),
    r("  kill+reap all ms", false, (x) => [x.live.aspawn.killReapMs, x.live.native.killReapMs]),
  ];
}

/** The growth scenario: spawn() p50 per size, aspawn only; the spawn floor beside the live-children rows. */
function growthRows(first: RuntimeResult): Row[] {
  const g = first.growth;
  if (!g) return [];
  const point = (series: "children" | "args" | "env", i: number) => (x: RuntimeResult): [number, undefined] | undefined => {
    const p = x.growth?.[series][i];
    return p && [p.p50Us, undefined];
  };
  return [
    ...g.children.map((p, i) => r(`spawn() p50 us, ${p.size} live`, false, point("children", i), (c) => c.blockedP50Us)),
    // The floor sharing our fd table, timed in turn at each size: the flatness target's reference.
    ...g.children.flatMap((p, i) => p.floor
      ? [r(`  shared C floor, ${p.size} live`, false, (x) => x.growth?.children[i]?.floor && [x.growth.children[i]!.floor!.p50Us, undefined])]
      : []),
    ...g.args.map((p, i) => r(`  ${p.size} args (${fmtKib(p.kib)} KiB)`, false, point("args", i))),
    r("  args: us per KiB", false, (x) => x.growth && [x.growth.argsUsPerKib, undefined]),
    ...g.env.map((p, i) => r(`  env +${fmtKib(p.kib)} KiB`, false, point("env", i))),
    r("  env: us per KiB", false, (x) => x.growth && [x.growth.envUsPerKib, undefined]),
  ];
}

const fmtKib = (k: number) => (k >= 10 || k === 0 ? k.toFixed(0) : k.toFixed(1));

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const pad = (s: string, n: number) => s.padStart(n);
const LABEL = 30, FLOOR = 9, SIDE = 29;

function line(row: Row, results: RuntimeResult[], c: CFloor | null): string {
  const f = c && row.floor?.(c);
  let out = row.label.padEnd(LABEL) + pad(f === undefined || f === null ? "-" : fmt(f), FLOOR);
  for (const x of results) {
    const v = row.get(x);
    if (!v) {
      out += pad("-", SIDE);
      continue;
    }
    const [a, n] = v;
    // A ratio of a negative (a heap that shrank) means nothing.
    const adv = n !== undefined && a > 0 && n > 0 ? fmt(row.higher ? a / n : n / a) : "-";
    out += `${pad(fmt(a), 9)}${pad(n === undefined ? "-" : fmt(n), 14)}${pad(adv, 6)}`;
  }
  return out;
}

/** What each floor is, with the figures that have no row of their own. */
function floorNotes(c: CFloor, first: RuntimeResult): string[] {
  const out = [`C floors (bench/c, same run, small parent): spawn() = the spawn syscalls by hand, blocked time; ` +
    `asp_spawn from C ${fmt(c.asp.blockedP50Us)} us p50, ${fmt(c.asp.inflightPerSec)}/s 32 in flight`];
  if (c.loop) {
    out.push(`  storm = one C epoll loop, 1 ms timerfd, vfork+exec /bin/true, ${c.loop.inflight} in flight, stdout read to EOF, exit via pidfd (${c.loop.total} spawns)` +
      (first.storm.floor ? "; C loop in-process = that loop's rounds taking turns with the pair's in each runtime's process" : ""));
  }
  if (c.echo) {
    out.push(`  echo = vfork+exec with our environment, stdout captured through a pipe, waitpid; posix_spawn: p50 ${fmt(c.echo.posixSpawn.p50Us)} us, p99 ${fmt(c.echo.posixSpawn.p99Us)} us`);
  }
  if (first.echo.wake || first.storm.wake) {
    out.push("  C + one JS wake = the JS thread vforks, a C thread reaps and reads stdout, one record through the runtime's stream wakes JS (bench/c/wake_floor.c)");
  }
  if (first.growth?.children[0]?.floor) {
    out.push("  growth: shared C floor = the spawn() floor cloned with CLONE_FILES (its child copies the fds below the one it needs, as the library's does), timed in turn with spawn() at each size, once the sleeping children have started");
  }
  if (c.stdout) {
    out.push(`  stdout = best epoll reader of ${c.stdout.producer} (pipe ${c.stdout.pipeSize / 1024} KiB, reads ${c.stdout.readSize / 1024} KiB); ` +
      `splice to /dev/null ${fmt(c.stdout.spliceMbPerSec)} MB/s (a ceiling, not a target)` +
      (first.pipe.floor ? "; C reader in-process = that reader timed in each runtime's process, in turn with the pair" : ""));
  }
  // The floors' sizes follow bench/config.ts by hand (bench/c/floors.c): say so when they drift apart.
  if ((c.stdout && c.stdout.bytes !== first.pipe.bytes) || (c.loop && c.loop.total !== first.storm.total)) {
    out.push("  NOTE: the C floors ran other sizes than the JS run (a bench-c.json of the other mode?)");
  }
  return out;
}

export function table(results: RuntimeResult[], c: CFloor | null, allTargets: Target[]): string {
  const out: string[] = [];
  const first = results[0]!;
  const head = "".padEnd(LABEL) + pad("C floor", FLOOR);
  out.push(`${"".padEnd(LABEL + FLOOR)}${results.map((x) => `${x.runtime} ${x.version}`.padStart(SIDE)).join("")}`);
  out.push(`${head}${results.map((x) => `${pad("aspawn", 9)}${pad(x.nativeApi, 14)}${pad("x", 6)}`).join("")}`);
  for (const row of comparedRows(first)) out.push(line(row, results, c));
  const growth = growthRows(first);
  if (growth.length) {
    out.push("growth (aspawn only): spawn() with live children, arguments, environment");
    for (const row of growth) out.push(line(row, results, c));
  }
  if (c) out.push(...floorNotes(c, first));
  out.push("");
  out.push(`${"target".padEnd(36)}${"goal".padEnd(20)}${results.map((x) => x.runtime.padStart(14)).join("")}`);
  const ids = [...new Set(allTargets.map((t) => t.id))];
  for (const id of ids) {
    const some = allTargets.find((t) => t.id === id)!;
    let row = `${some.label.padEnd(36)}${some.goal.padEnd(20)}`;
    for (const x of results) {
      const t = allTargets.find((y) => y.id === id && y.runtime === x.runtime);
      row += t ? `${fmt(t.value)} ${t.pass ? "PASS" : "MISS"}`.padStart(14) : pad("-", 14);
    }
    out.push(row);
  }
  const passed = allTargets.filter((t) => t.pass).length;
  out.push(`${passed}/${allTargets.length} targets pass`);
  out.push(`left behind: ${results.map((x) => `${x.runtime} ${x.end.children} children, ${x.end.zombies} zombies, fds ${x.end.fdsStart}->${x.end.fdsEnd}${x.end.newFds?.length ? ` (new: ${x.end.newFds.join(", ")})` : ""}`).join("; ")}`);
  return out.join("\n");
}
