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
import { getChannel } from "../../src/ffi/channel.ts";
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
  // The failure is injected in our own Channel (a kernel that refuses
  // epoll_ctl is not something a test can ask for): the child's two watches
  // (status pipe and pidfd, one native call that leaves neither watched when
  // one fails: a C test checks that) fail as a full epoll (ENOSPC) would.
  const channel = getChannel() as unknown as { watch2: (...a: unknown[]) => void };
  const watch2 = channel.watch2;
  channel.watch2 = function () {
    throw Object.assign(new Error("injected"), { errno: 28 });
  };
  let err: unknown;
  try {
    spawn("sleep", ["30"], { stdout: "pipe", stderr: "pipe" });
  } catch (e) {
    err = e;
  } finally {
    channel.watch2 = watch2;
  }
  assert.ok(err instanceof SpawnError, String(err));
  assert.equal(err.code, "ENOSPC");
  assert.ok(await until(() => zombieChildren() === zombies0 && childrenOfUs().every((p) => !alive(p) || !cmdline(p).includes("sleep")), 5000),
    "the child was reaped");
  await settle();
  assert.equal(openFds(), fds0, "fds back to where they were");
});
