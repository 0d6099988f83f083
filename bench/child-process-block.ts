/**
 * What aspawn/register does for code written against node:child_process
 * (scripts/bench-child-process.sh): a Node process holding 1 GiB and then
 * 4 GiB runs CALLS `execFile("true")` one
 * after another (and `execa("true")` when execa is installed), once with
 * the real module and once under `node --import aspawn/register`, in the
 * same run. Per call: the time the call itself holds the JS thread
 * (performance.now() around the synchronous call: that is the event loop
 * blocked), and calls/s from first call to last exit. A setInterval(1)
 * monitor records the longest gap between its ticks, the blocking as the
 * rest of the program sees it. On a loaded machine wall time counts the
 * time other processes had the core: the CPU time of the process during
 * the call (process.cpuUsage(), all threads, so an upper bound for the JS
 * thread's) is shown next to it.
 *
 *   node build/bench-child-process/child-process-block.mjs [--quick] [--register dist/register.js]
 *       [--heaps 1024,4096] [--fills objects,buffers] [--calls 200]
 * Each (fill, heap, module) is one fresh process (the same file with --child).
 *
 * Two ways to hold the memory (--fills): "objects", live arrays on V8's
 * heap, and "buffers", touched ArrayBuffers as the other benchmarks use
 * (bench/heap.ts). fork() costs far more for the second: measured here,
 * 4 GiB of V8 heap made a fork cost ~9 ms of CPU, 4 GiB of buffers ~115 ms.
 */
import { execFile, spawnSync } from "node:child_process";
import { growTo } from "./heap.ts";
import { LoopMonitor } from "./loop-monitor.ts";
import { latency, type Latency } from "./stats.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
};
const quick = argv.includes("--quick");
const MiB = 1024 * 1024;

interface Method { name: string; call: (done: (e: unknown) => void) => void }

interface ChildResult {
  fill: string;
  heapMiB: number;
  usedHeapMiB: number;
  rssMiB: number;
  methods: Record<string, { blocked: Latency; cpu: Latency; maxBlockedUs: number; callsPerS: number; maxGapMs: number }>;
}

/** Live objects on V8's heap: arrays of doubles (every page written), kept until exit. */
const held: number[][] = [];
function fillHeap(mib: number): void {
  const per = 16 * MiB / 8; // 16 MiB of doubles per array
  for (let i = 0; i < mib / 16; i++) held.push(new Array<number>(per).fill(i + 0.5));
}

async function child(): Promise<void> {
  const heapMiB = Number(opt("--heap", "1024")), calls = Number(opt("--calls", "200")), fill = opt("--fill", "objects");
  if (fill === "objects") fillHeap(heapMiB);
  else growTo(heapMiB * MiB);
  const methods: Method[] = [{ name: "execFile", call: (done) => void execFile("true", done) }];
  try {
    const { execa } = await import("execa" as string);
    methods.push({ name: "execa", call: (done) => void execa("true").then(() => done(null), done) });
  } catch {
    // not installed: execFile alone
  }
  const result: ChildResult = { fill, heapMiB, usedHeapMiB: 0, rssMiB: 0, methods: {} };
  for (const m of methods) {
    for (let k = 0; k < 5; k++) await new Promise((r) => m.call(r)); // warm-up
    const blocked: number[] = [], cpu: number[] = [];
    const mon = new LoopMonitor();
    mon.start();
    const start = performance.now();
    for (let k = 0; k < calls; k++) {
      await new Promise<void>((resolve, reject) => {
        const c = process.cpuUsage(), a = performance.now();
        m.call((e) => (e ? reject(e) : resolve()));
        blocked.push(performance.now() - a);
        const d = process.cpuUsage(c);
        cpu.push((d.user + d.system) / 1000);
      });
    }
    const ms = performance.now() - start;
    mon.stop();
    result.methods[m.name] = {
      blocked: latency(blocked),
      cpu: latency(cpu),
      maxBlockedUs: Math.max(...blocked) * 1000,
      callsPerS: calls / (ms / 1000),
      maxGapMs: Math.max(...mon.gaps),
    };
  }
  const mem = process.memoryUsage();
  result.usedHeapMiB = mem.heapUsed / MiB;
  result.rssMiB = mem.rss / MiB;
  held.length = 0;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function parent(): void {
  const heaps = opt("--heaps", "1024,4096").split(",").map(Number);
  const fills = opt("--fills", "objects,buffers").split(",");
  const calls = opt("--calls", quick ? "50" : "200");
  const register = opt("--register", "dist/register.js");
  const self = process.argv[1]!;
  const rows: { fill: string; heap: number; mode: string; r: ChildResult }[] = [];
  for (const fill of fills) for (const heap of heaps) {
    for (const mode of ["node:child_process", "aspawn/register"]) {
      process.stderr.write(`child-process-block: ${heap} MiB of ${fill}, ${mode}, ${calls} calls\n`);
      const flags = [`--max-old-space-size=${heap + 1024}`, ...(mode === "aspawn/register" ? ["--import", register] : [])];
      const r = spawnSync(process.execPath, [...flags, self, "--child", "--fill", fill, "--heap", String(heap), "--calls", calls], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) throw new Error(`the ${mode} child (${heap} MiB) exited ${r.status ?? r.signal}`);
      rows.push({ fill, heap, mode, r: JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult });
    }
  }
  const us = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)} ms` : `${n.toFixed(0)} µs`);
  console.log(`Node ${process.version}, ${calls} sequential calls of "true" per cell; blocked = wall time of the synchronous call (p50 / p99 / max), cpu = the process's CPU time during it (p50)`);
  console.log("held               rss       module               method    blocked p50   p99        max        cpu p50    calls/s   loop max gap");
  for (const { fill, heap, mode, r } of rows) {
    for (const [name, m] of Object.entries(r.methods)) {
      console.log(
        `${`${heap} MiB ${fill}`.padEnd(18)} ${`${r.rssMiB.toFixed(0)} MiB`.padEnd(9)} ${mode.padEnd(20)} ${name.padEnd(9)} ` +
          `${us(m.blocked.p50Us).padEnd(13)} ${us(m.blocked.p99Us).padEnd(10)} ${us(m.maxBlockedUs).padEnd(10)} ${us(m.cpu.p50Us).padEnd(10)} ` +
          `${m.callsPerS.toFixed(0).padEnd(9)} ${m.maxGapMs.toFixed(1)} ms`,
      );
    }
  }
  console.log("\nratios (node:child_process / aspawn/register):");
  for (const fill of fills) for (const heap of heaps) {
    const real = rows.find((x) => x.fill === fill && x.heap === heap && x.mode === "node:child_process")!.r;
    const ours = rows.find((x) => x.fill === fill && x.heap === heap && x.mode === "aspawn/register")!.r;
    for (const name of Object.keys(real.methods)) {
      const a = real.methods[name]!, b = ours.methods[name];
      if (!b) continue;
      console.log(
        `  ${heap} MiB ${fill}, ${name}: blocked p50 ${(a.blocked.p50Us / b.blocked.p50Us).toFixed(1)}x less, cpu p50 ${(a.cpu.p50Us / b.cpu.p50Us).toFixed(1)}x less, ` +
          `calls/s ${(b.callsPerS / a.callsPerS).toFixed(2)}x, loop max gap ${(a.maxGapMs / b.maxGapMs).toFixed(1)}x less`,
      );
    }
  }
}

if (argv.includes("--child")) await child();
else parent();
