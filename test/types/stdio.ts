// Type-level tests of stdio: the shorthand, files, merges, extra pipes.
// `tsc -p .` checks this file; nothing runs it.
import { type ExtraPipe, type FileOption, type Options, run, spawn } from "../../src/index.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const expect = <T extends true>(_: T) => {};

export async function checks(shared: Options) {
  // The shorthand, on spawn and run, also in a shared options object.
  spawn("ls", { stdio: "inherit" });
  await run("ls", [], { stdio: "ignore", input: "x" });
  const o: Options = { ...shared, stdio: "pipe" };
  void o;
  // @ts-expect-error only "pipe", "inherit" or "ignore" as a shorthand
  spawn("ls", { stdio: "all" });

  // Files on every fd; stdin's is read-only, but its object type is the same.
  const log: FileOption = { file: "build.log", append: true, mode: 0o640 };
  await run("make", { stdout: log, stderr: { file: "err.log" }, stdin: { file: "in.txt" } });
  spawn("sh", { stdio: ["ignore", "pipe", "pipe", { file: "fd3" }] });
  // @ts-expect-error the path is `file`
  spawn("ls", { stdout: { path: "x" } });
  // @ts-expect-error append is a boolean
  spawn("ls", { stdout: { file: "x", append: "yes" } });

  // Merges: stderr into stdout, stdout into stderr, any fd into another.
  await run("sh", { stderr: "stdout" });
  await run("sh", { stdout: "stderr" });
  spawn("sh", { stdio: ["ignore", "pipe", { child: 1 }, { child: 2 }] });
  // @ts-expect-error stdin is not a merge target by name (use stdio[0] = { child: n })
  spawn("sh", { stdin: "stdout" });
  // @ts-expect-error stderr: "stderr" is itself
  spawn("sh", { stderr: "stderr" });

  // Extra pipes: subprocess.stdio[n] is a readable/writable pair or null.
  const p = spawn("sh", { stdio: ["ignore", "pipe", "inherit", "pipe"] });
  const extra = p.stdio[3];
  expect<Equal<typeof extra, ExtraPipe | null | undefined>>(true);
  expect<Equal<typeof p.stdio[0], WritableStream<Uint8Array> | null>>(true);
  expect<Equal<typeof p.stdio[1], ReadableStream<Uint8Array> | null>>(true);
  const readable: ReadableStream<Uint8Array> | undefined = extra?.readable;
  const writable: WritableStream<Uint8Array> | undefined = extra?.writable;
  void readable;
  void writable;
}
void expect;
