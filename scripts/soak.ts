/**
 * The soak at full size, one runtime per process (scripts/soak.sh runs all
 * three and merges):
 *
 *   soak.ts run --out FILE [--spawns 100000] [--inflight 64] [--warmup 5000] [--live 10000]
 *       N spawns of /bin/true, `inflight` at once, after a warm-up: fds,
 *       threads, zombies, RSS (after GC) and /proc/self/maps lines against
 *       the baseline; then `live` children of `sleep 1000` alive at once
 *       (spawn() time of the first and last 100), all killed and reaped;
 *       then the table of bad inputs of test/bad-input.ts and the
 *       fault classes of test/faults.ts.
 *   soak.ts report OUT.json RUNTIME.json...
 *       merges the runtimes into OUT.json and prints a Markdown table.
 *   soak.ts readme OUT.json README.md
 *       writes that table into README.md between <!-- soak:start --> and
 *       <!-- soak:end --> (scripts/soak.sh does on a full run, when the
 *       markers are there).
 *
 * Run it with the GC exposed and V8's young generation pinned (see
 * V8_FLAGS in test/gc.ts) and with a soft RLIMIT_NOFILE above
 * `live` * 2: scripts/soak.sh does.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { machine, writeSection } from "../bench/readme-section.ts";
import { faultChecks } from "../test/faults.ts";
import { badInputs } from "../test/bad-input.ts";
import { runBadInputs } from "../test/bad-input-check.ts";
import { nofileLimit } from "../test/limits.ts";
import { liveChildren, type LiveResult } from "../test/live-children.ts";
import { newFds } from "../test/snapshot.ts";
import { soakSpawns, type SoakResult } from "../test/spawn-soak.ts";

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

interface RuntimeResult {
  runtime: string;
  version: string;
  seconds: number;
  nofile: number;
  soak: SoakResult;
  live: LiveResult;
  badInput: { total: number; ok: number; failures: string[] };
  /** test/faults.ts: low fd limits, closed stdio, ended Workers, environment races, SIGCHLD ignored */
  faults: { total: number; ok: number; failures: string[] };
  checks: Record<string, boolean>;
  /** fds open after the soak (or the live round) that were not before */
  newFds: { soak: string[]; live: string[] };
}

