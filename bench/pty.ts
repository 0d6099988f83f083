/**
 * Pseudo-terminals: aspawn's `pty` next to @lydell/node-pty (node-pty's
 * prebuilt builds), same run, same programs:
 *   - throughput: 64 MiB a program writes to a raw terminal, until the last byte is read;
 *   - keystroke-to-echo latency: one byte written to `cat`'s terminal until its echo is read
 *     (the echo is the kernel's line discipline: this is the write and read path of each library);
 *   - spawn(): the caller's blocked time, and spawn-to-exit of `true`, with `pty` and without.
 * Medians (p90): figures for a loaded machine. Standalone, not part of `npm run bench`
 * (PTY_BENCH_ONLY=throughput|echo|spawn runs one section, PTY_BENCH_ROUNDS scales them):
 *
 *   npm install --prefix /tmp/ptybench @lydell/node-pty   # never in the repo's node_modules
 *   NODE_PTY=/tmp/ptybench/node_modules/@lydell/node-pty bun bench/pty.ts
 *   esbuild bench/pty.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=build/pty-bench.mjs && NODE_PTY=… node build/pty-bench.mjs
 */
import { createRequire } from "node:module";
import { spawn } from "../src/index.ts";

const MiB = 1 << 20;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const dist = (xs: number[], unit: string, digits = 1) =>
  `p50 ${quantile(xs, 0.5).toFixed(digits)} ${unit}  p90 ${quantile(xs, 0.9).toFixed(digits)} ${unit}  (n=${xs.length})`;
const line = (name: string, text: string) => console.log(`${name.padEnd(48)} ${text}`);
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "deno" : "node";
const rounds = Number(process.env.PTY_BENCH_ROUNDS ?? 5);
/** PTY_BENCH_ONLY=throughput|echo|spawn: one section. */
const only = process.env.PTY_BENCH_ONLY;
const runs = (section: string) => only === undefined || only === section;

interface NodePty {
  spawn(file: string, args: string[], o: { cols: number; rows: number; encoding?: string | null; env?: Record<string, string> }): {
    onData(fn: (d: Uint8Array | string) => void): void;
    onExit(fn: (e: { exitCode: number }) => void): void;
    write(d: string): void;
    kill(): void;
  };
}

function loadNodePty(): NodePty | string {
  try {
    const req = createRequire(import.meta.url);
    return req(process.env.NODE_PTY ?? "@lydell/node-pty") as NodePty;
  } catch (e) {
    return (e as Error).message.split("\n")[0]!;
  }
}

const bulk = (n: number) => ["-c", `stty raw -echo; head -c ${n} /dev/zero`];

async function aspawnThroughput(n: number): Promise<number> {
  const t0 = performance.now();
  const p = spawn("sh", bulk(n), { pty: true });
  let got = 0;
  for await (const chunk of p.stdout!) got += chunk.length;
  await p.exited;
  if (got !== n) throw new Error(`aspawn: ${got} of ${n} bytes`);
  return performance.now() - t0;
}

/** ms to the last byte, and the bytes that never came (node-pty can lose the tail at exit). */
function nodePtyThroughput(pty: NodePty, n: number): Promise<{ ms: number; lost: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = pty.spawn("sh", bulk(n), { cols: 80, rows: 24, encoding: null });
    let got = 0, last = t0;
    p.onData((d) => {
      got += d.length;
      last = performance.now();
    });
    // Data may come after the exit is reported: wait for it a while.
    p.onExit(() => setTimeout(() => resolve({ ms: last - t0, lost: n - got }), 1000));
  });
}

async function aspawnEcho(keys: number): Promise<number[]> {
  const p = spawn("cat", [], { pty: true });
  const reader = p.stdout!.getReader();
  const writer = p.stdin!.getWriter();
  const key = new Uint8Array([0x61]);
  const out: number[] = [];
  for (let i = 0; i < keys; i++) {
    const t0 = performance.now();
    await writer.write(key);
    const { value } = await reader.read();
    if (!value?.length) throw new Error("no echo");
    out.push((performance.now() - t0) * 1000);
  }
  p.kill("SIGKILL");
  await p.exited;
  reader.releaseLock();
  await p.stdout!.cancel().catch(() => {});
  return out;
}

/** The latencies, or a note when the echo stopped coming (node-pty on Bun). */
function nodePtyEcho(pty: NodePty, keys: number): Promise<number[] | string> {
  return new Promise((resolve) => {
    const p = pty.spawn("cat", [], { cols: 80, rows: 24, encoding: null });
    const out: number[] = [];
    let t0 = 0;
    let stall: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      t0 = performance.now();
      p.write("a");
      clearTimeout(stall);
      stall = setTimeout(() => {
        p.kill();
        resolve(`stalled: no echo for 5 s after ${out.length} of ${keys} keys`);
      }, 5000);
    };
    p.onData(() => {
      out.push((performance.now() - t0) * 1000);
      if (out.length < keys) next();
      else {
        clearTimeout(stall);
        p.kill();
        resolve(out);
      }
    });
    setTimeout(next, 100);
  });
}

interface Times { call: number[]; exit: number[] }

async function spawnOnce(pty: boolean, into: Times): Promise<void> {
  const t0 = performance.now();
  const p = spawn("true", [], pty ? { pty: true } : { stdout: "pipe" });
  const t1 = performance.now();
  await p.text(); // to the end (cancelling a terminal's stdout hangs it up)
  into.call.push((t1 - t0) * 1000);
  into.exit.push((performance.now() - t0) * 1000);
}

/**
 * With and without `pty`, taking turns in blocks of 10 (which goes first
 * alternates): a drift of this noisy host lands on both sides of the ratio.
 */
