// Type-level tests: `tsc -p .` checks this file; nothing runs it.
import { run, type RunOptions, type RunResult } from "../../src/index.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const expect = <T extends true>(_: T) => {};
void expect;

export async function checks(shared: RunOptions, encoding: "utf8" | "buffer") {
  // A shared options object typed RunOptions (was TS2769): its encoding is unknown.
  const a = await run("ls", ["-l"], shared);
  expect<Equal<typeof a, RunResult<string | Uint8Array>>>(true);
  const b = await run("ls", shared);
  expect<Equal<typeof b, RunResult<string | Uint8Array>>>(true);
  const c = await run("ls", [], { encoding });
  expect<Equal<typeof c, RunResult<string | Uint8Array>>>(true);
  // Literal encodings still narrow.
  const d = await run("ls", [], { encoding: "buffer" });
  expect<Equal<typeof d.stdout, Uint8Array>>(true);
  const e = await run("ls");
  expect<Equal<typeof e.stdout, string>>(true);
  const f = await run("echo $HOME", { shell: true, preferLocal: true });
  expect<Equal<typeof f.stdout, string>>(true);
}
