// Workers under the pre-exec controls no thread can have: a seccomp filter
// that denies a syscall, and a memory rlimit. The worker still answers what
// stays within them; what breaks them fails that call (the function's own
// error when the runtime survives, a WorkerError when it dies), and a pool
// replaces a worker that died.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { runtime } from "../../src/ffi/runtime.ts";
import { pool, WorkerError } from "../../src/index.ts";
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
