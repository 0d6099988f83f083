/**
 * Merges the per-runtime results and the C floor into one JSON file and
 * prints the side-by-side table:
 *   bun bench/merge.ts OUT.json C-FLOOR.json RUNTIME.json...
 * A runtime whose file is missing (it failed) is left out, not faked.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { readCFloor } from "./c-floor.ts";
import { args } from "./env.ts";
import type { Merged, RuntimeResult } from "./results.ts";
import { table } from "./table.ts";
import { targets } from "./targets.ts";

const [out, cPath, ...inputs] = args;
if (!out || !cPath) throw new Error("usage: merge.ts OUT.json C-FLOOR.json RUNTIME.json...");
const cFloor = readCFloor(cPath);
const runtimes = inputs.filter((p) => existsSync(p)).map((p) => JSON.parse(readFileSync(p, "utf8")) as RuntimeResult);
if (runtimes.length === 0) throw new Error("no runtime results to merge");
// Recomputed against this C floor, so every runtime is judged by the same one.
for (const r of runtimes) r.targets = targets(r, cFloor);
const merged: Merged = {
  generated: new Date().toISOString(),
  quick: runtimes.every((r) => r.quick),
  cFloor,
  runtimes,
  targets: runtimes.flatMap((r) => r.targets),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(merged, null, 2) + "\n");
console.log(table(runtimes, cFloor, merged.targets));
console.log(`wrote ${out}`);
