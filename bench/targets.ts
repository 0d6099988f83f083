/**
 * The targets (DESIGN.md "Performance targets") as PASS/MISS
 * ratios for one runtime. Every value is a plain ratio of two numbers of
 * the results, so the table and the chart can show where it came from.
 */
import type { RuntimeName } from "./env.ts";
import type { CFloor, RuntimeResult, Target } from "./results.ts";

/** aspawn spawns/s over the native API's, at least. */
const STORM_GOAL: Record<RuntimeName, number> = { bun: 1.1, deno: 1.3, node: 3 };

function atMost(runtime: RuntimeName, id: string, label: string, value: number, goal: number, note?: string): Target {
  return { runtime, id, label, value, goal: `<= ${goal.toFixed(2)}`, pass: value <= goal, ...(note ? { note } : {}) };
}

function atLeast(runtime: RuntimeName, id: string, label: string, value: number, goal: number): Target {
  return { runtime, id, label, value, goal: `>= ${goal.toFixed(2)}`, pass: value >= goal };
}

export function targets(r: Omit<RuntimeResult, "targets">, c: CFloor | null): Target[] {
  const rt = r.runtime, t: Target[] = [];
  const [small, big] = [r.call[0]!, r.call[r.call.length - 1]!];
  if (c) {
    for (const h of r.call) {
      t.push(atMost(rt, `call_p50_over_c_floor_${h.label}`, `spawn() p50 / C floor, ${h.label}`, h.aspawn.p50Us / c.blockedP50Us, 1.3));
    }
  }
  const flat = big.aspawn.p50Us / small.aspawn.p50Us;
  t.push({
    runtime: rt, id: "call_p50_flatness", label: `spawn() p50 ${big.label} / ${small.label}`,
    value: flat, goal: "0.70..1.30", pass: flat >= 0.7 && flat <= 1.3,
  });
  t.push(atLeast(rt, "storm_over_native", "spawns/s / native API", r.storm.aspawn.perSec / r.storm.native.perSec, STORM_GOAL[rt]));
  t.push(atMost(rt, "loop_gap_p99_ms", `loop p99 gap ms, ${r.storm.inflight} in flight`, r.storm.aspawn.gapP99Ms, 5));
  t.push(atLeast(rt, "pipe_over_native", "stdout MB/s / native API", r.pipe.aspawn.mbPerSec / r.pipe.native.mbPerSec, 1.2));
  if (c) {
    t.push(atMost(rt, "echo_p50_over_c_seq", "echo p50 / C floor spawn+wait", r.echo.aspawn.p50Us / c.seqUs, 1.15,
      "C = bench/c floor's sequential /bin/true spawn+reap (no output captured)"));
  }
  t.push(atMost(rt, "live_heap_kib_per_child", "JS heap KiB per live child", r.live.aspawn.heapBytesPerChild / 1024, 4));
  return t;
}
