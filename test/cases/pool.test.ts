// pool(): workers of one module, calls queued FIFO, a warm minimum, idle
// close, recycling, timeouts and aborts that kill and replace a worker, and
// crashes; close() and terminate() leave no process and no fd. Also a
// worker's own call timeout/abort.
import { closeSync, fstatSync, openSync, readFileSync, unlinkSync } from "node:fs";
import { runtime } from "../../src/ffi/runtime.ts";
import { pool, type PoolOptions, worker, WorkerError } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { BIN, baseline, fixtureFor, kinds, noLeftovers, start, type Kind } from "../worker-kinds.ts";
import { sleep, until } from "../wait.ts";

async function makePool(kind: Kind, options: PoolOptions = {}) {
  return pool(await fixtureFor(kind), { runtime: BIN[kind], ...options });
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e) => e);

for (const kind of kinds) {
  const on = `pool (${runtime} → ${kind})`;

  test(`${on}: a queued call's fds may be closed as soon as call() returns; an aborted one leaves none open`, async () => {
    const fds = await baseline(kind);
    const p = await makePool(kind, { size: 1 });
    const path = `/tmp/aspawn-pool-fd-${process.pid}-${kind}`;
    const busy = p.call("later", [1, 200]);
    const fd = openSync(path, "w");
    const queued = p.call("writeToFd", ["written when its turn came\n"], { fds: [fd] });
    const aborted = failure(p.call("writeToFd", ["never\n"], { fds: [fd], signal: AbortSignal.timeout(50) }));
    assert.equal(p.queued, 2);
    closeSync(fd);
    // The number is taken again at once: what goes must still be the file.
    const decoy = openSync("/dev/null", "r");
    assert.equal(await busy, 1);
    assert.equal(await queued, 27);
    assert.ok((await aborted) instanceof WorkerError);
    closeSync(decoy);
    assert.equal(readFileSync(path, "utf8"), "written when its turn came\n");
    await p.close();
    unlinkSync(path);
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: min workers start ahead; calls beyond size queue FIFO; concurrencyPerWorker`, async () => {
    const fds = await baseline(kind);
    const p = await makePool(kind, { size: 2, min: 1 });
    assert.equal(p.workers, 1);
    const warm = p.pids[0];
    assert.equal(await p.call("pid"), warm, "the first call goes to the warm worker");
    // Size 2, one call each: 6 calls, two run, four wait.
    const calls = Array.from({ length: 6 }, (_, i) => p.call("later", [i, 30]));
    assert.equal(p.workers, 2);
    assert.equal(p.queued, 4);
    assert.deepEqual(await Promise.all(calls), [0, 1, 2, 3, 4, 5]);
    await p.close();
    assert.equal(p.workers, 0);
    assert.match(String(await failure(p.call("echo", [1]))), /the pool is closed/);

    // One worker: the queue is first in, first out (the later calls are shorter).
    const one = await makePool(kind, { size: 1 });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 5 }, (_, i) => one.call("later", [i, 50 - 10 * i]).then((v) => order.push(v as number))));
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    await one.close();

    // Two calls at once per worker: four overlap on two workers.
    const q = await makePool(kind, { size: 2, concurrencyPerWorker: 2 });
    const four = Array.from({ length: 4 }, (_, i) => q.call("later", [i, 100]));
    assert.equal(q.workers, 2);
    assert.equal(q.queued, 0, "four calls run at once on two workers");
    assert.deepEqual(await Promise.all(four), [0, 1, 2, 3]);
    await q.close();
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a call's timeout or abort kills and replaces its worker; a queued one just leaves`, async () => {
    const fds = await baseline(kind);
    const p = await makePool(kind, { size: 1, min: 1 });
    const first = p.pids[0]!;
    const queued = new AbortController();
    const spinning = failure(p.call("spin", [], { timeout: 500 }));
    const waiting = failure(p.call("echo", ["never"], { signal: queued.signal }));
    const after = p.call("echo", ["after"]);
    queued.abort(new Error("not needed"));
    const w = await waiting;
    assert.ok(w instanceof WorkerError && w.aborted && !w.timedOut, String(w));
    assert.equal(w.pid, 0);
    assert.match(w.message, /was aborted while queued/);
    assert.equal((w.cause as Error).message, "not needed");
    const e = await spinning;
    assert.ok(e instanceof WorkerError && e.timedOut && !e.aborted, String(e));
    assert.equal(e.pid, first);
    assert.equal(e.signal, "SIGKILL");
    assert.match(e.message, /call "spin" timed out after 500 ms: worker \d+ .* was killed/);
    // The queued call runs on the replacement.
    assert.equal(await after, "after");
    assert.equal(p.workers, 1);
    assert.notEqual(p.pids[0], first);

    // A signal aborted before the call: rejected at once, the worker untouched (was: pending for ever).
    const pre = await Promise.race([failure(p.call("echo", ["never"], { signal: AbortSignal.abort(new Error("gave up")) })), sleep(3000).then(() => "pending")]);
    assert.ok(pre instanceof WorkerError && pre.aborted && pre.pid === 0, String(pre));
    assert.equal((pre.cause as Error).message, "gave up");
    assert.equal(await p.call("echo", [2]), 2);

    const ac = new AbortController();
    const hung = failure(p.call("hang", [], { signal: ac.signal }));
    await sleep(100);
    ac.abort();
    const a = await hung;
    assert.ok(a instanceof WorkerError && a.aborted, String(a));
    assert.equal(a.signal, "SIGKILL");
    assert.equal(await p.call("echo", [3]), 3);
    await p.close();

    // Killed by a call's timeout before it had loaded its module: replaced for `min` too (it was not).
    const young = await makePool(kind, { size: 2, min: 2 });
    const early = await failure(young.call("echo", ["late"], { timeout: 1 }));
    assert.ok(early instanceof WorkerError && early.timedOut, String(early));
    assert.ok(await until(() => young.workers === 2, 10000), `min kept: ${young.workers} workers`);
    assert.equal(await young.call("echo", ["fine"]), "fine");
    await young.close();
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a crash during a call rejects it with a WorkerError (code, stderr) and the worker is replaced`, async () => {
    const fds = await baseline(kind);
    const p = await makePool(kind, { size: 1, min: 1, stderr: "pipe" });
    const e = await failure(p.call("crash", [9, "out of luck"]));
    assert.ok(e instanceof WorkerError, String(e));
    assert.equal(e.exitCode, 9);
    assert.match(e.stderr, /crashing: out of luck/);
    assert.ok(await until(() => p.workers === 1, 5000), "min kept");
    assert.equal(await p.call("echo", ["fine"]), "fine");
    // Killed from outside while idle: replaced too.
    const pid = p.pids[0]!;
    process.kill(pid, "SIGKILL");
    assert.ok(await until(() => p.workers === 1 && p.pids[0] !== pid, 5000), "replaced after a kill");
    assert.equal(await p.call("echo", ["again"]), "again");
    await p.close();
    await noLeftovers(fds);
  }, 60000);
}

test(`pool (${runtime}): maxCallsPerWorker recycles; idleTimeout closes workers beyond min`, async () => {
  const fds = await baseline(runtime);
  const p = await makePool(runtime, { size: 1, maxCallsPerWorker: 2, idleTimeout: 200 });
  const pids: unknown[] = [];
  for (let i = 0; i < 5; i++) pids.push(await p.call("pid"));
  assert.equal(pids[0], pids[1]);
  assert.equal(pids[2], pids[3]);
  assert.notEqual(pids[1], pids[2]);
  assert.notEqual(pids[3], pids[4]);
  assert.ok(await until(() => p.workers === 0, 5000), "idle worker closed");
  await p.close();
  const q = await makePool(runtime, { size: 2, min: 1, idleTimeout: 100 });
  const two = [q.call("later", [1, 50]), q.call("later", [2, 50])];
  assert.equal(q.workers, 2);
  await Promise.all(two);
  assert.ok(await until(() => q.workers === 1, 5000), "back to min");
  await sleep(300);
  assert.equal(q.workers, 1, "min stays");
  await q.close();
  // Infinity: idle workers stay (it used to overflow the timer and close them after 1 ms).
  const r = await makePool(runtime, { size: 1, idleTimeout: Infinity });
  const pid = await r.call("pid");
  await sleep(300);
  assert.equal(r.workers, 1, "idle worker kept");
  assert.equal(await r.call("pid"), pid);
  await r.close();
  await noLeftovers(fds);
}, 60000);

test(`pool (${runtime}): close() lets queued calls finish; terminate() kills and rejects`, async () => {
  const fds = await baseline(runtime);
  const p = await makePool(runtime, { size: 2 });
  const calls = Array.from({ length: 6 }, (_, i) => p.call("later", [i, 50]));
  const closed = p.close();
  assert.deepEqual(await Promise.all(calls), [0, 1, 2, 3, 4, 5]);
  await closed;
  assert.equal(p.workers, 0);

  const q = await makePool(runtime, { size: 2 });
  const running = [failure(q.call("hang")), failure(q.call("spin"))];
  const waiting = failure(q.call("echo", [1]));
  await sleep(200);
  await q.terminate();
  for (const e of [...(await Promise.all(running)), await waiting]) assert.ok(e instanceof WorkerError, String(e));
  assert.match(String(await waiting), /queued when the pool was terminated/);
  await noLeftovers(fds);
}, 60000);

test(`pool (${runtime}): a burst of 10 000 calls with failures mixed in: each settles exactly once`, async () => {
  const fds = await baseline(runtime);
  const p = await makePool(runtime, { size: 2, concurrencyPerWorker: 8, min: 2 });
  const N = 10_000;
  const settled = new Uint8Array(N);
  const outcome: string[] = [];
  const calls: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    // Thrown errors (every 7th), crashes (every 2 500th) and timeouts (a few).
    const c = i % 2500 === 1250 ? p.call("crash", [3, `burst ${i}`]) : i % 3000 === 100 ? p.call("hang", [], { timeout: 200 }) : p.call("step", [i]);
    calls.push(c.then(
      (v) => {
        settled[i]!++;
        outcome[i] = v === i ? "ok" : `wrong ${v}`;
      },
      (e) => {
        settled[i]!++;
        outcome[i] = e instanceof WorkerError ? "worker" : /fails/.test((e as Error).message) ? "thrown" : `other ${e}`;
      },
    ));
  }
  await Promise.all(calls);
  await sleep(50); // a second settlement would show now
  assert.ok(settled.every((n) => n === 1), "every call settled exactly once");
  const counts = outcome.reduce<Record<string, number>>((m, o) => ((m[o] = (m[o] ?? 0) + 1), m), {});
  assert.ok(!Object.keys(counts).some((k) => k.startsWith("other") || k.startsWith("wrong")), JSON.stringify(counts));
  assert.ok(counts.thrown! > 1000 && counts.ok! > 5000 && counts.worker! >= 7, JSON.stringify(counts));
  await p.close();
  await noLeftovers(fds);
}, 120000);

test(`pool (${runtime}): an fd that is not open fails only its call (EBADF); the other call on that worker lives`, async () => {
  const fds = await baseline(runtime);
  const p = await makePool(runtime, { size: 1, min: 1, concurrencyPerWorker: 2 });
  const pid = p.pids[0];
  const other = p.call("later", ["other", 300]);
  other.catch(() => {}); // awaited below: a failure before then must not be unhandled
  const bad = 9999;
  assert.throws(() => fstatSync(bad), /EBADF/);
  const e: any = await failure(p.call("echo", [1], { fds: [bad] }));
  assert.equal(e?.code, "EBADF", String(e));
  assert.match(e.message, /call\("echo"\): fds\[0\] is 9999, which is not an open fd/);
  // Queued behind a busy worker: refused before it waits.
  const busy = p.call("later", ["busy", 200]);
  busy.catch(() => {});
  const queued: any = await failure(p.call("echo", [2], { fds: [bad] }));
  assert.equal(queued?.code, "EBADF", String(queued));
  assert.equal(await other, "other");
  assert.equal(await busy, "busy");
  assert.deepEqual(p.pids, [pid], "the same worker");
  await p.close();
  await noLeftovers(fds);
}, 60000);

test(`worker and pool (${runtime}): calls sharing one AbortSignal add one abort listener to it, not one each (no MaxListenersExceededWarning)`, async () => {
  const fds = await baseline(runtime);
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  try {
    const w = await start(runtime);
    const p = await makePool(runtime, { size: 2, concurrencyPerWorker: 4 });
    const ac = new AbortController();
    // Count the listeners the calls add to the signal (and remove).
    let listeners = 0, most = 0;
    const add = ac.signal.addEventListener.bind(ac.signal), remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((type: string, l: EventListener, o?: AddEventListenerOptions) => {
      if (type === "abort") most = Math.max(most, ++listeners);
      add(type, l, o);
    }) as typeof ac.signal.addEventListener;
    ac.signal.removeEventListener = ((type: string, l: EventListener, o?: EventListenerOptions) => {
      if (type === "abort") listeners--;
      remove(type, l, o);
    }) as typeof ac.signal.removeEventListener;
    const settled = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => w.call("later", [i, 50], { signal: ac.signal })),
      ...Array.from({ length: 20 }, (_, i) => p.call("later", [i, 20], { signal: ac.signal })),
    ]);
    assert.equal(settled.length, 40);
    assert.ok(most <= 1, `at most one listener at a time, saw ${most}`);
    assert.equal(listeners, 0, "none left once no call waits");
    // The one listener still ends every call waiting on it.
    const hung = Array.from({ length: 12 }, () => failure(w.call("hang", [], { signal: ac.signal })));
    ac.abort(new Error("enough"));
    for (const e of await Promise.all(hung)) assert.ok(e instanceof WorkerError && e.aborted && (e.cause as Error).message === "enough", String(e));
    await p.close();
    await sleep(50); // a warning is emitted on the next tick
    assert.deepEqual(warnings.filter((m) => /MaxListeners/.test(m)), []);
  } finally {
    process.off("warning", onWarning);
  }
  await noLeftovers(fds);
}, 60000);

test(`worker (${runtime}): call() timeout and signal kill the worker; the error says which`, async () => {
  const fds = await baseline(runtime);
  const w = await start(runtime);
  const other = failure(w.call("hang"));
  const e = await failure(w.call("spin", [], { timeout: 300 }));
  assert.ok(e instanceof WorkerError && e.timedOut, String(e));
  assert.equal(e.signal, "SIGKILL");
  assert.equal((await w.exited).signal, "SIGKILL");
  // The other call in flight, and a later one: the worker's end, which names the call that had it killed.
  const o = await other;
  assert.ok(o instanceof WorkerError && !o.timedOut && !o.aborted, String(o));
  assert.match(o.message, /was killed by SIGKILL while calls were pending \(call "spin" timed out after 300 ms\)$/);
  assert.equal(await failure(w.call("echo", [1])), o, "a later call gets the same WorkerError");
  const v = await start(runtime);
  const ac = new AbortController();
  ac.abort();
  const early = await failure(v.call("echo", [1], { signal: ac.signal }));
  assert.ok(early instanceof WorkerError && early.aborted, String(early));
  assert.match(early.message, /aborted before it was sent/);
  assert.equal(await v.call("echo", [2], { timeout: 10_000 }), 2, "a call that settles in time is not affected");
  await v.close();
  await noLeftovers(fds);
}, 60000);

test(`pool (${runtime}): options are checked before anything is started`, async () => {
  const m = await fixtureFor(runtime);
  assert.throws(() => pool(m, { size: 0 }), /size must be an integer of at least 1, got 0/);
  assert.throws(() => pool(m, { size: 2, min: 3 }), /min \(3\) must not exceed size \(2\)/);
  assert.throws(() => pool(m, { concurrencyPerWorker: 1.5 }), /concurrencyPerWorker must be an integer/);
  assert.throws(() => pool(m, { idleTimeout: -1 }), /idleTimeout must be an integer number of milliseconds/);
  // A timer holds 2 ** 31 - 1 ms: more used to close idle workers after 1 ms.
  assert.throws(() => pool(m, { idleTimeout: 2 ** 31 }), /idleTimeout must be .* from 0 to 2147483647, or Infinity, got 2147483648/);
  assert.throws(() => pool(m, { runtime: "python3" }), /runtime: cannot tell/);
  // A worker's own options too, whether or not a worker is started ahead (min), as worker() throws them.
  for (const [o, re] of [
    [{ stdout: "pipe" }, /stdout: "pipe" .*a Worker has no stdout stream/],
    [{ shell: true }, /shell: a worker runs a runtime/],
    [{ maxFrameSize: 1 }, /maxFrameSize must be an integer/],
    [{ runtimeArgs: "x" }, /runtimeArgs must be/],
    [{ runtimeArgs: new Array(1) }, /runtimeArgs must be/], // a hole: every() skipped it
    [{ env: 5 }, /env must be/],
    [{ rlimits: { bogus: 1 } }, /unknown rlimit "bogus"/],
    [{ timeout: -1 }, /timeout must be/],
  ] as [PoolOptions, RegExp][]) {
    assert.throws(() => worker(m, o), re, JSON.stringify(o));
    for (const min of [0, 1]) assert.throws(() => pool(m, { ...o, min }), re, `${JSON.stringify(o)}, min ${min}`);
  }
  for (const bad of [null, "oops", 5]) {
    assert.throws(() => worker(m, bad as never), /^TypeError: worker\(\): options must be an object, got /);
    assert.throws(() => pool(m, bad as never), /^TypeError: pool\(\): options must be an object/);
  }
  const p = pool(m, { size: 1, runtime: BIN[runtime] });
  assert.match(String(await failure(p.call("echo", [1], { timeout: -5 }))), /timeout must be a positive number/);
  assert.match(String(await failure(p.call("echo", [1], { signal: {} as AbortSignal }))), /signal must be an AbortSignal/);
  // Past what a timer holds it would fire at once (the worker killed): refused; Infinity is no timeout.
  assert.match(String(await failure(p.call("echo", [1], { timeout: 2 ** 31 }))), /up to 2147483647, or Infinity, got 2147483648$/);
  assert.equal(p.workers, 0);
  assert.equal(await p.call("echo", [1], { timeout: Infinity }), 1);
  assert.equal(await p.call("echo", [2], { timeout: 2 ** 31 - 1 }), 2);
  await p.close();
});

test(`pool (${runtime}): workers that fail to start (a missing cwd): each call rejects with why, never more workers than calls`, async () => {
  const fds = await baseline(runtime);
  const p = pool(await fixtureFor(runtime), { size: 2, runtime: BIN[runtime], cwd: "/nonexistent-aspawn" });
  const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => p.call("echo", [i])));
  for (const r of settled) {
    assert.equal(r.status, "rejected");
    const e = (r as PromiseRejectedResult).reason;
    assert.ok(e instanceof WorkerError, String(e));
    assert.match(e.message, /did not start: Command failed to start \(ENOENT: cwd "\/nonexistent-aspawn" does not exist, chdir\)/);
  }
  assert.ok(p.workers <= 2, `${p.workers} workers`);
  await p.terminate();
  await noLeftovers(fds);
}, 60000);

test(`pool (${runtime}): a worker over its rlimit (cpu) fails its call cleanly and is replaced`, async () => {
  const fds = await baseline(runtime);
  const p = await makePool(runtime, { size: 1, min: 1, rlimits: { cpu: 3 } });
  assert.equal(await p.call("echo", ["under the limit"]), "under the limit");
  const e = await failure(p.call("spin"));
  assert.ok(e instanceof WorkerError, String(e));
  assert.ok(e.signal === "SIGXCPU" || e.signal === "SIGKILL", `signal ${e.signal}`);
  assert.match(e.message, /was killed by SIG(XCPU|KILL) while calls were pending/);
  assert.equal(await p.call("echo", ["replaced"]), "replaced");
  await p.close();
  await noLeftovers(fds);
}, 60000);
