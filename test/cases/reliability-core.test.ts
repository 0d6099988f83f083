/**
 * Reliability of the native core under hostile conditions (issue 12): a low
 * RLIMIT_NOFILE, a process started with stdio closed, Workers that end while
 * their children run, cgroup directories that are not cgroup v2.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { assert, test } from "../adapter.ts";
import { runHard, settle } from "../hard-util.ts";
import { alive, childrenOfUs, openFds, until, zombieChildren } from "../util.ts";
import { getChannel } from "../../src/ffi/channel.ts";
import { run, spawn, SpawnError } from "../../src/index.ts";

const show = (r: { code: number | null; signal: string | null; stdout: string; stderr: string }) =>
  `exit ${r.code} ${r.signal}\n${r.stdout}\n${r.stderr.slice(-2000)}`;

test("a low RLIMIT_NOFILE: the library takes a small share, and running out is a SpawnError EMFILE it recovers from", async () => {
  const r = await runHard("rel-low-fds", ["128"], { ulimit: "-n 128", timeoutMs: 60000 });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, {
    loadExhausted: "SpawnError EMFILE",
    reactorExhausted: "SpawnError EMFILE",
    fewLeft: "exit 0",
    libraryFds: r.json.libraryFds,
    canOpen: true,
    spawnExhausted: "SpawnError EMFILE",
    afterRelease: "exit 0",
  }, show(r));
  // The reactor's fixed cost (epoll, eventfd, a notify pipe, the runtime's
  // watcher of it); no reserve of low numbers with so few left.
  assert.ok(r.json.libraryFds <= 6, `the library kept ${r.json.libraryFds} fds of the 12 left`);
}, 60000);

test("started with fds 0-2 closed: no fd of the library lands there, and a closed fd named in stdio is EBADF", async () => {
  const file = `${mkdtempSync(`${tmpdir()}/aspawn-`)}/out.json`;
  const r = await runHard("rel-closed-stdio", [file], { redirect: "0<&- 1>&- 2>&-", timeoutMs: 60000 });
  assert.equal(r.code, 0, show(r));
  const o = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(o.firstRun, "ran", JSON.stringify(o));
  assert.deepEqual(o.taken, [], JSON.stringify(o));
  if (o.closedAtStart[1]) assert.equal(o.inheritClosedStdout, "EBADF", JSON.stringify(o));
  assert.equal(o.inheritClosedFd, "EBADF", JSON.stringify(o));
}, 60000);

test("Workers that end while their children run: every child reaped, every fd released, death signals delivered", async () => {
  const r = await runHard("rel-worker-end", [], { bundles: ["rel-worker-end-worker"], timeoutMs: 60000 });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.json, {
    leftRunning: 20,
    reapedA: true,
    reapedB: true,
    reapedC: true,
    survivorsC: 0,
    zombies: 0,
    fdsLeaked: r.json.fdsLeaked,
  }, show(r));
  assert.ok(r.json.fdsLeaked <= 4, `${r.json.fdsLeaked} fds left behind by 80 children of ended Workers`);
}, 60000);

/** A directory of a cgroup v1 hierarchy, if this machine mounts one (hybrid). */
function cgroup1Dir(): string | null {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.startsWith("cgroup ")) return left!.split(" ")[4]!;
  }
  return null;
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
    const r = await runHard("rel-cgroup", [dir], { env: { ASPAWN_MODE: mode }, timeoutMs: 60000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(r.json, { thrown: "SpawnError EOPNOTSUPP cgroup" }, `${mode}: ${show(r)}`);
  }
}, 60000);

test("a child that cannot be watched (epoll_ctl fails) is killed and reaped, its fds closed, and spawn() throws SpawnError", async () => {
  await run("true"); // the reactor and the low-fd reserve exist
  await settle();
  const fds0 = openFds(), zombies0 = zombieChildren();
  // The failure is injected in our own Channel (a kernel that refuses
  // epoll_ctl is not something a test can ask for): the second watch, the
  // pidfd's, fails as a full epoll (ENOSPC) would.
  const channel = getChannel() as unknown as { watch: (...a: unknown[]) => number };
  const watch = channel.watch;
  let calls = 0;
  channel.watch = function (this: unknown, ...a: unknown[]) {
    if (++calls === 2) throw Object.assign(new Error("injected"), { errno: 28 });
    return watch.apply(this, a);
  };
  let err: unknown;
  try {
    spawn("sleep", ["30"], { stdout: "pipe", stderr: "pipe" });
  } catch (e) {
    err = e;
  } finally {
    channel.watch = watch;
  }
  assert.ok(err instanceof SpawnError, String(err));
  assert.equal(err.code, "ENOSPC");
  assert.ok(await until(() => zombieChildren() === zombies0 && childrenOfUs().every((p) => !alive(p) || !cmdline(p).includes("sleep")), 5000),
    "the child was reaped");
  await settle();
  assert.equal(openFds(), fds0, "fds back to where they were");
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}
