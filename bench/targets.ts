/**
 * The targets (issue 20, DESIGN.md "Performance targets") as PASS/MISS
 * ratios for one runtime. Every figure is held against its physical floor,
 * measured by bench/c in the same run: only ratios within one run mean
 * anything on these machines. The runtime's own API is a column of the
 * table (what users compare), not a target. Every value is a plain ratio
 * of two numbers of the results, so the table and the chart can show
 * where it came from.
 */
import type { CFloor, RuntimeResult, Target } from "./results.ts";

type Measured = Omit<RuntimeResult, "targets">;

function atMost(r: Measured, id: string, label: string, value: number, goal: number, floor = false): Target {
  return { runtime: r.runtime, id, label, value, goal: `<= ${goal.toFixed(2)}`, pass: value <= goal, ...(floor && { floor }) };
}

function atLeast(r: Measured, id: string, label: string, value: number, goal: number, floor = false): Target {
  return { runtime: r.runtime, id, label, value, goal: `>= ${goal.toFixed(2)}`, pass: value >= goal, ...(floor && { floor }) };
}

/** Within ±30 %: a cost that does not grow with what it should not depend on. */
function flat(r: Measured, id: string, label: string, value: number): Target {
  return { runtime: r.runtime, id, label, value, goal: "0.70..1.30", pass: value >= 0.7 && value <= 1.3 };
}

/** The goal's bound as a number ("<= 1.30" -> 1.3); NaN for a range. */
export function bound(t: Target): number {
  return t.goal.startsWith("<=") || t.goal.startsWith(">=") ? Number(t.goal.slice(3)) : NaN;
}

export function targets(r: Measured, c: CFloor | null): Target[] {
  const t: Target[] = [];
  const [small, big] = [r.call[0]!, r.call[r.call.length - 1]!];
  for (const h of r.call) {
    // The floor timed in this process, in turn with spawn(), when there is one; else bench-c's.
    const floor = h.floor?.p50Us ?? c?.blockedP50Us;
    if (floor) t.push(atMost(r, `call_p50_over_c_floor_${h.label}`, `spawn() p50 / C floor, ${h.label}`, h.aspawn.p50Us / floor, 1.3, true));
    t.push(atMost(r, `call_p99_over_p50_${h.label}`, `spawn() p99 / p50, ${h.label}`, h.aspawn.p99Us / h.aspawn.p50Us, 3));
  }
  t.push(flat(r, "call_p50_flatness", `spawn() p50 ${big.label} / ${small.label}`, big.aspawn.p50Us / small.aspawn.p50Us));
  const kids = r.growth?.children;
  if (kids && kids.length >= 2) {
    const [few, many] = [kids[0]!, kids[kids.length - 1]!];
    // Each size against the floor timed in turn with it, when there is one:
    // the sizes are measured a minute apart, and the host drifts more.
    if (few.floor && many.floor) {
      const ratio = (many.p50Us / many.floor.p50Us) / (few.p50Us / few.floor.p50Us);
      t.push(flat(r, "growth_children_flatness", `spawn()/floor ${many.size} / ${few.size} live`, ratio));
    } else {
      t.push(flat(r, "growth_children_flatness", `spawn() p50 ${many.size} / ${few.size} live`, many.p50Us / few.p50Us));
    }
  }
  // The C loop timed in this process, in turn with the pair, when there is one; else bench-c's.
  const loop = r.storm.floor ?? c?.loop;
  if (loop) {
    t.push(atLeast(r, "storm_over_c_loop", "spawns/s / C loop", r.storm.aspawn.perSec / loop.perSec, 0.97, true));
    t.push(atMost(r, "loop_gap_p99_over_c_loop", "loop p99 gap / C loop", r.storm.aspawn.gapP99Ms / loop.gapP99Ms, 1.1, true));
    t.push(atLeast(r, "loop_ticks_over_c_loop", "loop ticks/s / C loop", r.storm.aspawn.ticksPerSec / loop.ticksPerSec, 1, true));
  }
  // The floor timed in this process, in turn with run(), when there is one; else bench-c's.
  const echoFloor = r.echo.floor?.p50Us ?? c?.echo?.vfork.p50Us;
  if (echoFloor) t.push(atMost(r, "echo_p50_over_c_echo", "echo p50 / C echo (vfork)", r.echo.aspawn.p50Us / echoFloor, 1.1, true));
  // The same: the C reader timed in this process, in turn with the pair, when there is one.
  const reader = r.pipe.floor?.mbPerSec ?? c?.stdout?.mbPerSec;
  if (reader) t.push(atLeast(r, "pipe_over_c_reader", "stdout MB/s / best C reader", r.pipe.aspawn.mbPerSec / reader, 0.95, true));
  t.push(atMost(r, "live_heap_kib_per_child", "JS heap KiB per live child", r.live.aspawn.heapBytesPerChild / 1024, 1, true));
  return t;
}
