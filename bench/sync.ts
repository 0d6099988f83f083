/**
 * The blocking-run benchmark of one runtime (scripts/bench-sync.sh): how
 * long the JS thread is blocked by runSync("true") and runSync("echo",
 * ["hello"]) next to this runtime's own blocking APIs — Node's
 * child_process.execFileSync and spawnSync, Bun.spawnSync, Deno's
 * Command.outputSync — and the C floor (bench/ffi/floors.ts), in the
 * same process, taking turns (runSync and the floor call by call, the
 * others in blocks, each with its share of the time budget: the slow ones
 * stop early, the rest go on to their full count), in
 * a parent with a 100 MiB and then a 4 GiB touched heap. Each call blocks
 * for all of its time, so performance.now() around it is the blocked time.
 *
 *   <runtime> bench/sync.ts [--quick] [--out build/bench-sync/<runtime>.json]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { runSync } from "../src/index.ts";
import { args, rss, runtime, runtimeVersion } from "./env.ts";
import { bun, deno } from "./globals.ts";
import { growTo, release } from "./heap.ts";
import { leftovers, openFds } from "./leftovers.ts";
import { progress, progressDone } from "./progress.ts";
import { latency, type Latency, rotate } from "./stats.ts";
import { FLOOR, syncFloor } from "./ffi/floors.ts";

const MiB = 1024 * 1024, GiB = 1024 * MiB;
const quick = args.includes("--quick");
const i = args.indexOf("--out");
const out = i >= 0 && args[i + 1] ? args[i + 1]! : `build/bench-sync/${runtime}.json`;
const heaps = [{ label: "100MiB", bytes: 100 * MiB }, { label: "4GiB", bytes: 4 * GiB }];
const SAMPLES = quick ? 100 : 2000, BUDGET_MS = quick ? 4000 : 40000, BLOCK = 10, WARMUP = 10;

/** A blocking run that must give `hello\n` (echo) or nothing (true). */
type Method = { name: string; run: (echo: boolean) => string };

const text = (b: Uint8Array | string) => (typeof b === "string" ? b : new TextDecoder().decode(b));
const argv = (echo: boolean): [string, string[]] => (echo ? ["echo", ["hello"]] : ["true", []]);

// The floor (bench/c/sync_jobs.c) takes its turns with the others, in this process.
const methods: Method[] = [{ name: FLOOR, run: syncFloor() }, { name: "runSync", run: (e) => runSync(...argv(e)).stdout }];
const PAIRED = new Set([FLOOR, "runSync"]);
if (bun) methods.push({ name: "Bun.spawnSync", run: (e) => text(bun!.spawnSync(argv(e).flat(), { stdout: "pipe", stderr: "pipe" }).stdout) });
else if (deno) {
  methods.push({ name: "Deno.Command.outputSync", run: (e) => text(new deno!.Command(argv(e)[0], { args: argv(e)[1] }).outputSync().stdout) });
} else {
  methods.push({ name: "execFileSync", run: (e) => text(execFileSync(...argv(e))) });
  methods.push({ name: "spawnSync", run: (e) => text(spawnSync(...argv(e)).stdout) });
}

export interface SyncHeapResult {
  label: string;
  rssBytes: number;
  /** "<method> true" and "<method> echo" */
  methods: Record<string, Latency>;
}

for (const m of methods) for (const e of [false, true]) for (let k = 0; k < WARMUP; k++) m.run(e);
const fdsStart = openFds();
const t0 = performance.now();
const results: SyncHeapResult[] = [];
for (const heap of heaps) {
  progress(`blocking runs: touching a ${heap.label} parent`, true);
  growTo(heap.bytes);
  const cells = methods.flatMap((m) => [false, true].map((echo) => ({ m, echo, ms: [] as number[], spent: 0 })));
  // Each cell has its share of the time budget: a slow one (execFileSync
  // forking a 4 GiB parent, 140 ms a call) stops taking turns when its
  // share is spent, and the others go on to their full count, rather than
  // all of them stopping after a few rounds with ~50 samples each.
  const share = BUDGET_MS / cells.length;
  type Cell = (typeof cells)[number];
  const more = (c: Cell) => c.ms.length < SAMPLES && (c.ms.length < 2 * BLOCK || c.spent < share);
  const time = (c: Cell) => {
    const a = performance.now();
    const got = c.m.run(c.echo);
    const ms = performance.now() - a;
    c.ms.push(ms);
    c.spent += ms;
    if (got !== (c.echo ? "hello\n" : "")) throw new Error(`${c.m.name}: unexpected output ${JSON.stringify(got)}`);
  };
  // The target's pair, runSync and its floor, take turns call by call (the
  // first of each pair alternating by round), so that drift in the host
  // (the other core's load, the CPU the child lands on) falls on both
  // alike; in blocks, the p50 ratio moved by +-0.05 from run to run. Each
  // first runs once untimed after the other methods' blocks: after a fork
  // (execFileSync) the parent's pages are write-protected, and the first
  // call to touch them pays the copy-on-write faults.
  const pairs = [false, true].map((echo) => cells.filter((c) => c.echo === echo && PAIRED.has(c.m.name)));
  const others = cells.filter((c) => !PAIRED.has(c.m.name));
  for (let round = 0; cells.some(more); round++) {
    for (const pair of rotate(pairs, round)) {
      if (!pair.some(more)) continue;
      for (const c of pair) if (more(c)) c.m.run(c.echo);
      const order = round % 2 ? [...pair].reverse() : pair;
      for (let k = 0; k < BLOCK; k++) for (const c of order) if (more(c)) time(c);
    }
    for (const c of rotate(others, round)) {
      if (!more(c)) continue;
      for (let k = 0; k < BLOCK; k++) time(c);
    }
    progress(`blocking runs, ${heap.label} parent: round ${round + 1}, ${Math.min(...cells.map((c) => c.ms.length))}-${Math.max(...cells.map((c) => c.ms.length))} samples`);
  }
  const summary: Record<string, Latency> = {};
  for (const c of cells) summary[`${c.m.name} ${c.echo ? "echo" : "true"}`] = latency(c.ms);
  results.push({ label: heap.label, rssBytes: rss(), methods: summary });
}
release();
const result = {
  runtime,
  version: runtimeVersion,
  quick,
  seconds: (performance.now() - t0) / 1000,
  heaps: results,
  end: leftovers(fdsStart),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
progressDone();
progress(`done in ${result.seconds.toFixed(1)} s, wrote ${out}`, true);
process.exit(0);
