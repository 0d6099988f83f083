/**
 * Workers (issue 17), on each runtime: scripts/bench-worker.sh (or, on one
 *   runtime: bun bench/worker.ts · deno run -A --no-check bench/worker.ts ·
 *   Node: an esbuild bundle of it written into dist/, where a bundle finds
 *   dist/worker-host.js)
 * - call round trip p50/p99 and sequential calls/s of a trivial function:
 *   an aspawn worker vs the runtime's own IPC (Node fork + process.send,
 *   Bun spawn({ ipc }); Deno has none: a deno process per call), and the
 *   physical floor in the same run: two C processes passing a message back
 *   and forth over a socketpair, each woken by epoll (bench/c/channel_floor.c,
 *   zig-out/bin/bench-c-channel from `scripts/zig build bench-c`);
 * - calls/s with 32 calls kept in flight, aspawn vs the same IPC;
 * - the first call of a warm pool (min: 1) vs a worker started for the call;
 * - a 64 MiB Uint8Array round trip.
 * Figures from a loaded shared machine are indicative only.
 */
import { fork } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { pool, run, worker } from "../src/index.ts";
import { runtime } from "../src/ffi/runtime.ts";
import { runtimeVersion } from "./env.ts";

declare const Bun: { spawn(cmd: string[], o: { ipc(m: unknown): void; stdio: string[] }): { pid: number; send(m: unknown): void; kill(): void } };

const N = Number(process.env.N ?? 2000);
const dir = mkdtempSync(`${tmpdir()}/aspawn-bench-`);
const mod = `${dir}/echo.mjs`;
writeFileSync(mod, "export const echo = (v) => v;\n");
const child = `${dir}/ipc-child.mjs`;
writeFileSync(child, "process.on('message', (m) => process.send(m));\n");

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
function report(name: string, times: number[], total: number) {
  console.log(`${name.padEnd(44)} p50 ${q(times, 0.5).toFixed(3)} ms  p99 ${q(times, 0.99).toFixed(3)} ms  ${(times.length / (total / 1000)).toFixed(0)} calls/s`);
}
interface Rounds {
  p50: number;
  perSecond: number;
}

/**
 * p50/p99 of `n` calls one at a time, after as many again: on Node the
 * first few thousand calls of either side (ours or the runtime's IPC) run
 * while TurboFan compiles their path on a background thread, which on two
 * cores takes the CPU from one of the two processes (measured: p50 79 us
 * and 2 ms p99 over calls 50-2050, 41-50 us and 0.45 ms after 2 000-5 000).
 */
async function rounds(name: string, n: number, once: () => Promise<unknown>): Promise<Rounds> {
  for (let i = 0; i < n; i++) await once(); // warm
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  report(name, times, total);
  return { p50: q(times, 0.5), perSecond: times.length / (total / 1000) };
}

/**
 * CPU time of every thread of a process, in ns (/proc/PID/task/TID/schedstat:
 * exact, where utime/stime count 10 ms ticks): what a call costs, which a
 * noisy host's wall clock hides.
 */
function cpuNs(pid: number | "self"): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns;
}

/**
 * Calls per second with `k` kept in flight, over `n` calls after as many
 * again to warm up (the JIT compiles this pattern's path on both sides: in
 * a run of a few thousand calls that compiling is most of what is timed);
 * and the CPU per call on each side.
 */
async function busy(name: string, n: number, k: number, peer: number, once: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const lanes = (count: number) => Promise.all(Array.from({ length: k }, async () => {
    while (started < count) {
      started++;
      await once();
    }
  }));
  await lanes(n);
  started = 0;
  const t0 = performance.now(), self0 = cpuNs("self"), peer0 = cpuNs(peer);
  await lanes(n);
  const perSecond = n / ((performance.now() - t0) / 1000);
  const us = (ns: number) => (ns / n / 1000).toFixed(1);
  console.log(`${name.padEnd(44)} ${perSecond.toFixed(0)} calls/s, CPU per call ${us(cpuNs("self") - self0)} us here + ${us(cpuNs(peer) - peer0)} us in the child`);
  return perSecond;
}

