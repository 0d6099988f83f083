/**
 * The cost of the bindings themselves on this runtime, measured in one run:
 * - ns per native call (a no-op and a failing syscall), and the same
 *   syscall through the runtime's own API for scale;
 * - wake-up round trip: a byte written to `cat`'s stdin until the echoed byte
 *   reaches the JS handler, through aspawn (reactor -> notify pipe -> native
 *   wake) and through the runtime's own child API, p50/p99.
 * Run: bun bench/ffi/calls.ts | deno run -A bench/ffi/calls.ts | node (bundled).
 */
import { closeSync } from "node:fs";
import { spawn as nodeSpawn } from "node:child_process";
import { loadNative } from "../../src/ffi/load.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { spawn } from "../../src/index.ts";

const native = loadNative();

function nsPerCall(fn: () => void, n: number): number {
  for (let i = 0; i < 1000; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1e6) / n;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function aspawnRoundTrips(n: number): Promise<number[]> {
  const p = spawn("cat", [], { stdin: "pipe" });
  const w = p.stdin!.getWriter(), r = p.stdout!.getReader();
  const byte = new Uint8Array([120]);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await w.write(byte);
    await r.read();
    out.push((performance.now() - t0) * 1000);
  }
  await w.close();
  await p.exited;
  return out;
}

async function nativeRoundTrips(n: number): Promise<number[]> {
  // node:child_process exists on all three runtimes; it is each runtime's
  // own pipe machinery underneath.
  const c = nodeSpawn("cat", [], { stdio: ["pipe", "pipe", "ignore"] });
  const out: number[] = [];
  let wake: (() => void) | undefined;
  c.stdout!.on("data", () => wake?.());
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      wake = resolve;
      c.stdin!.write("x");
    });
    out.push((performance.now() - t0) * 1000);
  }
  c.stdin!.end();
  await new Promise((r) => c.on("close", r));
  return out;
}

const N = 1_000_000;
const result = {
  runtime,
  noopCallNs: nsPerCall(() => native.asp_version(), N),
  syscallCallNs: nsPerCall(() => native.asp_close(-1), N / 4),
  runtimeSyscallNs: nsPerCall(() => {
    try {
      closeSync(-1);
    } catch { /* EBADF */ }
  }, N / 4),
  roundTripUs: {} as Record<string, { p50: number; p99: number }>,
};
for (const [name, fn] of [["aspawn", aspawnRoundTrips], ["native", nativeRoundTrips]] as const) {
  const xs = await fn(2000);
  result.roundTripUs[name] = { p50: pct(xs, 50), p99: pct(xs, 99) };
}
console.log(JSON.stringify(result));
