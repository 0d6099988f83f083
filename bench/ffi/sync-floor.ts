/**
 * bench/c/sync_jobs.c's floor of a blocking run (zig-out/lib/libbench-floor.so,
 * `zig build bench-c`), loaded into this process through the runtime's own
 * FFI: bench/sync.ts times it in turn with runSync, in the same process,
 * parent and minute.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { requireHere } from "../../src/ffi/runtime.ts";
import { runtime } from "../env.ts";

export const SYNC_FLOOR_LIBRARY = "zig-out/lib/libbench-floor.so";
/** The floor's method name in bench/sync.ts's results. */
export const FLOOR = "C floor";

type Run = (job: number) => number;

function open(path: string): Run {
  if (runtime === "bun") {
    const { dlopen, FFIType } = (import.meta as unknown as { require(id: string): any }).require("bun:ffi");
    return dlopen(path, { bench_sync_floor: { args: [FFIType.i32], returns: FFIType.i32 } }).symbols.bench_sync_floor;
  }
  if (runtime === "deno") {
    const d = (globalThis as unknown as { Deno: { dlopen(p: string, s: object): { symbols: Record<string, Run> } } }).Deno;
    return d.dlopen(path, { bench_sync_floor: { parameters: ["i32"], result: "i32" } }).symbols.bench_sync_floor!;
  }
  return requireHere()("koffi").load(path).func("bench_sync_floor", "int32_t", ["int32_t"]);
}

/** `true` (echo false) or `echo hello` run by the floor; throws if it failed. */
export function syncFloor(path = SYNC_FLOOR_LIBRARY): (echo: boolean) => string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${abs} is missing: build it with scripts/zig build bench-c`);
  const run = open(abs);
  return (echo) => {
    if (run(echo ? 1 : 0) !== 0) throw new Error(`the C floor failed (${echo ? "echo hello" : "true"})`);
    return echo ? "hello\n" : ""; // checked in C
  };
}