/** The C floor of a round trip, or undefined when bench-c-channel is not built. */
async function floor(n: number): Promise<Rounds | undefined> {
  const bin = new URL("../zig-out/bin/bench-c-channel", import.meta.url).pathname;
  if (!existsSync(bin)) return undefined;
  const f = JSON.parse((await run(bin, [String(n)])).stdout) as { p50Us: number; p99Us: number; perSecond: number };
  console.log(`${"C floor: socketpair + epoll, 2 processes".padEnd(44)} p50 ${(f.p50Us / 1000).toFixed(3)} ms  p99 ${(f.p99Us / 1000).toFixed(3)} ms  ${f.perSecond.toFixed(0)} calls/s`);
  return { p50: f.p50Us / 1000, perSecond: f.perSecond };
}

const ratio = (x: number, y: number) => (x / y).toFixed(2);

console.log(`# ${runtime} ${runtimeVersion}, ${N} calls`);
const w = worker(mod);
const ours = await rounds("aspawn worker.call(echo, [i])", N, () => w.call("echo", [1]));
let ipc: Rounds | undefined;
/** The runtime's IPC as a call: the child echoes in order, so answers settle the oldest send. */
let ipcCall: (() => Promise<unknown>) | undefined;
let ipcPid = 0;
let ipcEnd = () => {};

if (runtime === "node") {
  const c = fork(child, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiting: (() => void)[] = [];
  c.on("message", () => waiting.shift()?.());
  ipcCall = () => new Promise<void>((r) => (waiting.push(r), c.send(1)));
  ipc = await rounds("node fork + process.send", N, ipcCall);
  ipcPid = c.pid!;
  ipcEnd = () => c.kill();
} else if (runtime === "bun") {
  const waiting: (() => void)[] = [];
  const c = Bun.spawn([process.execPath, child], { ipc: () => waiting.shift()?.(), stdio: ["ignore", "inherit", "inherit"] });
  ipcCall = () => new Promise<void>((r) => (waiting.push(r), c.send(1)));
  ipc = await rounds("bun spawn({ ipc }) + send", N, ipcCall);
  ipcPid = c.pid;
  ipcEnd = () => c.kill();
} else {
  ipc = await rounds("deno: a deno process per call", 5, () => run(process.execPath, ["eval", "console.log(1)"]));
}
// Throughput: calls kept in flight, as a server handing work to a worker does.
const oursBusy = await busy("aspawn worker.call, 32 in flight", N * 25, 32, w.pid, () => w.call("echo", [1]));
const ipcBusy = ipcCall ? await busy("runtime IPC, 32 in flight", N * 25, 32, ipcPid, ipcCall) : undefined;
ipcEnd();
const c = await floor(N);
console.log(`targets: round trip p50 / runtime IPC ${ratio(ours.p50, ipc.p50)} (<= 0.70), calls/s / runtime IPC ${ratio(ours.perSecond, ipc.perSecond)} one at a time` +
  `${ipcBusy ? `, ${ratio(oursBusy, ipcBusy)} with 32 in flight` : ""} (>= 1.50)`);
if (c) {
  console.log(`  p50 / C floor: aspawn ${ratio(ours.p50, c.p50)}, runtime IPC ${ratio(ipc.p50, c.p50)}; ` +
    `0.70 x runtime IPC is ${ratio(0.7 * ipc.p50, c.p50)} x the floor`);
}

// First call: a warm pool vs a runtime started for the call.
const firstWarm: number[] = [], cold: number[] = [];
for (let i = 0; i < 5; i++) {
  const p = pool(mod, { size: 1, min: 1 });
  await new Promise((r) => setTimeout(r, 1500)); // let it load
  let t = performance.now();
  await p.call("echo", [1]);
  firstWarm.push(performance.now() - t);
  await p.close();
  t = performance.now();
  const c = worker(mod);
  await c.call("echo", [1]);
  cold.push(performance.now() - t);
  await c.close();
}
report("first call, warm pool (min: 1)", firstWarm, firstWarm.reduce((a, b) => a + b));
report("first call, worker started for it", cold, cold.reduce((a, b) => a + b));

const big = new Uint8Array(64 << 20).fill(7);
const bigTimes: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await w.call("echo", [big]);
  bigTimes.push(performance.now() - t);
}
console.log(`64 MiB Uint8Array round trip: ${bigTimes.map((t) => t.toFixed(0)).join(", ")} ms`);
await w.close();
process.exit(0);
