// worker(): functions of a module called in a runtime child process over a
// socketpair, on every runtime as parent, with the worker on the same
// runtime and on another one (test/fixtures/worker-jobs.ts).
import { closeSync, openSync, readFileSync, readlinkSync, unlinkSync } from "node:fs";
import { loadNative } from "../../src/ffi/load.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { worker, WorkerError } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { repoRoot } from "../repo-root.ts";
import { BIN, baseline, kinds, noLeftovers, start } from "../worker-kinds.ts";
import { buildWorkerHost } from "../worker-host.ts";
import { runFixture, showFixture } from "../fixtures.ts";

for (const kind of kinds) {
  const on = `worker (${runtime} → ${kind})`;

  test(`${on}: every value type round-trips through a call`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const value = {
      n: 1.5, s: "héllo ☃", t: true, z: null, u: undefined, nan: NaN, big: 2n ** 70n, date: new Date(1700000000123),
      map: new Map<unknown, unknown>([["k", [1, 2]]]), set: new Set([1, "x"]), bytes: Uint8Array.of(1, 2, 3),
      ab: Uint8Array.of(9).buffer, list: [undefined, -0], err: new TypeError("as a value"),
    };
    const got = await w.call("echo", [value]) as typeof value;
    assert.deepEqual(got, value);
    assert.ok(got.bytes instanceof Uint8Array && got.ab instanceof ArrayBuffer && got.date instanceof Date);
    assert.equal(await w.call("later", ["done", 20]), "done");
    // Many calls in flight on one worker, answered by id.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => w.call("later", [i, 50 - i])));
    assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(await w.call("pid"), w.pid);
    // Larger than the socket's buffer: writes wait for room while the reader
    // waits for data on the same socket (this hung once: one watch, two waits).
    const big = Uint8Array.from({ length: 8 << 20 }, (_, i) => (i * 7) & 0xff);
    const [back, small] = await Promise.all([w.call("echo", [big]), w.call("echo", ["after"])]);
    assert.ok(back instanceof Uint8Array && back.length === big.length && back.every((b, i) => b === big[i]), "8 MiB intact");
    assert.equal(small, "after");
    assert.ok(w.exports?.includes("echo"));
    await w.close();
    assert.equal((await w.exited).exitCode, 0);
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a thrown error arrives with its name, message, stack and properties`, async () => {
    const w = await start(kind);
    const e: any = await w.call("fail").then(() => null, (x) => x);
    assert.ok(e instanceof RangeError, String(e));
    assert.equal(e.name, "RangeError");
    assert.equal(e.message, "out of range in the worker");
    assert.match(e.stack!, /worker-jobs/);
    assert.equal((e as { code?: unknown }).code, "E_WORKER");
    assert.deepEqual((e as { detail?: unknown }).detail, { n: 1n });
    const c = await w.call("failCustom").then(() => null, (x) => x);
    assert.equal(c.name, "JobError");
    assert.equal(c.message, "custom failure");
    const missing = await w.call("nope").then(() => null, (x) => x);
    assert.match(missing.message, /no exported function "nope"/);
    const bad = await w.call("unsendable").then(() => null, (x) => x);
    assert.match(bad.message, /cannot send a function/);
    // What cannot be sent, raising what cannot be sent either, is still an answer: the worker does not die of it.
    const twice = await w.call("unsendableTwice").then(() => null, (x) => x);
    assert.match(twice.message, /could not send its answer: cannot send a symbol/);
    // The value leaves as the function returned it: an array, not what a toJSON makes of it.
    assert.deepEqual(await w.call("withToJSON"), [1, 2]);
    // The worker is still fine.
    assert.equal(await w.call("echo", [1]), 1);
    await w.close();
  }, 60000);

  test(`${on}: a worker killed mid-call rejects it with a WorkerError`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    await w.call("echo", [0]); // loaded
    const pending = w.call("hang");
    const other = w.call("later", [1, 60000]);
    w.kill("SIGKILL");
    const e = await pending.then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.signal, "SIGKILL");
    assert.equal(e.pid, w.pid);
    assert.match(e.message, /was killed by SIGKILL while calls were pending/);
    assert.ok((await other.then(() => null, (x) => x)) instanceof WorkerError);
    // Later calls fail at once, the same way.
    assert.ok((await w.call("echo", [1]).then(() => null, (x) => x)) instanceof WorkerError);
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a worker that exits mid-call: WorkerError with its code and stderr`, async () => {
    const w = await start(kind, { stderr: "pipe" });
    const e = await w.call("exit", [7]).then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.exitCode, 7);
    assert.equal(e.signal, null);
    await w.exited;
  }, 60000);

  test(`${on}: garbage on the channel is an error of that worker; the parent and other workers go on`, async () => {
    const fds = await baseline(kind);
    const [bad, good] = [await start(kind), await start(kind)];
    const e = await bad.call("garbage").then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.match(e.message, /protocol error/);
    assert.equal(e.signal, "SIGKILL", `${e.message}: exit code ${e.exitCode}, stderr ${e.stderr}`);
    assert.equal(await good.call("echo", ["still here"]), "still here");
    await good.close();
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: an FD frame whose fds never came is a protocol error of that worker`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const e = await w.call("fdFrameWithoutFds", [2]).then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.match(e.message, /protocol error: an FD frame announces 2 fds, 0 came/);
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: an fd sent with a frame but not announced is closed, never kept`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const messages = w.messages;
    assert.equal(await w.call("unannouncedFd"), "sent");
    assert.deepEqual(await messages.next(), { value: "with an fd", done: false });
    await w.close();
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: sendFd hands over an open file, which the worker writes to; fds and messages both ways`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const path = `/tmp/aspawn-worker-fd-${process.pid}-${kind}`;
    const fd = openSync(path, "w");
    const call = w.call("writeToFd", ["written by the worker\n"]);
    await w.sendFd(fd);
    closeSync(fd); // the worker has its own
    assert.equal(await call, 22);
    assert.equal(readFileSync(path, "utf8"), "written by the worker\n");
    // And back: the worker's stdout (ours, inherited) arrives as a new fd of ours.
    assert.equal(await w.call("sendStdout"), "sent");
    const back = await w.receiveFd();
    assert.ok(back > 2);
    assert.equal(readlinkSync(`/proc/self/fd/${back}`), readlinkSync("/proc/self/fd/1"));
    loadNative().asp_close(back); // Deno's node:fs closes only fds it opened itself
    // Messages both ways.
    const reply = w.call("echoMessages");
    w.send("a");
    w.send(new Map([[1, 2]]));
    const it = w.messages;
    assert.deepEqual((await it.next()).value, { got: "a", twice: ["a", "a"] });
    assert.deepEqual((await it.next()).value, { got: new Map([[1, 2]]), twice: [new Map([[1, 2]]), new Map([[1, 2]])] });
    w.send("stop");
    assert.equal(await reply, 2);
    await w.close();
    assert.equal((await it.next()).done, true);
    unlinkSync(path);
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: closed right after its first call, the worker exits 0 (its answer to WARM meets a closed channel)`, async () => {
    const w = await start(kind);
    assert.equal(await w.call("echo", [1]), 1);
    await w.close();
    assert.equal((await w.exited).exitCode, 0);
  }, 60000);

  test(`${on}: an fd passed behind a large frame may be closed as soon as sendFd() returns`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const path = `/tmp/aspawn-worker-fd-queued-${process.pid}-${kind}`;
    // 32 MiB fill the socket: the fd waits in the queue behind them.
    const big = w.call("echo", [new Uint8Array(32 << 20).fill(1)]);
    const call = w.call("writeToFd", ["written after the queue\n"]);
    const fd = openSync(path, "w");
    const sent = w.sendFd(fd);
    closeSync(fd);
    // The number is taken again at once: what goes must still be the file.
    const decoy = openSync("/dev/null", "r");
    await sent;
    closeSync(decoy);
    assert.equal(((await big) as Uint8Array).length, 32 << 20);
    assert.equal(await call, 24);
    assert.equal(readFileSync(path, "utf8"), "written after the queue\n");
    await w.close();
    unlinkSync(path);
    await noLeftovers(fds);
  }, 60000);
}

