/**
 * What aspawn/register does for code written against node:child_process
 * (scripts/bench-child-process.sh): a Node process holding 1 GiB and then
 * 4 GiB runs CALLS `execFile("true")` one
 * after another (and `execa("true")` when execa is installed), once with
 * the real module and once under `node --import aspawn/register`, in the
 * same run. The methods take turns in blocks of 10 calls. Per call: the
 * time the call itself holds the JS thread (performance.now() around the
 * synchronous call: that is the event loop blocked), and calls/s from
 * call to exit. In the same turns, the floor of that blocked time (see
 * floors()): the spawn syscalls by hand, plus the Node objects any drop-in
 * execFile() hands back. A setInterval(1)
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
import { EventEmitter } from "node:events";
import { Readable, Writable } from "node:stream";
import { spawnFloor } from "./ffi/floors.ts";
import { growTo } from "./heap.ts";
import { LoopMonitor } from "./loop-monitor.ts";
import { latency, rotate, type Latency } from "./stats.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
};
const quick = argv.includes("--quick");
const MiB = 1024 * 1024;
/** Calls of one method in a row, the methods taking turns (as bench/scenarios/spawn-call.ts). */
const BLOCK = 10;

/** `call` starts one; `done` once it completed. Only the synchronous part of `call` is timed. */
interface Method { name: string; floor?: boolean; call: (done: (e: unknown) => void) => void }

interface MethodResult { blocked: Latency; cpu: Latency; maxBlockedUs: number; callsPerS: number; maxGapMs: number; floor?: boolean }

interface ChildResult {
  fill: string;
  heapMiB: number;
  usedHeapMiB: number;
  rssMiB: number;
  methods: Record<string, MethodResult>;
}

/** Live objects on V8's heap: arrays of doubles (every page written), kept until exit. */
const held: number[][] = [];
function fillHeap(mib: number): void {
  const per = 16 * MiB / 8; // 16 MiB of doubles per array
  for (let i = 0; i < mib / 16; i++) held.push(new Array<number>(per).fill(i + 0.5));
}

/**
 * What any drop-in execFile() hands back, whatever spawns the child: an
 * EventEmitter with three stdio streams, the two readables decoding and
 * listened to, `close` and `error` listened to. Built alone, it is the
 * JavaScript part of the floor.
 */
function nodeObjects(): EventEmitter {
  const child = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const parts: unknown[] = [];
  child.stdin = new Writable({ write: (_c, _e, cb) => cb() });
  for (const name of ["stdout", "stderr"]) {
    const r = new Readable({ read() {} });
    r.setEncoding("utf8");
    r.on("data", (c) => parts.push(c));
    child[name] = r;
  }
  child.on("close", () => {});
  child.on("error", () => {});
  return child;
}

/**
 * The floors, timed in turn with the calls in this process (absent
 * without zig-out/lib/libbench-floor.so): the spawn syscalls by hand
 * (bench/c/floor.c) with the fds any execFile() makes — socketpairs for
 * stdin, stdout and stderr as libuv makes Node's, the status pipe, the
 * pidfd, 4 epoll registrations — and nodeObjects(), each timed after a
 * child ran, as a call of the loop is.
 */
