// Issue 12, item 1: spawning with the inherited environment while another
// thread changes it crashed the process (SIGSEGV: the library walked an
// array glibc's setenv had freed) or gave a child a torn environment.
import { assert, test } from "../adapter.ts";
import { runFixture } from "../fixtures.ts";

test("env race: spawns while a Worker changes the environment neither crash nor see a torn environment", async () => {
  const r = await runFixture("env-race", {}, ["3000"]);
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.ok(out.spawns >= 8, r.stdout); // loaded machines: at least one batch
  assert.ok(out.changes > 100, r.stdout);
  assert.equal(out.errors, 0, r.stdout);
  assert.equal(out.wrong, 0, r.stdout);
}, 60000);