function flag(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

const log = (m: string) => process.stderr.write(`soak: ${m}\n`);

async function runAll(args: string[]): Promise<void> {
  const outIdx = args.indexOf("--out");
  if (outIdx < 0) throw new Error("run needs --out FILE");
  const out = args[outIdx + 1]!;
  const spawns = flag(args, "spawns", 100000), inflight = flag(args, "inflight", 64);
  const warmup = flag(args, "warmup", 5000), live = flag(args, "live", 10000);
  const runtime = typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";
  const version = typeof Bun !== "undefined" ? Bun.version : typeof Deno !== "undefined" ? Deno.version.deno : process.versions.node;
  const t0 = performance.now();
  log(`${runtime} ${version}: ${spawns} spawns, ${inflight} in flight (after ${warmup} of warm-up)`);
  const soak = await soakSpawns(spawns, inflight, warmup, (done) => {
    if (done % 10000 === 0) log(`${runtime}: ${done}/${spawns}`);
  });
  log(`${runtime}: ${Math.round(soak.perSec)} spawns/s; now ${live} live children (soft nofile ${nofileLimit().soft})`);
  const liveResult = await liveChildren(live);
  log(`${runtime}: ${liveResult.reaped}/${live} reaped; now ${badInputs.length} malformed calls`);
  const failures = await runBadInputs();
  log(`${runtime}: now ${faultChecks.length} fault classes`);
  const faultFailures: string[] = [];
  for (const f of faultChecks) {
    const problem = await f.check();
    if (problem) faultFailures.push(`${f.name}: ${problem}`);
  }
  const s = soak, l = liveResult;
  const checks = {
    spawnsAllExited0: s.failures === 0,
    fdsBack: s.after.fds === s.before.fds,
    threadsBack: s.after.unnamedThreads <= s.before.unnamedThreads && s.after.threads <= s.before.threads + 1,
    noZombies: s.after.zombies === 0 && s.after.children === 0,
    rssWithin10pct: s.after.rss <= s.before.rss * 1.1,
    mapsBounded: s.peak.maps - s.before.maps <= 2 * 128 + 64,
    liveAllSpawned: l.spawned === live && l.alive === live,
    liveAllReaped: l.killed === live && l.reaped === live && l.left === 0 && l.zombies === 0,
    liveFdsBack: l.after.fds === l.before.fds,
    liveSpawnFlat: l.last100.p50 <= 2 * l.first100.p50 + 20,
    badInputAsDocumented: failures.length === 0,
    faultsAsDocumented: faultFailures.length === 0,
  };
  const result: RuntimeResult = {
    runtime,
    version,
    seconds: (performance.now() - t0) / 1000,
    nofile: nofileLimit().soft,
    soak,
    live: liveResult,
    badInput: { total: badInputs.length, ok: badInputs.length - failures.length, failures },
    faults: { total: faultChecks.length, ok: faultChecks.length - faultFailures.length, failures: faultFailures },
    checks,
    newFds: { soak: newFds(s.before, s.after), live: newFds(l.before, l.after) },
  };
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  const failed = Object.entries(checks).filter(([, v]) => !v).map(([k]) => k);
  log(`${runtime}: done in ${Math.round(result.seconds)} s; ${failed.length ? `failed: ${failed.join(", ")}` : "all checks passed"}`);
}

const MB = (b: number) => (b / 1e6).toFixed(1);

function table(results: RuntimeResult[]): string {
  const rows = [
    "| runtime | spawns (64 in flight) | spawns/s | fds | threads | zombies | RSS after GC | maps lines (peak) | live children | spawn() p50 first → last 100 | kill + reap all | malformed calls | fault classes | checks |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const s = r.soak, l = r.live;
    const failed = Object.entries(r.checks).filter(([, v]) => !v).map(([k]) => k);
    const pct = ((s.after.rss / s.before.rss - 1) * 100).toFixed(1);
    rows.push(
      `| ${r.runtime} ${r.version} | ${s.spawns.toLocaleString("en")} | ${Math.round(s.perSec)} | ${s.before.fds} → ${s.after.fds} | ` +
        `${s.before.threads} → ${s.after.threads} | ${s.after.zombies} | ${MB(s.before.rss)} → ${MB(s.after.rss)} MB (${pct.startsWith("-") ? "" : "+"}${pct} %) | ` +
        `${s.before.maps} → ${s.after.maps} (${s.peak.maps}) | ${l.reaped.toLocaleString("en")}/${l.children.toLocaleString("en")} reaped, ${l.left} left | ` +
        `${l.first100.p50.toFixed(0)} → ${l.last100.p50.toFixed(0)} µs | ${Math.round(l.reapMs)} ms | ${r.badInput.ok}/${r.badInput.total} as documented | ` +
        `${r.faults ? `${r.faults.ok}/${r.faults.total} as documented` : "-"} | ` +
        `${failed.length ? `✗ ${failed.join(", ")}` : "✓"} |`,
    );
  }
  return rows.join("\n");
}

function report(args: string[]): void {
  const [out, ...inputs] = args;
  if (!out || !inputs.length) throw new Error("report needs OUT.json RUNTIME.json...");
  const results: RuntimeResult[] = [];
  for (const f of inputs) {
    try {
      results.push(JSON.parse(readFileSync(f, "utf8")));
    } catch {
      process.stderr.write(`soak: no result in ${f}: left out\n`);
    }
  }
  writeFileSync(out, JSON.stringify({ generated: new Date().toISOString(), runtimes: results }, null, 2) + "\n");
  console.log(table(results));
  const bad = results.flatMap((r) => [...r.badInput.failures, ...(r.faults?.failures ?? [])].map((f) => `${r.runtime}: ${f}`));
  if (bad.length) console.log(`\nMalformed calls and fault classes not as documented:\n${bad.map((b) => `- ${b}`).join("\n")}`);
  for (const r of results) {
    for (const [what, list] of Object.entries(r.newFds ?? {})) {
      if (list.length) console.log(`\n${r.runtime}: fds open after the ${what} that were not before: ${list.join(" ")}`);
    }
  }
}

function readme(args: string[]): void {
  const [jsonPath, readmePath] = args;
  if (!jsonPath || !readmePath) throw new Error("readme needs OUT.json README.md");
  const m = JSON.parse(readFileSync(jsonPath, "utf8")) as { generated: string; runtimes: RuntimeResult[] };
  writeSection(readmePath, "soak", [
    `Run of ${m.generated.slice(0, 10)} on ${machine()} (\`scripts/soak.sh\`, results in \`bench/results/soak.json\`):`,
    "",
    table(m.runtimes),
  ].join("\n"));
  process.stderr.write(`soak: results written into ${readmePath}\n`);
}

// The runtime's arguments after the script: process.argv on all three (Deno's node compat too).
const argv = process.argv.slice(2);
if (argv[0] === "run") await runAll(argv.slice(1));
else if (argv[0] === "report") report(argv.slice(1));
else if (argv[0] === "readme") readme(argv.slice(1));
else {
  process.stderr.write(
    "usage: soak.ts run --out FILE [--spawns N] [--inflight N] [--warmup N] [--live N] | report OUT.json IN.json... | readme OUT.json README.md\n",
  );
  process.exit(2);
}
// Deno keeps the process up for the reactor channel of a finished run.
process.exit(0);
