/**
 * Reliability of the native core under hostile conditions (issue 12): a low
 * RLIMIT_NOFILE, a process started with stdio closed, Workers that end while
 * their children run, cgroup directories that are not cgroup v2.
 */
import { assert, test } from "../adapter.ts";
import { faultChecks } from "../faults.ts";
import { cgroup1Dir } from "../cgroup.ts";
import { openFds } from "../fds.ts";
import { runFixture } from "../fixtures.ts";
import { alive, childrenOfUs, cmdline, zombieChildren } from "../proc.ts";
import { settle } from "../snapshot.ts";
import { until } from "../wait.ts";
import { Out } from "../../src/ffi/abi.ts";
import { loadNative } from "../../src/ffi/load.ts";
import { run, spawn, SpawnError } from "../../src/index.ts";

for (const f of faultChecks) {
  test(f.name, async () => {
    const problem = await f.check();
    assert.equal(problem, null, problem ?? "");
  }, 60000);
}

test("cgroup: a cgroup v1 directory is a synchronous SpawnError on every mechanism", async () => {
  const dir = cgroup1Dir();
  assert.ok(dir, "this test needs a cgroup v1 hierarchy (hybrid machines mount them under /sys/fs/cgroup)");
  let err: unknown;
  try {
    spawn("true", { cgroup: dir });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SpawnError, String(err));
  assert.equal(err.code, "EOPNOTSUPP");
  assert.equal(err.step, "cgroup");
  assert.match(err.message, /not a cgroup v2 directory/);
  for (const mode of ["clone", "fork"]) {
    const r = await runFixture("rel-cgroup", [dir], { allowAll: true, exposeGc: true, env: { ASPAWN_MODE: mode }, timeoutMs: 60000 });
    assert.equal(r.code, 0, `${mode}: ${r.stdout}\n${r.stderr}`);
    assert.deepEqual(r.json, { thrown: "SpawnError EOPNOTSUPP cgroup" }, `${mode}: ${r.stdout}\n${r.stderr}`);
  }
}, 60000);

test("a child that cannot be watched (epoll_ctl fails) is killed and reaped, its fds closed, and spawn() throws SpawnError", async () => {
  await run("true"); // the reactor and the low-fd reserve exist
  await settle();
  const fds0 = openFds(), zombies0 = zombieChildren();
  // A kernel that refuses epoll_ctl is not something a test can ask for:
  // the native spawn's own watches are undone right after it, and its
  // result says they failed (ENOSPC, as a full epoll would), which is the
  // state asp_spawn_watch leaves when they do (a C test makes that happen).
  const native = loadNative() as unknown as Record<string, (...a: unknown[]) => number>;
  const spawnWatch = native.asp_spawn_watch!;
  native.asp_spawn_watch = (...a: unknown[]) => {
    const r = spawnWatch(...a), out = new Int32Array((a[2] as Uint8Array).buffer);
    if (r === 0) {
      native.asp_unwatch!(out[Out.STATUS]);
      native.asp_unwatch!(out[Out.PIDFD]);
      out[Out.DETAIL] = -28;
    }
    return r;
  };
  let err: unknown;
  try {
    spawn("sleep", ["30"], { stdout: "pipe", stderr: "pipe" });
  } catch (e) {
    err = e;
  } finally {
    native.asp_spawn_watch = spawnWatch;
  }
  assert.ok(err instanceof SpawnError, String(err));
  assert.equal(err.code, "ENOSPC");
  assert.ok(await until(() => zombieChildren() === zombies0 && childrenOfUs().every((p) => !alive(p) || !cmdline(p).includes("sleep")), 5000),
    "the child was reaped");
  await settle();
  assert.equal(openFds(), fds0, "fds back to where they were");
});