test(`worker (${runtime} → node): a TypeScript module on Node 20 is a clear error, not a hang`, async () => {
  await buildWorkerHost();
  const w = worker(`${repoRoot}test/fixtures/worker-jobs.ts`, { runtime: BIN.node });
  const e = await w.call("echo", [1]).then(() => null, (x) => x);
  assert.ok(e instanceof WorkerError, String(e));
  assert.match(e.message, /cannot run the TypeScript module .*worker-jobs\.ts/);
  assert.equal(e.exitCode, 1);
}, 60000);

test(`worker (${runtime}): options are checked before anything is spawned`, () => {
  assert.throws(() => worker(`${repoRoot}x.ts`, { runtime: "python3" }), /runtime: cannot tell which runtime "python3" is/);
  assert.throws(() => worker(`${repoRoot}x.ts`, { stdio: ["ignore", "inherit", "inherit", 0] }), /stdio\[3\] is the worker's channel/);
  assert.throws(() => worker(`${repoRoot}x.ts`, { maxFrameSize: 1 }), /maxFrameSize/);
  assert.throws(() => worker(42 as never), /module must be a URL or a path/);
});

test(`worker (${runtime}): an idle worker or pool does not keep the parent alive; a call in flight and an awaited message do`, async () => {
  await buildWorkerHost();
  for (const what of ["idle", "call", "message"]) {
    // Killed at the limit: a parent kept alive by an idle worker fails here.
    const r = await runFixture("worker-idle", [what], { allowAll: true, bundles: ["worker-jobs"], timeoutMs: 20000 });
    const expected = { idle: "idle", call: "late answer", message: "late message" }[what];
    assert.equal(r.signal, null, `${what}: ${showFixture(r)}`);
    assert.equal(r.code, 0, `${what}: ${showFixture(r)}`);
    assert.equal(r.stdout.trim(), expected, `${what}: ${showFixture(r)}`);
  }
}, 70000);
