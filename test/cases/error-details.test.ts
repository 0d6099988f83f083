/** SpawnError says what failed on which path, and where it was called from. */
import { assert, nativeTest, runtimeName, test } from "../adapter.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { ExitError, run, runSync, spawn, SpawnError } from "../../src/index.ts";
import { constants } from "node:os";
import { errnoCode } from "../../src/api/errno.ts";

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

nativeTest(["stdio files"], "errors: a { file } that cannot be opened is named, by run() and runSync() alike", async () => {
  const dir = mkdtempSync(`${tmpdir()}/aspawn-open-`);
  try {
    const missing = `${dir}/missing.txt`;
    const sync = (() => {
      try {
        runSync("cat", [], { stdin: { file: missing } });
      } catch (e) {
        return e;
      }
      assert.fail("runSync returned");
    })();
    for (const e of [await failure(run("cat", [], { stdin: { file: missing } })), sync]) {
      assert.ok(e instanceof SpawnError, String(e));
      assert.equal(e.step, "open stdin");
      assert.equal(e.path, missing);
      assert.equal(e.message, `Command failed to start (ENOENT: ${JSON.stringify(missing)}: no such file or directory, open stdin): cat`);
    }
    const out = (() => {
      try {
        runSync("true", [], { stdout: { file: `${dir}/nope/out.txt` }, cwd: dir });
      } catch (e) {
        return e as SpawnError;
      }
      assert.fail("runSync returned");
    })();
    assert.equal(out.path, `${dir}/nope/out.txt`);
    assert.equal(out.step, "open stdout");
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

test("errors: errno names, socket ones included (a stdio socket's ECONNRESET), agree with the OS's", () => {
  for (const code of ["EPIPE", "ECONNRESET", "ENOTCONN", "ECONNREFUSED", "EADDRINUSE", "ENOBUFS", "ENOTSOCK", "ENOTEMPTY", "EXDEV"]) {
    const n = (constants.errno as Record<string, number>)[code]!;
    assert.equal(errnoCode(n), code);
  }
});

test("errors: an ExitError's message ends with a tail of stderr, not all of it: one long line is cut to its last 4 KiB", async () => {
  // Before: a 1 MB line of stderr was the whole message (up to maxBuffer, 64 MiB).
  const script = "head -c 1000000 /dev/zero | tr '\\0' e >&2; echo >&2; echo last line >&2; exit 1";
  for (const e of [await run("sh", ["-c", script]).catch((x) => x), (() => { try { runSync("sh", ["-c", script]); } catch (x) { return x; } })()]) {
    assert.ok(e instanceof ExitError, String(e));
    assert.ok((e.stderr as string).length > 1000000, "stderr is kept whole");
    assert.ok(e.message.length < 4400, `message of ${e.message.length} characters`);
    assert.match(e.message, /^Command failed with exit code 1: sh -c .*\n(e+)\nlast line$/s);
  }
  // Cut inside a surrogate pair: no stray half.
  const r = await run("sh", ["-c", "printf '\\360\\237\\230\\200' >&2; printf 'x%.0s' $(seq 4095) >&2; exit 1"]).catch((x) => x);
  assert.ok(r instanceof ExitError);
  assert.equal(r.message.split("\n").pop(), "x".repeat(4095));
});

test("errors: a command line or a value cut for a message is never cut between the halves of a surrogate pair", async () => {
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  // Some of these paddings put the 4096th unit of the command line on a pair's first half.
  for (const pad of ["", "x", "xx", "xxx"]) {
    const c = spawn("true", [pad + "😀".repeat(3000)]);
    assert.ok(!lone.test(c.command), `padding ${pad.length}: ${JSON.stringify(c.command.slice(-8))}`);
    assert.ok(c.command.length <= 4096 + 40);
    await c.exited;
    // A TypeError's preview of a long string too.
    const e = (() => { try { spawn("true", [], { shell: pad + "😀".repeat(40) + "\0" }); } catch (x) { return x as Error; } })();
    // (JSON.stringify escapes a lone half: cut there, the preview showed "\ud83d".)
    assert.ok(e && !lone.test(e.message) && !e.message.includes("\\ud83d"), String(e));
  }
});
