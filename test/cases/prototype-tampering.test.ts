// The library's own API with a polluted Object.prototype: options count only
// as own properties (as node:child_process reads its own, see
// child-process-tampering.test.ts), and the library loads after the
// pollution (esbuild's and koffi's export helpers walk inherited keys).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { $, pipeline, run, runAll, runSync, spawn } from "../../src/index.ts";
import { env } from "../../src/ffi/runtime.ts";
import { assert, test } from "../adapter.ts";
import { runFixture } from "../fixtures.ts";

const proto = Object.prototype as Record<string, unknown>;

/** Each of these, inherited, would change what runs or how it ends (not
 * encoding, which Node's own streams read inherited: Node gives no guarantee). */
function polluted(marker: string): Record<string, unknown> {
  return {
    shell: `touch ${marker}`,
    cwd: "/not/existing/tampered",
    input: "tampered",
    stdin: "inherit",
    stdout: "inherit",
    timeout: 1,
    maxBuffer: 1,
    reject: "tampered",
    all: "tampered",
    argv0: "tampered",
    env: { TAMPERED: "1" },
    lines: true,
    concurrency: 0,
  };
}

/** Calls fn with Object.prototype polluted; fn's reads of options are synchronous. */
function tampered<T>(marker: string, fn: () => T): T {
  const keys = polluted(marker);
  for (const [k, v] of Object.entries(keys)) proto[k] = v;
  try {
    return fn();
  } finally {
    for (const k of Object.keys(keys)) delete proto[k];
  }
}

test("a polluted Object.prototype changes no option of run, runSync, spawn, $, runAll, pipeline", async () => {
  runSync("true"); // the library loaded before the pollution (loading after it: the fixture below)
  const dir = mkdtempSync(`${tmpdir()}/aspawn-proto-`);
  const marker = `${dir}/marker`;
  const started = tampered(marker, () => ({
    sync: runSync("sh", ["-c", 'pwd; echo "$TAMPERED"; cat']),
    run: run("sh", ["-c", 'pwd; echo "$0"; cat']),
    spawned: spawn("pwd", { stdout: "pipe" }),
    dollar: $`echo ${"a b"}`,
    batch: runAll([["echo", ["batch"]]]),
    piped: pipeline([["echo", ["piped"]], ["cat", [], { stdout: "pipe" }]]),
  }));
  const cwd = process.cwd();
  assert.equal(started.sync.stdout, `${cwd}\n\n`);
  const r = await started.run;
  assert.equal(r.stdout, `${cwd}\nsh\n`);
  assert.equal(r.all, undefined);
  assert.equal(await new Response(started.spawned.stdout).text(), `${cwd}\n`);
  assert.equal((await started.dollar).stdout, "a b\n");
  assert.deepEqual((await started.batch.all()).map((x) => x.stdout), ["batch\n"]);
  assert.equal(await new Response(started.piped.stdout).text(), "piped\n");
  const ran = existsSync(marker);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(ran, false, "an inherited shell ran");
});

test("the library loads and runs on its native backend after Object.prototype was polluted", async () => {
  const r = await runFixture("polluted-load", [], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const reason = env("ASPAWN_BACKEND") === "portable" ? "ASPAWN_BACKEND=portable" : null;
  assert.deepEqual(JSON.parse(r.stdout), { reason, run: "run\n", runSync: "sync\n", spawn: "spawn\n", exit: 0 });
});
