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

test("helpers: after `exited` or `spawned` rejected, each helper still rejects with the SpawnError; exitStatus is null", async () => {
  for (const wait of ["exited", "spawned"] as const) {
    for (const helper of ["text", "bytes", "json", "lines"] as const) {
      const p = spawn("/nonexistent/prog");
      await p[wait].catch(() => {});
      await p.exited.catch(() => {});
      // Was: TypeError "stdout was already read" (nothing had read it).
      const e = await rejection(helper === "lines" ? (async () => { for await (const _ of p.lines()); })() : p[helper]());
      assert.ok(e instanceof SpawnError, `${wait} then ${helper}(): ${String(e)}`);
      assert.equal(e.code, "ENOENT");
      // No program ran, so no exit status (was: exitCode 127).
      assert.equal(p.exitStatus, null);
    }
  }
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
  assert.throws(() => spawn("true", { maxBuffer: 0 }), /maxBuffer must be a positive number of bytes .*, got 0/);
  // A fraction of a byte is no limit anyone means (1.5 used to cut at 1 byte, saying "1.5 bytes").
  assert.throws(() => spawn("true", { maxBuffer: 1.5 }), /maxBuffer must be a positive number of bytes \(an integer, or Infinity\), got 1\.5/);
  assert.throws(() => spawn("true", { maxBuffer: "1" as unknown as number }), /maxBuffer .* got "1"$/);
  assert.throws(() => spawn("true", { reject: "no" as unknown as boolean }), /reject must be a boolean, got "no"$/);
});

test("helpers: pipeline().text() still fails with PipelineError naming the stage", async () => {
  const e = await rejection(pipeline([["echo", ["x"]], ["sh", ["-c", "cat; exit 5"]]]).text());
  assert.ok(e instanceof PipelineError, String(e));
  assert.equal(e.stage, 1);
  assert.equal(await pipeline([["echo", ["x"]], ["cat"]]).text(), "x\n");
});

test("helpers: pipeline().text() cuts the output at the last stage's maxBuffer, stops that stage and rejects", async () => {
  const e = await rejection(pipeline([["head", ["-c", "1000", "/dev/zero"]], ["cat", [], { maxBuffer: 100 }]]).text());
  assert.ok(e instanceof PipelineError, String(e));
  assert.equal(e.stage, 1);
  assert.equal(e.maxBufferExceeded, true);
  assert.match(e.message, /^Pipeline stage 1 exceeded maxBuffer \(100 bytes of stdout\) and (exited with code 0|was killed with SIGTERM): cat$/);
  // A lone stage's own maxBuffer.
  const one = await rejection(pipeline([["head", ["-c", "1000", "/dev/zero"], { maxBuffer: 100 }]]).text());
  assert.ok(one instanceof PipelineError && one.stage === 0 && one.maxBufferExceeded, String(one));
  // A producer far past the limit: the last stage is stopped, and it is the
  // one named (10 MB, not `yes`: a regression must not grow without bound).
  const p = pipeline([["head", ["-c", "10000000", "/dev/zero"], { stderr: "ignore" }], ["cat", [], { maxBuffer: 100 }]]);
  const endless = await rejection(p.text());
  assert.ok(endless instanceof PipelineError && endless.stage === 1 && endless.maxBufferExceeded, String(endless));
  assert.equal((await p.stages[1]!.exited).signal, "SIGTERM");
  // Only the last stage's maxBuffer counts (an earlier stage's stdout is not collected), and within it all is well.
  assert.equal((await pipeline([["head", ["-c", "1000", "/dev/zero"], { maxBuffer: 100 }], ["cat"]]).text()).length, 1000);
  assert.equal(await pipeline([["echo", ["hi"]], ["cat", [], { maxBuffer: 3 }]]).text(), "hi\n");
});

test("helpers: pipeline() fails when a stage's timeout or abort stopped it, even if it then exited 0", async () => {
  // The stage exits 0 at once, but a descendant holds its stdout: the
  // timeout ends the reading, and cut-short output is no success. (1 s:
  // time enough for sh to exit first on a loaded machine.)
  const held = "echo early; (sleep 5; echo late) &";
  const t = await rejection(pipeline([["echo", ["x"]], ["sh", ["-c", held], { timeout: 1000 }]]).text());
  assert.ok(t instanceof PipelineError, String(t));
  assert.equal(t.stage, 1);
  assert.equal(t.timedOut, true);
  assert.equal(t.exitCode, 0);
  assert.match(t.message, /^Pipeline stage 1 timed out after 1000 ms and exited with code 0: sh -c /);
  // Aborted once the stage has exited, while its output is still read.
  const controller = new AbortController();
  const p = pipeline([["sh", ["-c", held], { signal: controller.signal }]]);
  const aborted = rejection(p.text());
  await p.stages[0]!.exited;
  controller.abort();
  const a = await aborted;
  assert.ok(a instanceof PipelineError, String(a));
  assert.equal(a.stage, 0);
  assert.equal(a.aborted, true);
  assert.equal(a.exitCode, 0);
  assert.match(a.message, /^Pipeline stage 0 was aborted and exited with code 0: sh -c /);
  // A stage that catches killSignal and exits 0: `exited` knows it timed out.
  const caught = pipeline([["sh", ["-c", "trap 'kill $!; exit 0' TERM; sleep 5 >/dev/null & wait"], { timeout: 1000 }], ["cat"]]);
  const [x, y] = await Promise.all([rejection(caught.exited), rejection(caught.text())]);
  for (const e of [x, y]) {
    assert.ok(e instanceof PipelineError, String(e));
    assert.equal(e.stage, 0);
    assert.equal(e.timedOut, true);
  }
});
