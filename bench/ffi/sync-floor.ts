/**
 * bench/c/sync_jobs.c's floor of a blocking run (zig-out/lib/libbench-floor.so,
 * `zig build bench-c`), loaded into this process through the library's own
 * binding of this runtime's FFI: bench/sync.ts times it in turn with
 * runSync, in the same process, parent and minute.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { openTable } from "../../src/ffi/load.ts";

export const SYNC_FLOOR_LIBRARY = "zig-out/lib/libbench-floor.so";
/** The floor's method name in bench/sync.ts's results. */
export const FLOOR = "C floor";

/** `true` (echo false) or `echo hello` run by the floor; throws if it failed. */
export function syncFloor(path = SYNC_FLOOR_LIBRARY): (echo: boolean) => string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${abs} is missing: build it with scripts/zig build bench-c`);
  const { bench_sync_floor } = openTable(abs, { bench_sync_floor: { args: ["i32"], result: "i32" } } as const);
  return (echo) => {
    if (bench_sync_floor(echo ? 1 : 0) !== 0) throw new Error(`the C floor failed (${echo ? "echo hello" : "true"})`);
    return echo ? "hello\n" : ""; // checked in C
  };
}
