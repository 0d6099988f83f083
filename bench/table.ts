/**
 * The terminal table: every runtime side by side, aspawn | native | how
 * many times better aspawn is (native/aspawn for times and memory,
 * aspawn/native for rates), then the targets as a grid.
 */
import type { CFloor, RuntimeResult, Target } from "./results.ts";

interface Row {
  label: string;
  /** higher is better (a rate), else lower is */
  higher: boolean;
  get(r: RuntimeResult): [number, number] | undefined;
}

function rows(first: RuntimeResult): Row[] {
  const r = (label: string, higher: boolean, get: Row["get"]): Row => ({ label, higher, get });
  const heapRows = first.call.flatMap((h, i) =>
    (["p50Us", "p99Us"] as const).map((q) =>
      r(`spawn() ${q.slice(0, 3)} us, ${h.label}`, false, (x) => x.call[i] && [x.call[i]!.aspawn[q], x.call[i]!.native[q]])
    )
  );
  return [
    ...heapRows,
    r(`storm spawns/s, ${first.storm.inflight} in flight`, true, (x) => [x.storm.aspawn.perSec, x.storm.native.perSec]),
    r("  loop ticks/s", true, (x) => [x.storm.aspawn.ticksPerSec, x.storm.native.ticksPerSec]),
    r("  loop gap p99 ms", false, (x) => [x.storm.aspawn.gapP99Ms, x.storm.native.gapP99Ms]),
    r("  loop gap max ms", false, (x) => [x.storm.aspawn.gapMaxMs, x.storm.native.gapMaxMs]),
    r(`stdout MB/s, ${first.pipe.bytes / 2 ** 20} MiB`, true, (x) => [x.pipe.aspawn.mbPerSec, x.pipe.native.mbPerSec]),
    r("echo hello p50 us", false, (x) => [x.echo.aspawn.p50Us, x.echo.native.p50Us]),
    r("echo hello p99 us", false, (x) => [x.echo.aspawn.p99Us, x.echo.native.p99Us]),
    r(`live x${first.live.children}: heap B/child`, false, (x) => [x.live.aspawn.heapBytesPerChild, x.live.native.heapBytesPerChild]),
    r("  RSS KiB/child", false, (x) => [x.live.aspawn.rssBytesPerChild / 1024, x.live.native.rssBytesPerChild / 1024]),
    r("  spawn calls ms", false, (x) => [x.live.aspawn.spawnAllMs, x.live.native.spawnAllMs]),
    r("  kill+reap all ms", false, (x) => [x.live.aspawn.killReapMs, x.live.native.killReapMs]),
  ];
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const pad = (s: string, n: number) => s.padStart(n);

export function table(results: RuntimeResult[], c: CFloor | null, allTargets: Target[]): string {
  const out: string[] = [];
  const first = results[0]!;
  out.push(`${"".padEnd(30)}${results.map((r) => `${r.runtime} ${r.version}`.padStart(29)).join("")}`);
  out.push(`${"".padEnd(30)}${results.map((r) => `${pad("aspawn", 9)}${pad(r.nativeApi, 14)}${pad("x", 6)}`).join("")}`);
  for (const row of rows(first)) {
    let line = row.label.padEnd(30);
    for (const r of results) {
      const v = row.get(r);
      if (!v) {
        line += pad("-", 29);
        continue;
      }
      // A ratio of a negative (a heap that shrank) means nothing.
      const adv = v[0] > 0 && v[1] > 0 ? fmt(row.higher ? v[0] / v[1] : v[1] / v[0]) : "-";
      line += `${pad(fmt(v[0]), 9)}${pad(fmt(v[1]), 14)}${pad(adv, 6)}`;
    }
    out.push(line);
  }
  if (c) {
    out.push(`C floor (bench/c, small parent): blocked p50 ${fmt(c.blockedP50Us)} us, spawn+reap ${fmt(c.seqUs)} us; ` +
      `asp_spawn from C ${fmt(c.asp.blockedP50Us)} us, ${fmt(c.asp.inflightPerSec)}/s 32 in flight`);
  }
  out.push("");
  out.push(`${"target".padEnd(36)}${"goal".padEnd(20)}${results.map((r) => r.runtime.padStart(14)).join("")}`);
  const ids = [...new Set(allTargets.map((t) => t.id))];
  for (const id of ids) {
    const some = allTargets.find((t) => t.id === id)!;
    // The storm goal differs per runtime: then the goals are listed in runtime order.
    const goals = [...new Set(results.map((r) => allTargets.find((x) => x.id === id && x.runtime === r.runtime)?.goal))];
    const goal = goals.length === 1 ? some.goal : `${goals[0]?.slice(0, 3)}${goals.map((g) => g?.slice(3)).join("/")}`;
    let line = `${some.label.padEnd(36)}${goal.padEnd(20)}`;
    for (const r of results) {
      const t = allTargets.find((x) => x.id === id && x.runtime === r.runtime);
      line += t ? `${fmt(t.value)} ${t.pass ? "PASS" : "MISS"}`.padStart(14) : pad("-", 14);
    }
    out.push(line);
  }
  const passed = allTargets.filter((t) => t.pass).length;
  out.push(`${passed}/${allTargets.length} targets pass`);
  out.push(`left behind: ${results.map((r) => `${r.runtime} ${r.end.children} children, ${r.end.zombies} zombies, fds ${r.end.fdsStart}->${r.end.fdsEnd}${r.end.newFds?.length ? ` (new: ${r.end.newFds.join(", ")})` : ""}`).join("; ")}`);
  return out.join("\n");
}
