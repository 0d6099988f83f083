/** SpawnError says what failed on which path, and where it was called from. */
import { assert, runtimeName, test } from "../adapter.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { run, spawn, SpawnError } from "../../src/index.ts";

async function failure(p: Promise<unknown>): Promise<SpawnError> {
  const e = await p.then(() => assert.fail("resolved"), (e: unknown) => e);
  assert.ok(e instanceof SpawnError, String(e));
  return e;
}

test("errors: a failing chdir names the directory", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-cwd-`);
  try {
    writeFileSync(`${dir}/file`, "");
    const missing = await failure(run("true", { cwd: `${dir}/nope` }));
    assert.equal(missing.step, "chdir");
    assert.equal(missing.path, `${dir}/nope`);
    assert.equal(missing.message, `Command failed to start (ENOENT: cwd "${dir}/nope" does not exist, chdir): true`);
    const file = await failure(spawn("true", { cwd: `${dir}/file` }).exited);
    assert.equal(file.code, "ENOTDIR");
    assert.match(file.message, /cwd ".*\/file" is not a directory, chdir/);
    const enoent = await failure(run("/nonexistent-aspawn/prog"));
    assert.equal(enoent.path, "/nonexistent-aspawn/prog", "execve: the program, as Node's err.path");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("errors: a SpawnError's stack shows the caller of run(), text() and $", async () => {
  const r = await runFixture("call-site", [], { timeoutMs: 60_000 });
  const stacks = r.json as Record<string, string> | undefined;
  assert.ok(stacks, showFixture(r));
  for (const [fn, stack] of Object.entries(stacks!)) {
    assert.match(stack, /^SpawnError: Command failed to start/, `${fn}: ${stack}`);
    // Bun's async stack traces do not pass through a thenable ($ commands).
    if (fn === "userDollar" && runtimeName === "bun") continue;
    assert.match(stack, new RegExp(`at (async )?${fn} `), `${fn}: the caller is in the stack:\n${stack}`);
  }
});
