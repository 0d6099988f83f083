// Type-level tests: `tsc -p .` checks this file; nothing runs it.
import { $, type Command, ExitError, run, type RunOptions, type RunResult, runSync, type Signal, spawn } from "../../src/index.ts";

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

  // runSync(): run()'s overloads, without the Promise.
  const sa = runSync("ls", ["-l"], shared);
  expect<Equal<typeof sa, RunResult<string | Uint8Array>>>(true);
  const sb = runSync("ls", { encoding: "buffer" });
  expect<Equal<typeof sb.stdout, Uint8Array>>(true);
  const sc = runSync("ls");
  expect<Equal<typeof sc, RunResult<string>>>(true);
  // The child's pid (absent from the portable backend's runSync()).
  expect<Equal<typeof sc.pid, number | undefined>>(true);
  // @ts-expect-error runSync returns no Promise
  void runSync("ls").then;

  // $: strings, numbers, arrays of them; results like run()'s.
  const r = await $`echo ${"a"} ${1} ${[2, "b"]} ${10n}`;
  expect<Equal<typeof r, RunResult<string>>>(true);
  const bytes = await $({ encoding: "buffer" })`cat /etc/hostname`;
  expect<Equal<typeof bytes.stdout, Uint8Array>>(true);
  const cmd = $({ cwd: "/" })`ls`.nothrow().quiet();
  expect<Equal<typeof cmd, Command<string>>>(true);
  const t: string = await $`ls`.text();
  const l: string[] = await $`ls`.lines();
  const j = await $`echo 1`.json<number>();
  expect<Equal<typeof j, number>>(true);
  const piped = $`ls`.pipe($({ encoding: "buffer" })`cat`);
  expect<Equal<typeof piped, Command<Uint8Array>>>(true);
  const staged = $`ls`.pipe(["wc", ["-l"]]);
  expect<Equal<typeof staged, Command<string>>>(true);
  // A last stage's encoding says how the output is collected, as run()'s does.
  const stagedBytes = $`ls`.pipe(["cat", [], { encoding: "buffer" }]);
  expect<Equal<typeof stagedBytes, Command<Uint8Array>>>(true);
  void [t, l];

  // @ts-expect-error objects are not interpolated
  void $`echo ${{}}`;
  // @ts-expect-error undefined is not an argument
  void $`echo ${undefined}`;
  // @ts-expect-error a $ command never goes through a shell
  void $({ shell: true });

  // Signals: names of Linux, real-time offsets, numbers; a typo does not compile.
  const sigs: Signal[] = ["SIGTERM", "SIGRTMIN", "SIGRTMIN+3", "SIGRTMAX-1", 9];
  // @ts-expect-error a misspelt signal name
  const typo: Signal = "SIGKIL";
  spawn("sleep", ["1"], { killSignal: "SIGINT" }).kill(0);
  // @ts-expect-error killSignal is a Signal
  void spawn("true", { killSignal: "SIGKIL" });
  void [sigs, typo];

  // ExitError: stdout's type narrows by a typeof check or by naming it.
  try {
    await run("false");
  } catch (e) {
    if (e instanceof ExitError && typeof e.stdout === "string") {
      const s: string = e.stdout;
      void s;
    }
    const u = e as ExitError<Uint8Array>;
    expect<Equal<typeof u.stderr, Uint8Array>>(true);
  }
}
