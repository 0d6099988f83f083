/**
 * Generated README sections: a block between <!-- NAME:start --> and
 * <!-- NAME:end --> is replaced whole, so results are never typed by hand
 * (bench/readme.ts, scripts/soak.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";

/** "2 × CPU model, 24 GiB, Linux 6.x" */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`;
}

export function writeSection(readmePath: string, name: string, body: string): void {
  const start = `<!-- ${name}:start -->`, end = `<!-- ${name}:end -->`;
  const text = readFileSync(readmePath, "utf8");
  const i = text.indexOf(start), j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${readmePath} has no ${start} ... ${end} section`);
  writeFileSync(readmePath, text.slice(0, i) + `${start}\n${body}\n${end}` + text.slice(j + end.length));
}
