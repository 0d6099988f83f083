/**
 * spawn()'s helpers (bytes, text, json, lines) fail loudly, as run() does:
 * a non-zero exit, a signal, a timeout or maxBuffer is an ExitError unless
 * `reject: false`.
 */
import { assert, test } from "../adapter.ts";
import { ExitError, pipeline, PipelineError, spawn, SpawnError } from "../../src/index.ts";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => assert.fail(`resolved with ${JSON.stringify(v)}`), (e: unknown) => e);
}

const failing = ["-c", "echo out; echo err >&2; exit 3"];

test("helpers: text() rejects with ExitError on a non-zero exit, with stdout and the unread stderr", async () => {
  const e = await rejection(spawn("sh", failing, { stderr: "pipe" }).text());
  assert.ok(e instanceof ExitError, String(e));
  assert.equal(e.exitCode, 3);
  assert.equal(e.signal, null);
  assert.equal(e.stdout, "out\n");
  assert.equal(e.stderr, "err\n");
  assert.match(e.message, /exit code 3: sh -c/);
  assert.match(e.message, /\nerr$/);
  assert.ok(e.durationMs > 0);
});

test("helpers: bytes() rejects with bytes; stderr read by the caller is not taken", async () => {
  const p = spawn("sh", failing, { stderr: "pipe" });
  const [e, err] = await Promise.all([rejection(p.bytes()), new Response(p.stderr).text()]);
  assert.ok(e instanceof ExitError, String(e));
  assert.deepEqual(e.stdout, new TextEncoder().encode("out\n"));
  assert.deepEqual(e.stderr, new Uint8Array(0));
  assert.equal(err, "err\n");
});

test("helpers: json() of a failing child is an ExitError, not a parse error", async () => {
  const e = await rejection(spawn("sh", ["-c", `echo '{"a":1}'; exit 1`]).json());
  assert.ok(e instanceof ExitError, String(e));
  assert.equal(e.stdout, `{"a":1}\n`);
});

test("helpers: a signal, and reject: false", async () => {
  const e = await rejection(spawn("sh", ["-c", "echo x; kill -TERM $$"]).text());
  assert.ok(e instanceof ExitError, String(e));
  assert.equal(e.signal, "SIGTERM");
  assert.equal(e.exitCode, null);
  assert.equal(await spawn("sh", failing, { reject: false, stderr: "ignore" }).text(), "out\n");
  assert.deepEqual(await spawn("sh", ["-c", `echo '[1]'; exit 4`], { reject: false }).json(), [1]);
});

test("helpers: a program that never ran is a SpawnError, also with reject: false", async () => {
  const e = await rejection(spawn("/nonexistent/prog", { reject: false }).text());
  assert.ok(e instanceof SpawnError, String(e));
  assert.equal(e.code, "ENOENT");
});

test("helpers: lines() yields every line, then throws ExitError at the end", async () => {
  const seen: string[] = [];
  let caught: unknown;
  try {
    for await (const line of spawn("sh", ["-c", "echo a; echo b; exit 2"]).lines()) seen.push(line);
  } catch (e) {
    caught = e;
  }
  assert.deepEqual(seen, ["a", "b"]);
  assert.ok(caught instanceof ExitError, String(caught));
  assert.equal(caught.exitCode, 2);
  // Stopping early is no failure, though the child then dies of SIGPIPE.
  const first: string[] = [];
  for await (const line of spawn("yes").lines()) if (first.push(line) === 3) break;
  assert.deepEqual(first, ["y", "y", "y"]);
  // And a success ends quietly.
  const ok: string[] = [];
  for await (const line of spawn("printf", ["1\\n2"]).lines()) ok.push(line);
  assert.deepEqual(ok, ["1", "2"]);
});

test("helpers: maxBuffer on spawn cuts the output, stops the child and rejects", async () => {
  const p = spawn("yes", { maxBuffer: 1000 });
  const e = await rejection(p.text());
  assert.ok(e instanceof ExitError, String(e));
  assert.equal(e.maxBufferExceeded, true);
  assert.equal((e.stdout as string).length, 1000);
  assert.equal(e.signal, "SIGTERM");
  assert.match(e.message, /exceeded maxBuffer \(1000 bytes of stdout\)/);
  assert.equal((await p.exited).signal, "SIGTERM");
  // With reject: false, what was kept.
  assert.equal((await spawn("yes", { maxBuffer: 10, reject: false }).bytes()).length, 10);
  // A child that finished within the limit is fine.
  assert.equal(await spawn("echo", ["hi"], { maxBuffer: 3 }).text(), "hi\n");
});

test("helpers: lines() counts against an explicit maxBuffer", async () => {
  let n = 0, caught: unknown;
  try {
    for await (const _ of spawn("yes", { maxBuffer: 100 }).lines()) n++;
  } catch (e) {
    caught = e;
  }
  assert.equal(n, 50); // "y\n" × 50
  assert.ok(caught instanceof ExitError && caught.maxBufferExceeded, String(caught));
});

test("helpers: maxBuffer and reject are checked before anything is spawned", () => {
  assert.throws(() => spawn("true", { maxBuffer: 0 }), /maxBuffer must be a positive number of bytes, got 0/);
  assert.throws(() => spawn("true", { maxBuffer: "1" as unknown as number }), /maxBuffer .* got "1"$/);
  assert.throws(() => spawn("true", { reject: "no" as unknown as boolean }), /reject must be a boolean, got "no"$/);
});

test("helpers: pipeline().text() still fails with PipelineError naming the stage", async () => {
  const e = await rejection(pipeline([["echo", ["x"]], ["sh", ["-c", "cat; exit 5"]]]).text());
  assert.ok(e instanceof PipelineError, String(e));
  assert.equal(e.stage, 1);
  assert.equal(await pipeline([["echo", ["x"]], ["cat"]]).text(), "x\n");
});
