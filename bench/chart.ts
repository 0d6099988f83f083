/**
 * Renders bench/chart.svg from the merged results (never from numbers
 * typed in): left, every scenario's ratio to its physical floor (bench/c,
 * same run; the targets' own ratios, turned so that 1 is the floor and
 * lower is better) with each target marked; right, how many times better
 * aspawn is than each runtime's own API per measure (log scale: 1x to
 * 1000x).
 *   bun bench/chart.ts [bench/results/latest.json] [bench/chart.svg]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { args } from "./env.ts";
import type { Merged, RuntimeResult, Target } from "./results.ts";
import { fmt } from "./table.ts";
import { bound } from "./targets.ts";

interface Group {
  label: string;
  bars: { series: string; value: number }[];
  /** the target, on the panel's scale */
  goal?: number;
}

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2"];
const W = 560, H = 360, M = { top: 40, right: 10, bottom: 70, left: 50 };
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** One panel of grouped bars on a log10 axis; `ref` draws a dashed line (1x, or the C floor). */
function panel(x0: number, title: string, unit: string, groups: Group[], series: string[], ref?: { value: number; label: string }): string {
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0);
  if (ref) values.push(ref.value);
  const lo = Math.floor(Math.log10(Math.min(...values)) - 0.01), hi = Math.ceil(Math.log10(Math.max(...values)) + 0.01);
  const ph = H - M.top - M.bottom, pw = W - M.left - M.right;
  const y = (v: number) => M.top + ph - ((Math.log10(v) - lo) / (hi - lo)) * ph;
  const out = [`<g transform="translate(${x0},0)">`, `<text x="${W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 4}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(1)}${unit}</text>`);
  }
  const gw = pw / groups.length, bw = (gw * 0.8) / series.length;
  groups.forEach((g, gi) => {
    const gx = M.left + gi * gw + gw * 0.1;
    g.bars.forEach((b) => {
      const si = series.indexOf(b.series), bx = gx + si * bw;
      if (!(b.value > 0)) {
        out.push(`<text x="${bx + bw / 2}" y="${y(10 ** lo) - 4}" text-anchor="middle" font-size="9">n/a</text>`);
        return;
      }
      out.push(`<rect x="${bx}" y="${y(b.value)}" width="${bw - 1}" height="${y(10 ** lo) - y(b.value)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g.label} ${b.series}: ${fmt(b.value)}`)}</title></rect>`);
      out.push(`<text x="${bx + bw / 2}" y="${y(b.value) - 3}" text-anchor="middle" font-size="8">${fmt(b.value)}</text>`);
    });
    const lines = g.label.split("\n");
    lines.forEach((l, k) => out.push(`<text x="${gx + gw * 0.4}" y="${H - M.bottom + 14 + 12 * k}" text-anchor="middle">${esc(l)}</text>`));
  });
  if (ref) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(ref.value)}" y2="${y(ref.value)}" stroke="#333" stroke-dasharray="4 3"/>`);
  }
  // The legend: one swatch per series, then the dashed reference line (in the plot its label would cover bars).
  series.forEach((s, i) => {
    const lx = M.left + i * 110;
    out.push(`<rect x="${lx}" y="${H - 22}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="${H - 13}">${esc(s)}</text>`);
  });
  if (ref) {
    const lx = M.left + series.length * 110;
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${H - 17}" y2="${H - 17}" stroke="#333" stroke-dasharray="4 3"/><text x="${lx + 24}" y="${H - 13}">${esc(ref.label)}</text>`);
  }
  out.push("</g>");
  return out.join("\n");
}

/** aspawn's advantage per measure: native/aspawn for times and memory, aspawn/native for rates. */
function advantages(rs: RuntimeResult[]): Group[] {
  const g = (label: string, f: (r: RuntimeResult) => number): Group => ({ label, bars: rs.map((r) => ({ series: r.runtime, value: f(r) })) });
  const small = (r: RuntimeResult) => r.call[0]!, big = (r: RuntimeResult) => r.call[r.call.length - 1]!;
  return [
    g(`spawn() p50\n${rs[0]!.call[0]!.label}`, (r) => small(r).native.p50Us / small(r).aspawn.p50Us),
    g(`spawn() p50\n${rs[0]!.call.at(-1)!.label}`, (r) => big(r).native.p50Us / big(r).aspawn.p50Us),
    g("spawns/s\n32 in flight", (r) => r.storm.aspawn.perSec / r.storm.native.perSec),
    g("loop ticks/s\nin the storm", (r) => r.storm.aspawn.ticksPerSec / r.storm.native.ticksPerSec),
    g("stdout\nMB/s", (r) => r.pipe.aspawn.mbPerSec / r.pipe.native.mbPerSec),
    g("echo hello\np50", (r) => r.echo.native.p50Us / r.echo.aspawn.p50Us),
    g("kill+reap\nall", (r) => r.live.native.killReapMs / r.live.aspawn.killReapMs),
  ];
}

/**
 * The targets held against a floor, as "times the floor's cost": a time
 * over its floor as it is, a rate's floor over the rate (a ">= 0.97" of
 * spawns/s becomes "<= 1.03"), so every bar reads the same way.
 */
