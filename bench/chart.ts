/**
 * Renders bench/chart.svg from the merged results (never from numbers
 * typed in): left, how many times better aspawn is than each runtime's own
 * API per measure; right, the spawn() call's p50 per runtime and parent
 * size against the C floor. Log scales: the ratios span 1x to 1000x.
 *   bun bench/chart.ts [bench/results/latest.json] [bench/chart.svg]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { args } from "./env.ts";
import type { Merged, RuntimeResult } from "./results.ts";
import { fmt } from "./table.ts";

interface Group {
  label: string;
  bars: { series: string; value: number }[];
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

function callTimes(rs: RuntimeResult[]): Group[] {
  return rs.flatMap((r) =>
    r.call.map((c) => ({
      label: `${r.runtime}\n${c.label}`,
      bars: [{ series: "aspawn", value: c.aspawn.p50Us }, { series: "native API", value: c.native.p50Us }],
    }))
  );
}

const [input = "bench/results/latest.json", output = "bench/chart.svg"] = args;
const m = JSON.parse(readFileSync(input, "utf8")) as Merged;
const runtimes = m.runtimes.map((r) => r.runtime);
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 20}" font-family="sans-serif" font-size="11">`,
  `<rect width="100%" height="100%" fill="white"/>`,
  panel(0, "aspawn vs the runtime's own API (x better)", "x", advantages(m.runtimes), runtimes, { value: 1, label: "1x = same" }),
  panel(W, "spawn() call p50 (us): time the JS thread is blocked", "", callTimes(m.runtimes), ["aspawn", "native API"],
    m.cFloor ? { value: m.cFloor.blockedP50Us, label: `C floor ${fmt(m.cFloor.blockedP50Us)} us` } : undefined),
  `<text x="10" y="${H + 14}" font-size="10" fill="#555">${esc(`${m.quick ? "--quick, " : ""}${m.generated}; ` + m.runtimes.map((r) => `${r.runtime} ${r.version}`).join(", ") + `; ${m.targets.filter((t) => t.pass).length}/${m.targets.length} targets pass`)}</text>`,
  "</svg>",
].join("\n");
writeFileSync(output, svg + "\n");
console.log(`wrote ${output}`);