function floors(): Method[] {
  let f: ReturnType<typeof spawnFloor>;
  try {
    f = spawnFloor(undefined, "sockets");
  } catch (e) {
    process.stderr.write(`child-process-block: no floors (${(e as Error).message})\n`);
    return [];
  }
  const reaped = (done: (e: unknown) => void) => queueMicrotask(() => {
    f.reap();
    done(null);
  });
  return [
    { name: "C floor", floor: true, call: (done) => (f.spawn(), reaped(done)) },
    { name: "C + objects", floor: true, call: (done) => (nodeObjects(), f.spawn(), reaped(done)) },
  ];
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
  methods.push(...floors());
  /** One call: [blocked ms, CPU ms during the synchronous part, ms until done]. */
  const one = (m: Method) => new Promise<[number, number, number]>((resolve, reject) => {
    const c = process.cpuUsage(), a = performance.now();
    const sync: number[] = [];
    m.call((e) => {
      const t = performance.now() - a;
      // After the timing below, also when done() came within the call.
      queueMicrotask(() => (e ? reject(e) : resolve([sync[0]!, sync[1]!, t])));
    });
    sync.push(performance.now() - a);
    const d = process.cpuUsage(c);
    sync.push((d.user + d.system) / 1000);
  });
  for (const m of methods) for (let k = 0; k < 5; k++) await one(m); // warm-up
  const blocked: number[][] = methods.map(() => []), cpu: number[][] = methods.map(() => []), total = methods.map(() => 0);
  const monitors = methods.map(() => new LoopMonitor());
  const order = methods.map((_, j) => j);
  for (let i = 0; i < calls; i += BLOCK) {
    for (const j of rotate(order, i / BLOCK)) {
      monitors[j]!.start();
      for (let k = 0; k < Math.min(BLOCK, calls - i); k++) {
        const [b, c, t] = await one(methods[j]!);
        blocked[j]!.push(b);
        cpu[j]!.push(c);
        total[j]! += t;
      }
      monitors[j]!.stop();
    }
  }
  const result: ChildResult = { fill, heapMiB, usedHeapMiB: 0, rssMiB: 0, methods: {} };
  methods.forEach((m, j) => {
    result.methods[m.name] = {
      blocked: latency(blocked[j]!),
      cpu: latency(cpu[j]!),
      maxBlockedUs: Math.max(...blocked[j]!) * 1000,
      callsPerS: blocked[j]!.length / (total[j]! / 1000),
      maxGapMs: Math.max(...monitors[j]!.gaps),
      ...(m.floor ? { floor: true } : {}),
    };
  });
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
  console.log("held               rss       module               method       blocked p50   p99        max        cpu p50    calls/s   loop max gap");
  for (const { fill, heap, mode, r } of rows) {
    for (const [name, m] of Object.entries(r.methods)) {
      console.log(
        `${`${heap} MiB ${fill}`.padEnd(18)} ${`${r.rssMiB.toFixed(0)} MiB`.padEnd(9)} ${mode.padEnd(20)} ${name.padEnd(12)} ` +
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
      if (!b || a.floor) continue;
      console.log(
        `  ${heap} MiB ${fill}, ${name}: blocked p50 ${(a.blocked.p50Us / b.blocked.p50Us).toFixed(1)}x less, cpu p50 ${(a.cpu.p50Us / b.cpu.p50Us).toFixed(1)}x less, ` +
          `calls/s ${(b.callsPerS / a.callsPerS).toFixed(2)}x, loop max gap ${(a.maxGapMs / b.maxGapMs).toFixed(1)}x less`,
      );
    }
  }
  floorReport(rows, fills, heaps);
}

/**
 * execFile() under aspawn/register against its floor, timed in turn in the
 * same process: the spawn syscalls by hand plus the Node objects any
 * drop-in hands back ("C + objects"), and the issue's targets (blocked p50
 * at most 60 us at 4 GiB, flat from 1 GiB to 4 GiB).
 */
function floorReport(rows: { fill: string; heap: number; mode: string; r: ChildResult }[], fills: string[], heaps: number[]): void {
  const ours = (fill: string, heap: number) => rows.find((x) => x.fill === fill && x.heap === heap && x.mode === "aspawn/register")!.r.methods;
  if (!ours(fills[0]!, heaps[0]!)["C + objects"]) return;
  console.log("\naspawn/register against its floor (same process, in turn): execFile blocked p50 / (C floor + Node objects) p50");
  for (const fill of fills) for (const heap of heaps) {
    const m = ours(fill, heap), e = m.execFile!.blocked.p50Us, c = m["C floor"]!.blocked.p50Us, f = m["C + objects"]!.blocked.p50Us;
    console.log(`  ${`${heap} MiB ${fill}`.padEnd(18)} execFile ${e.toFixed(0)} µs, C floor ${c.toFixed(0)} µs, C + objects ${f.toFixed(0)} µs: ${(e / f).toFixed(2)}x the floor`);
  }
  const top = Math.max(...heaps), low = Math.min(...heaps);
  for (const fill of fills) {
    const e = ours(fill, top).execFile!.blocked.p50Us, flat = e / ours(fill, low).execFile!.blocked.p50Us;
    console.log(`  target, ${fill}: blocked p50 at ${top} MiB <= 60 µs: ${e.toFixed(0)} µs ${e <= 60 ? "PASS" : "MISS"}; ` +
      `flat (${top} / ${low} MiB, 0.7..1.3): ${flat.toFixed(2)} ${flat >= 0.7 && flat <= 1.3 ? "PASS" : "MISS"}`);
  }
}

if (argv.includes("--child")) await child();
else parent();