async function spawnTimes(n: number): Promise<{ plain: Times; pty: Times }> {
  const plain: Times = { call: [], exit: [] }, pty: Times = { call: [], exit: [] };
  for (let i = 0; i < n; i += 10) {
    const order: [boolean, Times][] = (i / 10) % 2 ? [[true, pty], [false, plain]] : [[false, plain], [true, pty]];
    for (const [on, into] of order) for (let k = 0; k < 10; k++) await spawnOnce(on, into);
  }
  return { plain, pty };
}

async function nodePtySpawnTimes(pty: NodePty, n: number): Promise<{ call: number[]; exit: number[] }> {
  const call: number[] = [], exit: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let t1 = 0;
    await new Promise<void>((resolve) => {
      const p = pty.spawn("true", [], { cols: 80, rows: 24 });
      t1 = performance.now();
      p.onExit(() => resolve());
    });
    call.push((t1 - t0) * 1000);
    exit.push((performance.now() - t0) * 1000);
  }
  return { call, exit };
}

const nodePty = loadNodePty();
const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const version = g.Bun?.version ?? g.Deno?.version.deno ?? process.version;
console.log(`# ${runtime} ${version}; node-pty: ${typeof nodePty === "string" ? `not loaded (${nodePty})` : "@lydell/node-pty"}; loaded 2-core machine`);

const size = 64 * MiB;
const mibs = (ms: number[]) => ms.map((t) => size / MiB / (t / 1000));
if (runs("throughput")) {
  // Taking turns, which goes first alternating.
  const a: number[] = [], rates: number[] = [], lost: number[] = [], ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let rate: number | undefined;
    const sides = [async () => void a.push(await aspawnThroughput(size)), async () => {
      if (typeof nodePty === "string") return;
      const r = await nodePtyThroughput(nodePty, size);
      if (r.lost < size) rates.push(rate = (size - r.lost) / MiB / (r.ms / 1000)); // of what arrived
      lost.push(r.lost);
    }];
    for (const side of i % 2 ? sides.reverse() : sides) await side();
    if (rate) ratios.push(mibs([a.at(-1)!])[0]! / rate);
  }
  line("throughput 64 MiB, aspawn pty", dist(mibs(a), "MiB/s", 0));
  if (typeof nodePty !== "string" && !rates.length) line("throughput 64 MiB, node-pty", `no byte arrived in ${lost.length} runs: node-pty does not work on this runtime`);
  if (rates.length) {
    line("throughput 64 MiB, node-pty", `${dist(rates, "MiB/s", 0)}  bytes lost per run: ${lost.join(", ")}`);
    const ratio = quantile(ratios, 0.5);
    line("throughput, aspawn / node-pty", `${ratio.toFixed(2)} median of ${ratios.length} rounds (${quantile(ratios, 0).toFixed(2)}..${quantile(ratios, 1).toFixed(2)}), pooled p50 ${(quantile(mibs(a), 0.5) / quantile(rates, 0.5)).toFixed(2)}  (target >= 1: ${ratio >= 1 ? "PASS" : "MISS"})`);
  }
}
if (runs("echo")) {
  // Taking turns, rounds x 60 keys each, which goes first alternating: a
  // drift of this noisy host lands on both sides.
  // The ratio is the median of the rounds' own ratios (each round's p50s,
  // taken minutes apart from the next round's at most).
  const keys = 60, ours: number[] = [], theirs: number[] = [], ratios: number[] = [];
  let stalled: string | undefined;
  for (let i = 0; i < rounds; i++) {
    let a: number[] = [], b: number[] = [];
    const sides = [async () => void (a = await aspawnEcho(keys)), async () => {
      if (typeof nodePty === "string" || stalled) return;
      const r = await nodePtyEcho(nodePty, keys);
      typeof r === "string" ? (stalled = r) : (b = r);
    }];
    for (const side of i % 2 ? sides.reverse() : sides) await side();
    ours.push(...a);
    theirs.push(...b);
    if (b.length) ratios.push(quantile(a, 0.5) / quantile(b, 0.5));
  }
  line("keystroke-to-echo, aspawn pty", dist(ours, "us"));
  if (typeof nodePty !== "string") line("keystroke-to-echo, node-pty", stalled ?? dist(theirs, "us"));
  if (ratios.length) {
    const ratio = quantile(ratios, 0.5);
    line("keystroke-to-echo p50, aspawn / node-pty", `${ratio.toFixed(2)} median of ${ratios.length} rounds (${quantile(ratios, 0).toFixed(2)}..${quantile(ratios, 1).toFixed(2)}), pooled ${(quantile(ours, 0.5) / quantile(theirs, 0.5)).toFixed(2)}  (target <= 1: ${ratio <= 1 ? "PASS" : "MISS"})`);
  }
}
if (runs("spawn")) {
  const n = 40 * rounds;
  await spawnTimes(20); // warm up
  const { plain, pty } = await spawnTimes(n);
  line("spawn() call, aspawn, stdout pipe", dist(plain.call, "us"));
  line("spawn() call, aspawn, pty", dist(pty.call, "us"));
  const ratio = quantile(pty.call, 0.5) / quantile(plain.call, 0.5);
  line("spawn() call p50, pty / stdout pipe", `${ratio.toFixed(2)}  (target <= 2: ${ratio <= 2 ? "PASS" : "MISS"})`);
  line("spawn to exit of true, aspawn, stdout pipe", dist(plain.exit, "us"));
  line("spawn to exit of true, aspawn, pty", dist(pty.exit, "us"));
  if (typeof nodePty !== "string") {
    const np = await nodePtySpawnTimes(nodePty, n);
    line("spawn() call, node-pty", dist(np.call, "us"));
    line("spawn to exit of true, node-pty", dist(np.exit, "us"));
  }
}
