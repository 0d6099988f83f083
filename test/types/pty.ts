// Type-level tests of `pty`: the option, Bun's "pty" slots, subprocess.pty.
// `tsc -p .` checks this file; nothing runs it.
import { type Pty, type PtyOptions, run, spawn } from "../../src/index.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const expect = <T extends true>(_: T) => {};

export async function checks() {
  const window: PtyOptions = { cols: 120, rows: 40, term: "xterm-256color" };
  const p = spawn("bash", ["-i"], { pty: window });
  spawn("bash", { pty: true, stderr: "pipe" });
  spawn("ls", { stdio: ["pty", "pty", "pipe"] });
  spawn("ls", { stdio: "pty" });
  await run("ls", ["--color=auto"], { stdout: "pty", stdin: "pty" });
  expect<Equal<typeof p.pty, Pty | null>>(true);
  p.pty?.resize(100, 30);
  expect<Equal<typeof p.pty extends null ? never : NonNullable<typeof p.pty>["size"], { cols: number; rows: number }>>(true);
  // @ts-expect-error Bun's width/height are cols/rows here
  spawn("bash", { pty: { width: 100 } });
  // @ts-expect-error a window, not a size string
  spawn("bash", { pty: "80x24" });
}
