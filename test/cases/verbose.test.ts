/** verbose / ASPAWN_VERBOSE: a line when a child starts and one when it ends. */
import { assert, test } from "../adapter.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { runSync, spawn } from "../../src/index.ts";

async function logged(env: Record<string, string>): Promise<string[]> {
  const r = await runFixture("verbose", [], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 0, showFixture(r));
  return r.stderr.trim().split("\n");
}

const own = [
  /^\[aspawn (\d+)\] \$ sh -c 'exit 3' 'it'\\''s'$/,
  /^\[aspawn (\d+)\] exit 3 after \d+(\.\d)? ms$/,
  /^\[aspawn (\d+)\] \$ sleep 10$/,
  /^\[aspawn (\d+)\] killed by SIGTERM after/,
  /^\[aspawn (\d+)\] \$ \/nonexistent-aspawn$/,
  /^\[aspawn (\d+)\] failed: Command failed to start \(ENOENT/,
  // runSync (the portable backend's sync APIs may give no pid: "-")
  /^\[aspawn (\d+|-)\] \$ sh -c 'exit 4'$/,
  /^\[aspawn (\d+|-)\] exit 4 after \d+(\.\d)? ms$/,
  /^\[aspawn (\d+|-)\] \$ \/nonexistent-aspawn$/,
  /^\[aspawn (\d+|-)\] failed: Command failed to start \(ENOENT/,
];

test("verbose: one line at the start, quoted, and one at the end, with the pid", async () => {
  const lines = await logged({ ASPAWN_VERBOSE: "" });
  assert.equal(lines.length, own.length, lines.join("\n"));
  own.forEach((re, i) => assert.match(lines[i]!, re));
  // Start and end lines of one child carry its pid.
  assert.equal(re(own[0]!, lines[0]!), re(own[1]!, lines[1]!));
  assert.throws(() => spawn("true", { verbose: 1 as never }), /verbose must be a boolean, got 1$/);
  // Checked before the child runs.
  assert.throws(() => runSync("sh", ["-c", "exit 9"], { verbose: 1 as never }), /verbose must be a boolean, got 1$/);
});

test("verbose: ASPAWN_VERBOSE=1 logs every child that does not say verbose: false", async () => {
  const lines = await logged({ ASPAWN_VERBOSE: "1" });
  assert.equal(lines.length, own.length + 6, lines.join("\n"));
  assert.match(lines[own.length]!, /^\[aspawn \d+\] \$ echo 'a b'$/);
  assert.match(lines[own.length + 1]!, /^\[aspawn \d+\] exit 0 after/);
  for (const i of [2, 4]) {
    assert.match(lines[own.length + i]!, /^\[aspawn (\d+|-)\] \$ echo 'c d'$/);
    assert.match(lines[own.length + i + 1]!, /^\[aspawn (\d+|-)\] exit 0 after/);
  }
});

const re = (r: RegExp, line: string) => r.exec(line)?.[1];
