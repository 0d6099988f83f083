/**
 * The table of scripts/bench-sync.sh: each runtime's blocked time next to
 * the C floor of the same parent size (bench/c/sync_floor.c), with the
 * issue's targets as ratios — runSync ≤ 1.15× the floor, flat (±30 %) from
 * 100 MiB to 4 GiB, below the runtime's own blocking API.
 *
 *   bun bench/sync-report.ts C.json RUNTIME.json...
 */
import { existsSync, readFileSync } from "node:fs";
import type { Latency } from "./stats.ts";

interface CCell {
  p50_us: number;
}
interface RuntimeFile {
  runtime: string;
  version: string;
  quick: boolean;
  heaps: { label: string; methods: Record<string, Latency> }[];
  end: unknown;
}

const [cPath, ...runtimePaths] = process.argv.slice(2);
const c = cPath && existsSync(cPath)
  ? (JSON.parse(readFileSync(cPath, "utf8")) as { heaps: Record<string, Record<string, CCell>>; fds_left: number; zombies: number })
  : null;
const runtimes = runtimePaths.filter((p) => existsSync(p)).map((p) => JSON.parse(readFileSync(p, "utf8")) as RuntimeFile);

const us = (v: number | undefined) => (v === undefined ? "—" : v >= 10000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(0)} µs`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? "—" : `${(a / b).toFixed(2)}×`);
const pad = (s: string, n: number) => s.padEnd(n);
const lines: string[] = [];
const row = (cells: string[]) => lines.push(cells.map((s, i) => pad(s, i === 0 ? 34 : 20)).join(""));

const labels = [...new Set(runtimes.flatMap((r) => r.heaps.map((h) => h.label)))];
for (const label of labels) {
  const floor = c?.heaps[label];
  lines.push(`\nparent ${label}: time the calling thread is blocked, p50 (× the C floor of this parent)`);
  row(["", "true", "echo hello"]);
  for (const [name, key] of [["C floor (vfork+exec+pipe+wait)", "floor"], ["C asp_run_sync", "asp"]] as const) {
    row([name, ...["true", "echo"].map((j) => `${us(floor?.[`${key}_${j}`]?.p50_us)} (${ratio(floor?.[`${key}_${j}`]?.p50_us, floor?.[`floor_${j}`]?.p50_us)})`)]);
  }
  for (const r of runtimes) {
    const h = r.heaps.find((x) => x.label === label);
    if (!h) continue;
    const names = [...new Set(Object.keys(h.methods).map((k) => k.slice(0, k.lastIndexOf(" "))))];
    for (const m of names) {
      row([`${r.runtime} ${m}`, ...["true", "echo"].map((j) => {
        const v = h.methods[`${m} ${j}`]?.p50Us;
        return `${us(v)} (${ratio(v, floor?.[`floor_${j}`]?.p50_us)})`;
      })]);
    }
  }
}

lines.push("\ntargets (p50): runSync / C floor ≤ 1.15; runSync 4GiB / 100MiB within 0.7–1.3; runSync / own sync API < 1");
for (const r of runtimes) {
  const first = r.heaps[0], last = r.heaps[r.heaps.length - 1];
  for (const j of ["true", "echo"]) {
    const own = Object.keys(first?.methods ?? {}).filter((k) => k.endsWith(` ${j}`) && !k.startsWith("runSync "));
    const parts = r.heaps.map((h) => `${h.label} ${ratio(h.methods[`runSync ${j}`]?.p50Us, c?.heaps[h.label]?.[`floor_${j}`]?.p50_us)} of floor`);
    parts.push(`flat ${ratio(last?.methods[`runSync ${j}`]?.p50Us, first?.methods[`runSync ${j}`]?.p50Us)}`);
    for (const o of own) {
      for (const h of r.heaps) parts.push(`${h.label} ${ratio(h.methods[`runSync ${j}`]?.p50Us, h.methods[o]?.p50Us)} of ${o.slice(0, o.lastIndexOf(" "))}`);
    }
    lines.push(`  ${r.runtime} ${r.version} ${j}: ${parts.join(", ")}`);
  }
}
if (c) lines.push(`\nC run: ${c.fds_left} fds and ${c.zombies} zombies left`);
for (const r of runtimes) lines.push(`${r.runtime}: left behind ${JSON.stringify(r.end)}${r.quick ? " (--quick)" : ""}`);
console.log(lines.join("\n"));
