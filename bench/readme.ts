/**
 * Writes the results of a full run into README.md, between the markers
 * <!-- bench:start --> and <!-- bench:end -->: the machine, the table and
 * the targets, all from bench/results/latest.json (never typed by hand).
 *   bun bench/readme.ts bench/results/latest.json README.md
 */
import { readFileSync } from "node:fs";
import { args } from "./env.ts";
import { machine, writeSection } from "./readme-section.ts";
import type { Merged } from "./results.ts";
import { table } from "./table.ts";

const [jsonPath, readmePath] = args;
if (!jsonPath || !readmePath) throw new Error("usage: readme.ts RESULTS.json README.md");
const m = JSON.parse(readFileSync(jsonPath, "utf8")) as Merged;
const runtimes = m.runtimes.map((r) => `${r.runtime} ${r.version}`).join(", ");
writeSection(readmePath, "bench", [
  `Run of ${m.generated.slice(0, 10)} (${m.quick ? "--quick" : "full"}) on ${machine()}; ${runtimes}. ` +
  "\"C floor\" is the same work done by C in the same run (bench/c), and the targets are ratios to it; " +
    "\"x\" is how many times better aspawn is than the runtime's own API in the same process.",
  "",
  "```",
  table(m.runtimes, m.cFloor, m.targets),
  "```",
].join("\n"));
console.error(`bench: results written into ${readmePath}`);
