/**
 * Writes the results of a full run into README.md, between the markers
 * <!-- bench:start --> and <!-- bench:end -->: the machine, the table and
 * the targets, all from bench/results/latest.json (never typed by hand).
 *   bun bench/readme.ts bench/results/latest.json README.md
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { args } from "./env.ts";
import type { Merged } from "./results.ts";
import { table } from "./table.ts";

const [jsonPath, readmePath] = args;
if (!jsonPath || !readmePath) throw new Error("usage: readme.ts RESULTS.json README.md");
const m = JSON.parse(readFileSync(jsonPath, "utf8")) as Merged;
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
  `Linux ${release()}; ${m.runtimes.map((r) => `${r.runtime} ${r.version}`).join(", ")}`;
const block = [
  "<!-- bench:start -->",
  `Run of ${m.generated.slice(0, 10)} (${m.quick ? "--quick" : "full"}) on ${machine}. ` +
  "\"x\" is how many times better aspawn is than the runtime's own API in the same process.",
  "",
  "```",
  table(m.runtimes, m.cFloor, m.targets),
  "```",
  "<!-- bench:end -->",
].join("\n");
const readme = readFileSync(readmePath, "utf8");
const re = /<!-- bench:start -->[\s\S]*<!-- bench:end -->/;
if (!re.test(readme)) throw new Error(`${readmePath} has no <!-- bench:start --> ... <!-- bench:end --> section`);
writeFileSync(readmePath, readme.replace(re, block));
console.error(`bench: results written into ${readmePath}`);
