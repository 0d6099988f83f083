/**
 * The side-by-side benchmark of one runtime: aspawn against the runtime's
 * own spawn API, in the same process, alternating.
 *
 *   <runtime> bench/main.ts [--quick] [--c-floor build/bench-c.json]
 *                           [--out build/bench/<runtime>.json] [--no-table]
 *
 * Node runs an esbuild bundle of it (scripts/bench.sh), with --expose-gc;
 * Deno with --v8-flags=--expose-gc. Paths are relative to the working
 * directory. Progress goes to stderr, the table to stdout.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { readCFloor } from "./c-floor.ts";
import { config } from "./config.ts";
import { args, collect, gcMethod, runtime, runtimeVersion } from "./env.ts";
import { launchers } from "./launchers/index.ts";
import { leftovers, openFds } from "./leftovers.ts";
import { deno } from "./globals.ts";
import { progress, progressDone } from "./progress.ts";
import type { RuntimeResult } from "./results.ts";
import { echo, ECHO } from "./scenarios/echo.ts";
import { growth } from "./scenarios/growth.ts";
import { live } from "./scenarios/live.ts";
import { pipe, WRITER } from "./scenarios/pipe.ts";
import { spawnCall } from "./scenarios/spawn-call.ts";
import { storm } from "./scenarios/storm.ts";
import { table } from "./table.ts";
import { targets } from "./targets.ts";

const option = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const cfg = config(args.includes("--quick"));
const out = option("--out", `build/bench/${runtime}.json`);
const cFloor = readCFloor(option("--c-floor", "build/bench-c.json"));

const t0 = performance.now();
const pair = await launchers();
// First use loads the library, starts the reactor and warms the JIT: none
// of it belongs to the first scenario's numbers, and the reactor's own
// fds (kept for the process's life) are not leaks.
for (let i = 0; i < 20; i++) for (const l of pair) await l.reap(l.spawnTrue());
// Deno's runtime opens a socketpair for signals (tokio's, kept for the
// process's life) the first time one is listened for: Deno.Command does
// when a child has not exited by its first poll, at a moment that varies.
// Opened now, it is not counted as left behind (it read as 2 sockets).
if (deno) {
  const none = () => {};
  deno.addSignalListener("SIGCHLD", none);
  deno.removeSignalListener("SIGCHLD", none);
}
const fdsStart = openFds();

// The spawn-call scenario grows the parent to GiBs: it runs last, so the
// others measure a small parent.
const stormResult = await storm(pair, cfg);
const pipeResult = await pipe(pair, cfg, cFloor?.stdout);
const echoResult = await echo(pair, cfg);
const liveResult = await live(pair, cfg);
const growthResult = await growth(pair[0], cfg);
const callResult = await spawnCall(pair, cfg);
collect();
await new Promise((r) => setTimeout(r, 100)); // let the last reaps land before counting
const partial = {
  runtime,
  version: runtimeVersion,
  nativeApi: pair[1].name,
  quick: cfg.quick,
  seconds: (performance.now() - t0) / 1000,
  call: callResult,
  storm: { ...stormResult, total: cfg.stormTotal, inflight: cfg.inflight },
  pipe: { ...pipeResult, bytes: cfg.pipeBytes, writer: `${WRITER} -c ${cfg.pipeBytes} /dev/zero` },
  echo: { ...echoResult, command: ECHO.join(" ") },
  live: { ...liveResult, children: cfg.liveChildren, reps: cfg.liveReps, gc: gcMethod, forcedGc: collect() },
  growth: growthResult,
  end: leftovers(fdsStart),
};
const result: RuntimeResult = { ...partial, targets: targets(partial, cFloor) };

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
progressDone();
progress(`done in ${result.seconds.toFixed(1)} s, wrote ${out}`, true);
if (!args.includes("--no-table")) console.log(table([result], cFloor, result.targets));
process.exit(0); // nothing may keep the runtime alive once the results are out
