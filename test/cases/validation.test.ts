// Bad input is a TypeError thrown synchronously (run(): a rejection),
// before anything is spawned: each entry of test/bad-input.ts that says so.
import { assert, test } from "../adapter.ts";
import { run, spawn } from "../../src/index.ts";
import { badInputs } from "../bad-input.ts";
import { checkBad } from "../bad-input-check.ts";
import { openFds } from "../fds.ts";

for (const c of badInputs) {
  // Entries that need files or children made for them, or that start
  // children, are judged together in hardening.test.ts; SpawnErrors come
  // from the child, not from validation.
  if (c.error !== "TypeError" || "withContext" in c || c.startsChildren) continue;
  test(`validation: ${c.name}`, async () => {
    const before = openFds();
    const problem = await checkBad(c);
    assert.equal(problem, null, problem ?? "");
    assert.equal(openFds(), before, "nothing was opened");
  });
}

test("validation: run() rejects with the same TypeErrors", async () => {
  await assert.rejects(run("true", [1 as never]), TypeError);
  await assert.rejects(run("true", [], { input: 5 as never }), /^TypeError: input must be a string, a Uint8Array .* got 5$/);
  await assert.rejects(run("true", [], { encoding: "latin1" as never }), /encoding/);
});

test("validation: kill() with an unknown signal throws", async () => {
  const p = spawn("sleep", ["10"]);
  assert.throws(() => p.kill("SIGWHAT" as never), TypeError);
  p.kill();
  await p.exited;
});
