// The library's own API with a polluted Object.prototype: options count only
// as own properties (as node:child_process reads its own, see
// child-process-tampering.test.ts), and the library loads after the
// pollution (esbuild's and koffi's export helpers walk inherited keys).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { $, pipeline, run, runAll, runSync, spawn, worker } from "../../src/index.ts";
import { env, runtime } from "../../src/ffi/runtime.ts";
import { assert, nativeTest, test } from "../adapter.ts";
import { runFixture } from "../fixtures.ts";
import { fixtureFor } from "../worker-kinds.ts";

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
    file: `${marker}.file`,
    append: "tampered",
    cols: 7,
    group: true,
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
  // $0: "sh" (Deno.Command, on the portable backend, gives the resolved path), never the inherited argv0.
  assert.match(r.stdout, new RegExp(`^${cwd}\n(/usr)?(/bin/)?sh\n$`));
  assert.equal(r.all, undefined);
  assert.equal(await new Response(started.spawned.stdout).text(), `${cwd}\n`);
  assert.equal((await started.dollar).stdout, "a b\n");
  assert.deepEqual((await started.batch.all()).map((x) => x.stdout), ["batch\n"]);
  assert.equal(await new Response(started.piped.stdout).text(), "piped\n");
  const ran = existsSync(marker) || existsSync(`${marker}.file`);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(ran, false, "an inherited shell ran");
});

nativeTest(["pty", "processGroup"], "a polluted Object.prototype changes no pty, kill, stdio or worker call option", async () => {
  runSync("true");
  const dir = mkdtempSync(`${tmpdir()}/aspawn-proto-`);
  const w = worker(await fixtureFor(runtime));
  assert.equal(await w.call("echo", [0]), 0); // loaded
  const started = tampered(`${dir}/marker`, () => ({
    size: run("stty", ["size"], { pty: { rows: 30 } }),
    // An inherited `timeout: 1` would kill the worker after 1 ms.
    call: w.call("later", ["slow enough", 50]),
    sleeper: spawn("sleep", ["30"], { processGroup: true }),
    // An inherited `file` made every plain stdio object a file.
    dup: run("sh", ["-c", "echo dup >&3"], { stdio: ["ignore", "pipe", "pipe", { child: 1 }] }),
  }));
  assert.equal((await started.dup).stdout, "dup\n");
  assert.equal((await started.size).stdout.trim(), "30 80");
  assert.equal(await started.call, "slow enough");
  // An inherited `group: true` is ignored: the child alone is signalled.
  tampered(`${dir}/marker`, () => started.sleeper.kill("SIGKILL", {}));
  assert.equal((await started.sleeper.exited).signal, "SIGKILL");
  await w.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test("the library loads and runs on its native backend after Object.prototype was polluted", async () => {
  const r = await runFixture("polluted-load", [], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const reason = env("ASPAWN_BACKEND") === "portable" ? "ASPAWN_BACKEND=portable" : null;
  assert.deepEqual(JSON.parse(r.stdout), { reason, run: "run\n", runSync: "sync\n", spawn: "spawn\n", exit: 0 });
});
