// worker(): functions of a module called in a runtime child process over a
// socketpair, on every runtime as parent, with the worker on the same
// runtime and on another one (test/fixtures/worker-jobs.ts).
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { runtime } from "../../src/ffi/runtime.ts";
import { closeFd, CodecError, pool, run, SpawnError, worker, WorkerError } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { repoRoot } from "../repo-root.ts";
import { BIN, baseline, fixtureFor, kinds, noLeftovers, start } from "../worker-kinds.ts";
import { buildWorkerHost } from "../worker-host.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { sleep, until } from "../wait.ts";

for (const kind of kinds) {
  const on = `worker (${runtime} → ${kind})`;

  test(`${on}: what a call printed reaches stdout whole, though close() came at once`, async () => {
    // Was 65 536 of 200 001 bytes from a Node worker: it exited with its writes still queued.
    let got = 0;
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        got += chunk.length;
        await sleep(2); // a reader slower than the writer: the pipe fills
      },
    });
    const w = await start(kind, { stdout: sink });
    assert.equal(await w.call("print", [200000]), "printed");
    await w.close();
    assert.equal((await w.exited).exitCode, 0);
    await until(() => got >= 200001, 5000);
    assert.equal(got, 200001);
  });

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
    // An argument that cannot go is named as the caller wrote it (before: "at value[1][0]").
    const arg = await w.call("echo", [1, { f: () => 1 }]).then(() => null, (x) => x);
    assert.ok(arg instanceof CodecError && arg.message === "cannot send a function (at args[1].f)", String(arg));
    const bad = await w.call("unsendable").then(() => null, (x) => x);
    assert.match(bad.message, /cannot send a function/);
    assert.ok(bad instanceof CodecError, "the worker's CodecError arrives as one");
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
    // Later calls fail at once, the same way; and so do send() and sendFd().
    assert.ok((await w.call("echo", [1]).then(() => null, (x) => x)) instanceof WorkerError);
    for (const late of [w.send("late"), w.sendFd(1)]) {
      const err = await late.then(() => null, (x) => x);
      assert.ok(err instanceof WorkerError, String(err));
      assert.equal(err.signal, "SIGKILL");
    }
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a worker killed while idle: the WorkerError says how it ended, not that calls were pending`, async () => {
    const w = await start(kind);
    await w.call("echo", [0]);
    w.kill("SIGKILL");
    // Its messages end with the error (a call made before the end is known would be pending).
    const e = await w.messages.next().then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.match(e.message, /was killed by SIGKILL$/);
    assert.equal(await w.call("echo", [1]).then(() => null, (x) => x), e);
  }, 60000);

  test(`${on}: a worker that dies of an uncaught error: its stderr's tail is plain text (Deno colours it even into a pipe)`, async () => {
    const w = await start(kind);
    assert.equal(await w.call("throwLater"), 1);
    const e = await w.messages.next().then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.match(e.stderr, /boom later/);
    assert.ok(!e.stderr.includes("\x1b"), JSON.stringify(e.stderr));
  }, 60000);

  test(`${on}: a module that does not load: its calls reject with a WorkerError saying why, in plain text`, async () => {
    await buildWorkerHost();
    const dir = mkdtempSync(`${tmpdir()}/aspawn-bad-import-`);
    try {
      writeFileSync(`${dir}/bad.mjs`, 'import "./not-there.mjs";\nexport const f = () => 1;\n');
      const w = worker(`${dir}/bad.mjs`, { runtime: BIN[kind] });
      const e = await w.call("f").then(() => null, (x) => x);
      assert.ok(e instanceof WorkerError, String(e));
      assert.match(e.message, /because its module did not load: .*not-there\.mjs/);
      // Deno colours the import error's message, even into a pipe.
      assert.ok(!e.message.includes("\x1b"), JSON.stringify(e.message));
      await w.exited;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  test(`${on}: messages has one reader at a time: a second loop waiting beside the first is a TypeError, the first gets every message`, async () => {
    const w = await start(kind);
    const first = w.messages.next();
    // Was: accepted, the two loops taking every other message.
    await assert.rejects(w.messages.next(), /messages: another loop is waiting for them; one reader at a time/);
    await w.call("sendLater", ["one", 10]);
    assert.deepEqual(await first, { value: "one", done: false });
    // One after the other is fine: a new iterator once nobody waits.
    const second = w.messages.next();
    await w.call("sendLater", ["two", 10]);
    assert.deepEqual(await second, { value: "two", done: false });
    await w.close();
  }, 60000);

  test(`${on}: a worker that exits by itself with code 0 ends its messages, those it sent first; another code throws its WorkerError`, async () => {
    const w = await start(kind);
    assert.equal(await w.call("sendAndExit", [["a", { b: 1 }]]), 2);
    const got: unknown[] = [];
    for await (const m of w.messages) got.push(m);
    assert.deepEqual(got, ["a", { b: 1 }]);
    assert.equal((await w.exited).exitCode, 0);
    const c = await start(kind);
    assert.equal(await c.call("echo", [0]), 0);
    void c.call("crash", [3, "a crash the messages loop throws"]).catch(() => {});
    const e = await (async () => {
      for await (const _ of c.messages);
    })().then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.exitCode, 3);
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

  test(`${on}: a well-formed frame out of turn (a second HELLO, a late FAIL, a WARM unasked) is a protocol error of that worker`, async () => {
    const fds = await baseline(kind);
    for (const frameKind of ["HELLO", "FAIL", "WARM"]) {
      const w = await start(kind);
      // Was: accepted (exports rewritten; a late FAIL blamed for the worker's later kill).
      const e = await w.call("outOfTurn", [frameKind]).then(() => null, (x) => x);
      assert.ok(e instanceof WorkerError, `${frameKind}: ${String(e)}`);
      assert.match(e.message, /protocol error/, frameKind);
      assert.doesNotMatch(e.message, /did not load/, frameKind);
      assert.equal(e.signal, "SIGKILL", frameKind);
    }
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

  test(`${on}: receiveFd() that the worker's end outlasts rejects with its WorkerError, after close() and after a crash`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const waiting = w.receiveFd();
    await w.close();
    for (const e of [await waiting.catch((x) => x), await w.receiveFd().catch((x) => x)]) {
      assert.ok(e instanceof WorkerError, String(e));
      assert.equal(e.pid, w.pid);
      assert.equal(e.exitCode, 0);
    }
    const crashed = await start(kind);
    const pending = crashed.receiveFd();
    await crashed.call("exit", [3]).catch(() => {});
    const e = await pending.catch((x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.exitCode, 3);
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
    // closeFd(): Deno's node:fs closes only fds it opened itself (before: no way to close it there).
    closeFd(back);
    assert.throws(() => readlinkSync(`/proc/self/fd/${back}`), /ENOENT/);
    assert.throws(() => closeFd(back), (e: Error & { code?: string }) => e.code === "EBADF" && /close/.test(e.message));
    assert.throws(() => closeFd(-1), /^TypeError: closeFd: fd must be a non-negative integer, got -1$/);
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

  test(`${on}: an fd that is not open fails only its sendFd() or call (EBADF), on either side; the worker and its other calls live on`, async () => {
    const fds = await baseline(kind);
    const w = await start(kind);
    const bad = closedFdNumber();
    const other = w.call("later", ["still answered", 300]);
    other.catch(() => {}); // awaited below: a failure before then must not be unhandled
    const sent: any = await w.sendFd(bad).then(() => null, (e) => e);
    assert.equal(sent?.code, "EBADF", String(sent));
    assert.match(sent.message, new RegExp(`sendFd\\(\\).* ${bad}, which is not an open fd`));
    // A string is named as one (it read "got 3" before).
    assert.match(String(await w.sendFd("3" as never).then(() => null, (e) => e)), /TypeError: sendFd: fd must be a non-negative integer, got "3"/);
    const called: any = await w.call("echo", [1], { fds: [bad] }).then(() => null, (e) => e);
    assert.equal(called?.code, "EBADF", String(called));
    assert.match(called.message, new RegExp(`call\\("echo"\\): fds\\[0\\] is ${bad}, which is not an open fd`));
    // A hole passed the check (every() skips holes) and was sent as fd 0, our stdin.
    const holed: any = await Promise.resolve().then(() => w.call("echo", [1], { fds: new Array(1) })).then(() => null, (e) => e);
    assert.match(String(holed), /^TypeError: call\(\): fds must be an array of at most 253 open fds/);
    assert.equal(await other, "still answered");
    // The worker's parent.sendFd() of a closed fd: that promise rejects, the worker lives.
    const inWorker = await w.call("sendClosedFd", [bad]) as { code: string; message: string };
    assert.equal(inWorker?.code, "EBADF", JSON.stringify(inWorker));
    assert.equal(await w.call("echo", ["alive"]), "alive");
    await w.close();
    assert.equal((await w.exited).exitCode, 0);
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a thrown error keeps what can be sent; a property that cannot (a function, a cyclic cause) is left out`, async () => {
    const w = await start(kind);
    const fn: any = await w.call("failUnsendable", ["fn"]).then(() => null, (e) => e);
    assert.equal(fn instanceof Error && !(fn instanceof WorkerError), true, String(fn));
    assert.equal(fn.message, "has fn");
    assert.equal(fn.code, "E_KEPT");
    assert.match(fn.stack, /worker-jobs/);
    assert.ok(!("fn" in fn));
    assert.equal(fn.cause instanceof TypeError, true, String(fn.cause));
    assert.deepEqual([fn.cause.message, fn.cause.n, "also" in fn.cause], ["inner", 2, false]);
    const cycle: any = await w.call("failUnsendable", ["cycle"]).then(() => null, (e) => e);
    assert.equal(cycle.message, "has cycle");
    assert.equal(cycle.code, "E_KEPT");
    assert.equal(cycle.cause, undefined);
    // An error whose message cannot be read: what reading it threw is the answer.
    const unreadable = await w.call("failUnreadable").then(() => null, (e) => e);
    assert.ok(unreadable instanceof RangeError, String(unreadable));
    assert.equal(unreadable.message, "the message getter threw");
    assert.equal(await w.call("echo", [1]), 1);
    await w.close();
  }, 60000);

  test(`${on}: a thrown AggregateError arrives as one, with its errors (own, not enumerable)`, async () => {
    const w = await start(kind);
    const agg: any = await w.call("failAggregate").then(() => null, (e) => e);
    assert.equal(agg instanceof AggregateError, true, String(agg));
    assert.equal(agg.message, "two failed");
    assert.equal(agg.errors.length, 2);
    assert.equal(agg.errors[0].message, "first");
    assert.equal(agg.errors[1] instanceof TypeError, true);
    assert.equal(agg.errors[1].code, "E_2");
    assert.equal(await w.call("echo", [1]), 1);
    await w.close();
  }, 60000);
}

/** An fd number that is not open here (fstat says EBADF). */
function closedFdNumber(): number {
  for (let fd = 9999; ; fd--) {
    try {
      fstatSync(fd);
    } catch (e) {
      if ((e as { code?: string }).code === "EBADF") return fd;
    }
  }
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
  // No stream of the Worker reads a worker's stdout or writes its stdin: "pipe" there would block it.
  const refused = (o: object, re: RegExp) => assert.throws(() => worker(`${repoRoot}x.ts`, o), (e: unknown) => e instanceof TypeError && re.test(e.message));
  const use = /use "inherit", "ignore", an fd, a file/;
  refused({ stdout: "pipe" }, /^stdout: "pipe" is not available for a worker: .*no stdout stream/);
  refused({ stdout: "pipe" }, use);
  refused({ stdin: "pipe" }, /^stdin: "pipe" is not available for a worker: .*use "ignore", "inherit", an fd, a file/);
  refused({ stdio: "pipe" }, /^stdio: "pipe" is not available/);
  refused({ stdio: ["ignore", "pipe"] }, /^stdio\[1\]: "pipe"/);
  refused({ stdio: ["ignore", "inherit", "pipe", null, "pipe"] }, /^stdio\[4\]: "pipe"/);
  refused({ stdout: "pty" }, /^stdout: "pty"/);
  refused({ pty: true }, /^pty: /);
});

test(`worker (${runtime}): stderr "pipe" (the default, or given) is forwarded and its tail kept; stdio "pipe" with stdin and stdout given is fine`, async () => {
  for (const options of [{}, { stderr: "pipe" }, { stdio: "pipe", stdin: "ignore", stdout: "inherit" }] as const) {
    const w = await start(runtime, options);
    const e: any = await w.call("crash", [3, "said on stderr"]).then(() => null, (x) => x);
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.exitCode, 3);
    assert.match(e.stderr, /crashing: said on stderr/, JSON.stringify(options));
  }
}, 60000);

test(`worker (${runtime}): input feeds the worker's stdin (before: "input and stdin cannot both be given", with no stdin given)`, async () => {
  const w = await start(runtime, { input: "fed to the worker" });
  assert.equal(await w.call("stdinText"), "fed to the worker");
  await w.close();
  assert.throws(() => worker(`${repoRoot}x.ts`, { input: "x", stdin: "inherit" }), /^TypeError: input and stdin cannot both be given/);
}, 60000);

test(`worker (${runtime}): a worker that cannot start (no such cwd) is returned; calls reject with WorkerError "did not start", exited with the SpawnError`, async () => {
  const w = await start(runtime, { cwd: "/nonexistent-aspawn-dir" });
  const e: any = await w.call("echo", [1]).then(() => null, (x) => x);
  assert.ok(e instanceof WorkerError, String(e));
  assert.match(e.message, /did not start/);
  assert.ok(e.cause instanceof SpawnError, String(e.cause));
  const exited = await w.exited.then(() => null, (x) => x);
  assert.ok(exited instanceof SpawnError, String(exited));
  // A pool does not throw either: each call says why.
  const p = pool(await fixtureFor(runtime), { runtime: BIN[runtime], min: 1, cwd: "/nonexistent-aspawn-dir" });
  const pe: any = await p.call("echo", [1]).then(() => null, (x) => x);
  assert.ok(pe instanceof WorkerError && /did not start/.test(pe.message), String(pe));
  await p.terminate();
}, 60000);

/** Deno's portable backend: worker() and pool() both throw the TypeError the README promises, saying why it runs. */
async function denoPortableRefusal(permissions: string[], env: Record<string, string>, why: RegExp) {
  const r = await run(BIN.deno, ["run", "--no-check", ...permissions, `${repoRoot}test/fixtures/worker-portable.ts`], {
    env, reject: false, timeout: 30000,
  });
  const [w, p] = r.stdout.trim().split("\n");
  const refusal = /^TypeError: worker\(\): workers need the native backend on deno: their channel is an extra fd \(fd 3\)/;
  assert.match(w ?? "", refusal, `${r.stdout}\n${r.stderr}`);
  assert.match(w!, why);
  // pool() checks its workers' options at once: the same error, not one about stdio[3].
  assert.equal(p, `pool: ${w}`);
}

test(`worker (deno, ASPAWN_BACKEND=portable): worker() and pool() say workers need the native backend, not "stdio[3]"`, async () => {
  await denoPortableRefusal(["--allow-all"], { ASPAWN_BACKEND: "portable" }, /ASPAWN_BACKEND=portable/);
}, 60000);

test(`worker (deno without --allow-ffi): the portable backend runs, and worker() and pool() say workers need the native one (no LibraryLoadError)`, async () => {
  await denoPortableRefusal(["--allow-read", "--allow-run", "--allow-env"], { ASPAWN_BACKEND: "", ASPAWN_LIBRARY: "" }, /it runs because libaspawn\.so could not be loaded/);
}, 60000);

test(`worker (${runtime}): a message that cannot travel, not awaited, is an unhandled rejection (before: it vanished)`, async () => {
  await buildWorkerHost();
  const r = await runFixture("worker-send-unhandled", [], { allowAll: true, bundles: ["worker-jobs"], timeoutMs: 20000 });
  assert.equal(r.code, 0, showFixture(r));
  assert.equal(r.stdout.trim(), JSON.stringify(["CodecError"]), showFixture(r));
}, 30000);

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
