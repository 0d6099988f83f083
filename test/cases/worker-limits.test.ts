// Workers under the pre-exec controls no thread can have: a seccomp filter
// that denies a syscall, and a memory rlimit. The worker still answers what
// stays within them; what breaks them fails that call (the function's own
// error when the runtime survives, a WorkerError when it dies), and a pool
// replaces a worker that died.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { runtime } from "../../src/ffi/runtime.ts";
import { CodecError, pool, WorkerError } from "../../src/index.ts";
import { assert, test } from "../adapter.ts";
import { denyFilter, hostArch, mkdirCalls } from "../seccomp.ts";
import { BIN, baseline, fixtureFor, kinds, noLeftovers, start } from "../worker-kinds.ts";

const failure = (p: Promise<unknown>) => p.then(() => null, (e) => e);

for (const kind of kinds) {
  const on = `worker limits (${runtime} → ${kind})`;

  test(`${on}: under a seccomp filter denying mkdir the worker answers, and a call that makes mkdir fails with EPERM`, async () => {
    const fds = await baseline(kind);
    const dir = mkdtempSync(`${tmpdir()}/aspawn-seccomp-`);
    try {
      const w = await start(kind, { seccomp: denyFilter(hostArch, mkdirCalls[hostArch]) });
      assert.equal(await w.call("echo", ["allowed"]), "allowed");
      const e = await failure(w.call("makeDir", [`${dir}/denied`]));
      assert.ok(e instanceof Error && !(e instanceof WorkerError), `the function's own error, got ${e}`);
      assert.equal((e as { code?: string }).code, "EPERM", String(e));
      assert.ok(!existsSync(`${dir}/denied`));
      assert.equal(await w.call("echo", ["still here"]), "still here");
      await w.close();
      // The same call without the filter: it is the filter that denied it.
      const free = await start(kind);
      assert.equal(await free.call("makeDir", [`${dir}/made`]), `${dir}/made`);
      assert.ok(existsSync(`${dir}/made`));
      await free.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await noLeftovers(fds);
  }, 60000);

  test(`${on}: a frame over maxFrameSize fails its call (either way), not the worker; the worker holds to the parent's limit`, async () => {
    const fds = await baseline(kind);
    const tooBig = /cannot send a frame of .*bytes: it exceeds maxFrameSize \(268435456 bytes\)/;
    const w = await start(kind);
    const other = w.call("later", ["other call", 500]);
    other.catch(() => {}); // awaited below: a failure before then must not be unhandled
    // An argument over the limit: refused before anything is sent.
    const arg = await failure(w.call("echo", [new Uint8Array(257 * 2 ** 20)]));
    assert.ok(arg instanceof CodecError && tooBig.test(arg.message), String(arg));
    // A result over the limit: the call's error, from the worker.
    const result = await failure(w.call("bytes", [257 * 2 ** 20]));
    assert.ok(result instanceof CodecError && !(result instanceof WorkerError) && tooBig.test(result.message), String(result));
    // A message too.
    assert.match(String(await failure(w.send(new Uint8Array(257 * 2 ** 20)))), tooBig);
    assert.equal(await other, "other call");
    assert.equal(await w.call("echo", ["alive"]), "alive");
    await w.close();
    assert.equal((await w.exited).exitCode, 0);

    // A small limit reaches the worker: its 5000-byte result is that call's error.
    const small = await start(kind, { maxFrameSize: 1024 });
    const five = await failure(small.call("bytes", [5000]));
    assert.ok(five instanceof CodecError && !(five instanceof WorkerError), String(five));
    assert.match(five.message, /frame of 5\d\d\d bytes: it exceeds maxFrameSize \(1024 bytes\)/);
    assert.match(String(await failure(small.call("echo", [new Uint8Array(5000)]))), /exceeds maxFrameSize \(1024 bytes\)/);
    assert.equal(await small.call("sizeOf", [new Uint8Array(900)]), 900);
    // An error whose property is over the limit still arrives, as itself without its properties.
    const thrown = await failure(small.call("failLarge", [5000]));
    assert.ok(thrown instanceof RangeError, String(thrown));
    assert.equal(thrown.message, "too much detail");
    assert.equal((thrown as { detail?: unknown }).detail, undefined);
    await small.close();
    assert.equal((await small.exited).exitCode, 0);

    // Limits too small for a thrown error's stack, for the module's names,
    // for any Error, or for the warm-up frame: every call still gets its
    // answer and the worker goes on (each of these used to end the worker).
    const tight = await start(kind, { maxFrameSize: 400 });
    const cut = await failure(tight.call("fail"));
    assert.ok(cut instanceof RangeError && !(cut instanceof WorkerError), String(cut));
    assert.equal(cut.message, "out of range in the worker");
    assert.deepEqual(tight.exports, [], "the names did not fit: none");
    assert.match(String(await failure(tight.call("nothing"))), /no exported function "nothing"/);
    assert.equal(await tight.call("echo", ["after"]), "after");
    await tight.close();
    assert.equal((await tight.exited).exitCode, 0);
    const least = await start(kind, { maxFrameSize: 64 });
    assert.equal(await least.call("echo", [1]), 1);
    // A string that says why (before: "the worker could not send ", halved before its reason).
    assert.equal(await failure(least.call("fail")), "answer over maxFrameSize");
    const some = await start(kind, { maxFrameSize: 80 });
    assert.equal(await failure(some.call("fail")), "the answer is over maxFrameSize (80 bytes)");
    await some.close();
    assert.equal(await least.call("echo", [2]), 2);
    await least.close();
    assert.equal((await least.exited).exitCode, 0);

    // And a large one: a 300 MiB argument is received whole.
    const large = await start(kind, { maxFrameSize: 2 ** 32 });
    assert.equal(await large.call("sizeOf", [new Uint8Array(300 * 2 ** 20)]), 300 * 2 ** 20);
    await large.close();
    assert.equal((await large.exited).exitCode, 0);
    await noLeftovers(fds);
  }, 120000);

  if (kind === "bun") {
    test(`${on}: under a data rlimit below its JIT's reservation a Bun worker cannot start, and its call says why`, async () => {
      const fds = await baseline(kind);
      // JavaScriptCore's JIT reserves its executable memory writable (it
      // counts as data): under ~8 GiB there is no JIT, and bun:ffi needs one.
      const w = await start(kind, { rlimits: { data: 2 ** 30 } });
      const e = await failure(w.call("echo", [1]));
      assert.ok(e instanceof WorkerError, `a WorkerError, got ${e}`);
      assert.equal(e.exitCode, 1);
      assert.match(e.stderr, /bun:ffi requires the JIT/);
      await w.exited;
      await noLeftovers(fds);
    }, 60000);
    continue;
  }

  test(`${on}: over a data rlimit a buffer fails in the call, a heap that outgrows it ends the worker and the pool replaces it`, async () => {
    const fds = await baseline(kind);
    // 1 GiB: the least Deno starts with (it reserves much of its memory up front).
    const p = pool(await fixtureFor(kind), { runtime: BIN[kind], size: 1, min: 1, rlimits: { data: 2 ** 30 } });
    const first = p.pids[0];
    const big = await failure(p.call("allocate", [1536]));
    assert.ok(big instanceof RangeError && !(big instanceof WorkerError), `a RangeError from the worker, got ${big}`);
    assert.equal(await p.call("pid"), first, "the worker survived a failed allocation");
    // V8 cannot fail a heap allocation: it aborts the process (SIGABRT on Node, SIGTRAP on Deno).
    const e = await failure(p.call("hoard"));
    assert.ok(e instanceof WorkerError, `a WorkerError, got ${e}`);
    assert.equal(e.pid, first);
    assert.ok(e.signal !== null, `killed by a signal: exit ${e.exitCode}`);
    assert.match(e.message, new RegExp(`worker ${first} .*${e.signal}`));
    const next = await p.call("pid");
    assert.notEqual(next, first, "replaced");
    assert.equal(await p.call("echo", ["after"]), "after");
    await p.close();
    await noLeftovers(fds);
  }, 120000);
}