function floorRatios(m: Merged): Group[] {
  const floorTargets = m.targets.filter((t) => t.floor);
  const ids = [...new Set(floorTargets.map((t) => t.id))];
  const cost = (t: Target, v: number) => (t.goal.startsWith(">=") ? 1 / v : v);
  return ids.map((id) => {
    const ts = floorTargets.filter((t) => t.id === id), first = ts[0]!;
    return {
      label: FLOOR_LABELS[id.replace(/_[0-9]+[KMG]iB$/, "")]?.(id) ?? first.label,
      bars: ts.map((t) => ({ series: t.runtime, value: cost(t, t.value) })),
      goal: cost(first, bound(first)),
    };
  });
}

/** Two short lines per group under the floor panel. */
const FLOOR_LABELS: Record<string, (id: string) => string> = {
  call_p50_over_c_floor: (id) => `spawn() p50\n${id.split("_").at(-1)}`,
  storm_over_c_loop: () => "storm\nspawns/s",
  loop_gap_p99_over_c_loop: () => "loop gap\np99",
  loop_ticks_over_c_loop: () => "loop\nticks/s",
  echo_p50_over_c_echo: () => "echo hello\np50",
  pipe_over_c_reader: () => "stdout\nMB/s",
  live_heap_kib_per_child: () => "heap/child\n/ 1 KiB",
};

/** One panel of grouped bars on a linear axis from 0, 1 (the floor) drawn solid, each group's target dashed red. */
function linearPanel(x0: number, title: string, groups: Group[], series: string[]): string {
  const values = groups.flatMap((g) => [...g.bars.map((b) => b.value), g.goal ?? 0]).filter((v) => Number.isFinite(v));
  const hi = Math.max(2, Math.ceil(Math.max(...values) * 2) / 2);
  const ph = H - M.top - M.bottom, pw = W - M.left - M.right;
  const y = (v: number) => M.top + ph - (Math.min(v, hi) / hi) * ph;
  const out = [`<g transform="translate(${x0},0)">`, `<text x="${W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  const step = hi <= 4 ? 0.5 : Math.ceil(hi / 8);
  for (let v = 0; v <= hi + 1e-9; v += step) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 1 ? "#333" : "#ddd"}"/>`);
    out.push(`<text x="${M.left - 4}" y="${y(v) + 4}" text-anchor="end">${v === 1 ? "floor 1" : +v.toFixed(1)}</text>`);
  }
  const gw = pw / Math.max(1, groups.length), bw = (gw * 0.8) / series.length;
  groups.forEach((g, gi) => {
    const gx = M.left + gi * gw + gw * 0.1;
    g.bars.forEach((b) => {
      const si = series.indexOf(b.series), bx = gx + si * bw;
      if (!Number.isFinite(b.value) || b.value <= 0) {
        out.push(`<text x="${bx + bw / 2}" y="${y(0) - 4}" text-anchor="middle" font-size="9">n/a</text>`);
        return;
      }
      out.push(`<rect x="${bx}" y="${y(b.value)}" width="${bw - 1}" height="${y(0) - y(b.value)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g.label.replace("\n", " ")} ${b.series}: ${fmt(b.value)}x the floor`)}</title></rect>`);
      out.push(`<text x="${bx + bw / 2}" y="${y(b.value) - 3}" text-anchor="middle" font-size="8">${b.value > hi ? "&gt;" : ""}${fmt(b.value)}</text>`);
    });
    if (g.goal !== undefined && Number.isFinite(g.goal)) {
      out.push(`<line x1="${gx - 2}" x2="${gx + gw * 0.8 + 2}" y1="${y(g.goal)}" y2="${y(g.goal)}" stroke="#c00" stroke-width="1.5" stroke-dasharray="4 2"/>`);
    }
    g.label.split("\n").forEach((l, k) => out.push(`<text x="${gx + gw * 0.4}" y="${H - M.bottom + 14 + 12 * k}" text-anchor="middle">${esc(l)}</text>`));
  });
  series.forEach((s, i) => {
    const lx = M.left + i * 110;
    out.push(`<rect x="${lx}" y="${H - 22}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="${H - 13}">${esc(s)}</text>`);
  });
  const lx = M.left + series.length * 110;
  out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${H - 17}" y2="${H - 17}" stroke="#c00" stroke-width="1.5" stroke-dasharray="4 2"/><text x="${lx + 24}" y="${H - 13}">target</text>`);
  out.push("</g>");
  return out.join("\n");
}

const [input = "bench/results/latest.json", output = "bench/chart.svg"] = args;
const m = JSON.parse(readFileSync(input, "utf8")) as Merged;
const runtimes = m.runtimes.map((r) => r.runtime);
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif" font-size="11">`,
  `<rect width="100%" height="100%" fill="white"/>`,
  linearPanel(0, "ratio to the physical floor (C, same run): lower is better", floorRatios(m), runtimes),
  panel(W, "aspawn vs the runtime's own API (x better)", "x", advantages(m.runtimes), runtimes, { value: 1, label: "1x = same" }),
  `<text x="10" y="${H + 14}" font-size="10" fill="#555">${esc(`${m.quick ? "--quick, " : ""}${m.generated}; ` + m.runtimes.map((r) => `${r.runtime} ${r.version}`).join(", ") + `; ${m.targets.filter((t) => t.pass).length}/${m.targets.length} targets pass`)}</text>`,
  "</svg>",
].join("\n");
writeFileSync(output, svg + "\n");
console.log(`wrote ${output}`);
