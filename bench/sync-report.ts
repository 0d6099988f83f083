/**
 * The table of scripts/bench-sync.sh: each runtime's blocked time next to
 * the C floor timed in the same process (bench/c/sync_jobs.c, loaded by
 * bench/ffi/floors.ts), with the issue's targets as ratios — runSync
 * ≤ 1.15× the floor, flat (±30 %) from 100 MiB to 4 GiB, below the
 * runtime's own blocking API — and, for scale, the floor and asp_run_sync
 * timed by a C process of their own (bench-c-sync).
 *
 *   bun bench/sync-report.ts C.json RUNTIME.json...
 */
import { existsSync, readFileSync } from "node:fs";
import { FLOOR } from "./ffi/floors.ts";
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
const p50 = (h: RuntimeFile["heaps"][number] | undefined, method: string, job: string) => h?.methods[`${method} ${job}`]?.p50Us;
for (const label of labels) {
  const separate = c?.heaps[label];
  lines.push(`\nparent ${label}: time the calling thread is blocked, p50 (× the C floor timed in the same process)`);
  row(["", "true", "echo hello"]);
  for (const r of runtimes) {
    const h = r.heaps.find((x) => x.label === label);
    if (!h) continue;
    const names = [...new Set(Object.keys(h.methods).map((k) => k.slice(0, k.lastIndexOf(" "))))];
    for (const m of names) {
      row([`${r.runtime} ${m}`, ...["true", "echo"].map((j) => `${us(p50(h, m, j))} (${ratio(p50(h, m, j), p50(h, FLOOR, j))})`)]);
    }
  }
  // For scale: the floor and asp_run_sync in a C process of their own, earlier in the run.
  for (const [name, key] of [["C process: floor", "floor"], ["C process: asp_run_sync", "asp"]] as const) {
    row([name, ...["true", "echo"].map((j) => `${us(separate?.[`${key}_${j}`]?.p50_us)} (${ratio(separate?.[`${key}_${j}`]?.p50_us, separate?.[`floor_${j}`]?.p50_us)})`)]);
  }
}

const verdict = (v: number | undefined, ok: (x: number) => boolean) => (v === undefined ? "" : ok(v) ? " PASS" : " MISS");
lines.push("\ntargets (p50): runSync / C floor (same process) ≤ 1.15; runSync 4GiB / 100MiB within 0.7–1.3; runSync / own sync API < 1");
let misses = 0;
const judged = (a: number | undefined, b: number | undefined, ok: (x: number) => boolean) => {
  const v = a === undefined || !b ? undefined : a / b;
  if (v !== undefined && !ok(v)) misses++;
  return `${ratio(a, b)}${verdict(v, ok)}`;
};
for (const r of runtimes) {
  const first = r.heaps[0], last = r.heaps[r.heaps.length - 1];
  for (const j of ["true", "echo"]) {
    const own = Object.keys(first?.methods ?? {}).filter((k) => k.endsWith(` ${j}`) && !k.startsWith("runSync ") && !k.startsWith(`${FLOOR} `));
    const parts = r.heaps.map((h) => `${h.label} ${judged(p50(h, "runSync", j), p50(h, FLOOR, j), (x) => x <= 1.15)} of floor`);
    parts.push(`flat ${judged(p50(last, "runSync", j), p50(first, "runSync", j), (x) => x >= 0.7 && x <= 1.3)}`);
    for (const o of own) {
      const m = o.slice(0, o.lastIndexOf(" "));
      for (const h of r.heaps) parts.push(`${h.label} ${judged(p50(h, "runSync", j), p50(h, m, j), (x) => x < 1)} of ${m}`);
    }
    lines.push(`  ${r.runtime} ${r.version} ${j}: ${parts.join(", ")}`);
  }
}
lines.push(`${misses === 0 ? "all targets pass" : `${misses} target(s) missed`}`);
if (c) lines.push(`\nC run: ${c.fds_left} fds and ${c.zombies} zombies left`);
for (const r of runtimes) lines.push(`${r.runtime}: left behind ${JSON.stringify(r.end)}${r.quick ? " (--quick)" : ""}`);
console.log(lines.join("\n"));
