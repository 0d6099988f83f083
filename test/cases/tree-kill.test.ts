// kill({ tree: true }): every descendant, forking or not; never a process
// outside the tree (cgroup.kill); the same with Deno's narrow permissions.
import { readFileSync } from "node:fs";
import { assert, nativeTest, test } from "../adapter.ts";
import { makeCgroup } from "../cgroup.ts";
import { runFixture } from "../fixtures.ts";
import { repoRoot } from "../repo-root.ts";
import { alive, descendants, processes, procState, statField } from "../proc.ts";
import { sleep, until } from "../wait.ts";
import { spawn, type Subprocess } from "../../src/index.ts";
import { killTree } from "../../src/portable/tree.ts";
import { errnoOf } from "../../src/api/errno.ts";

/** "pid state ppid (comm)": what a survivor was, for the failure message. */
function describe(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return `${pid} ${statField(stat, 3)} ppid ${statField(stat, 4)} ${stat.slice(stat.indexOf("("), stat.lastIndexOf(")") + 1)}`;
  } catch {
    return `${pid} gone`;
  }
}

/** Live processes whose environment holds `mark` (it is inherited by every descendant). */
function marked(mark: string): number[] {
  return processes((pid) => (readFileSync(`/proc/${pid}/environ`, "latin1").includes(mark) && alive(pid) ? pid : null));
}

/**
 * `rounds` trees, each started by `start` with a mark in its environment,
 * readied by `ready`, tree-killed (SIGKILL and SIGTERM in turn, unless
 * `signalOf` says); what of them
 * is still alive afterwards, described.
 */
async function survivors(
  rounds: number,
  start: (env: Record<string, string>) => Subprocess,
  ready: (p: Subprocess, round: number) => Promise<void>,
  signalOf: (round: number) => "SIGTERM" | "SIGKILL" = (round) => (round % 2 ? "SIGTERM" : "SIGKILL"),
): Promise<string[]> {
  const escaped: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const mark = `${process.pid}-${Date.now()}-${round}`;
    const p = start({ ASPAWN_TREE_MARK: mark });
    await ready(p, round);
    assert.equal(p.kill(signalOf(round), { tree: true }), true);
    await p.exited;
    // 1200 processes may take a while to die on a loaded machine; one that
    // escaped lives on (sleep 30).
    await until(() => marked(`ASPAWN_TREE_MARK=${mark}`).length === 0, 5000);
    const left = marked(`ASPAWN_TREE_MARK=${mark}`);
    escaped.push(...left.map(describe));
    for (const pid of left) process.kill(pid, "SIGKILL");
  }
  return escaped;
}

test("tree kill: forking grandchildren that called setsid, killed while they fork, leave no survivor", async () => {
  // Three forkers in sessions of their own, each starting sleeps as fast as
  // sh can (400 at most); killed at varying moments, 15 times.
  const forker = `i=0; while [ $i -lt 400 ]; do sleep 30 & i=$((i+1)); done; wait`;
  const script = `for n in 1 2 3; do setsid sh -c '${forker}' & done; wait`;
  const escaped = await survivors(15, (env) => spawn("sh", ["-c", script], { stdout: "ignore", env }), async (p, round) => {
    await p.spawned;
    assert.ok(await until(() => descendants(p.pid).length >= 3 + 4 * (round % 8)), "the forkers started");
  });
  assert.deepEqual(escaped, [], "no process of the trees survived");
}, 120000);

test("tree kill: a forker whose threads fork, killed with SIGKILL while they fork, leaves no survivor", async () => {
  // Every thread must be stopped before a process's children are final: a
  // fork on another thread completes after the main thread stopped. SIGKILL
  // only: another signal acts once the process continues, when its other
  // threads may still fork (README, kill with tree).
  const forker = `${repoRoot}test/fixtures/tree-threaded-forker.cjs`;
  const escaped = await survivors(12, (env) => spawn("/usr/bin/node", [forker], { env, stderr: "inherit" }), async (p, round) => {
    assert.equal((await p.lines().next()).value, "ready");
    await sleep(5 * round);
  }, () => "SIGKILL");
  assert.deepEqual(escaped, [], "no process of the trees survived");
}, 60000);

test("tree kill: out of fds, the walk fails whole: kill() throws EMFILE, nothing is signalled, nothing left stopped", async () => {
  // A walk that cannot read /proc knows the tree only in part: it must not
  // kill that part and report success (the portable walk once took every
  // failed read for a process gone).
  const r = await runFixture("tree-out-of-fds", [], { allowAll: true, ulimit: "-n 256", timeoutMs: 30000 });
  assert.deepEqual(r.json, { members: 3, thrown: "EMFILE", states: ["S", "S", "S"], killedAfter: true, left: 0 }, r.stderr);
});

test("tree kill: the portable walk without children files (scanning /proc) ends the whole tree", async () => {
  // Kernels without CONFIG_PROC_CHILDREN: the walk once saw no descendants there.
  const p = spawn("sh", ["-c", "sh -c 'sleep 30 & wait' & sleep 30 & wait"], { stdout: "ignore" });
  await p.spawned;
  assert.ok(await until(() => descendants(p.pid).length === 3), "the tree started");
  const tree = [p.pid, ...descendants(p.pid)];
  const sent = new Set<number>();
  const send = (pid: number, signal: number): number => {
    sent.add(pid);
    try {
      process.kill(pid, signal);
      return 0;
    } catch (e) {
      return -errnoOf(e);
    }
  };
  assert.equal(killTree(p.pid, 9, send, true), 1);
  assert.deepEqual([...sent].sort(), [...tree].sort(), "every member was signalled");
  await p.exited;
  assert.ok(await until(() => tree.every((pid) => !alive(pid)), 5000), `all gone: ${tree.map(describe)}`);
});

test("tree kill: a signal that cannot be sent after the tree was stopped leaves nothing stopped", async () => {
  // Deno's portable backend cannot send real-time signals: it throws once
  // the walk has stopped the tree, which must be continued all the same.
  // Elsewhere the signal is sent, and its default action ends the tree.
  const p = spawn("sh", ["-c", "sleep 30 & wait"], { stdout: "ignore" });
  await p.spawned;
  assert.ok(await until(() => descendants(p.pid).length === 1), "the sleep started");
  const tree = [p.pid, ...descendants(p.pid)];
  let threw: unknown;
  try {
    p.kill("SIGRTMIN", { tree: true });
  } catch (e) {
    threw = e;
  }
  if (threw !== undefined) {
    assert.ok(threw instanceof TypeError, `a TypeError: ${threw}`);
    assert.ok(await until(() => tree.every((pid) => procState(pid) === "S")), `none left stopped: ${tree.map(describe)}`);
    p.kill("SIGKILL", { tree: true });
  }
  await p.exited;
  assert.ok(await until(() => tree.every((pid) => !alive(pid)), 5000), `all gone: ${tree.map(describe)}`);
});

nativeTest(["cgroup"], "tree kill: SIGKILL spares a sibling child in the same cgroup, and still uses cgroup.kill when the tree is alone", async () => {
  const { dir, remove } = makeCgroup("tree-sibling");
  try {
    const sibling = spawn("sleep", ["100"], { cgroup: dir, stdout: "ignore" });
    const target = spawn("sh", ["-c", "sleep 100 & wait"], { cgroup: dir, stdout: "ignore" });
    assert.ok(await until(() => descendants(target.pid).length === 1));
    const grandchild = descendants(target.pid)[0]!;
    assert.equal(target.kill("SIGKILL", { tree: true }), true);
    assert.equal((await target.exited).signal, "SIGKILL");
    assert.ok(await until(() => !alive(grandchild)), "the grandchild is gone");
    await sleep(100);
    assert.ok(alive(sibling.pid) && sibling.exitStatus === null, "the sibling lives");
    assert.equal(sibling.kill("SIGKILL"), true);
    await sibling.exited;

    // Alone in its cgroup, a tree loses even a descendant reparented before
    // the kill (out of the walk's reach): cgroup.kill was used.
    const lone = spawn("sh", ["-c", "sh -c 'sleep 100 & echo $!' ; exec sleep 100"], { cgroup: dir });
    const orphan = Number((await lone.lines().next()).value);
    assert.ok(await until(() => alive(orphan) && !descendants(lone.pid).includes(orphan)), "reparented");
    assert.equal(lone.kill("SIGKILL", { tree: true }), true);
    await lone.exited;
    assert.ok(await until(() => !alive(orphan)), "the reparented descendant is gone");
  } finally {
    await remove();
  }
});

nativeTest(["cgroup"], "tree kill: a caller living in the child's cgroup survives a SIGKILL tree kill", async () => {
  const { dir, remove } = makeCgroup("tree-caller");
  try {
    const r = await runFixture("tree-cgroup-caller", [dir]);
    assert.equal(r.signal, null, `the caller was killed: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    const [result, survived] = r.stdout.trim().split("\n");
    assert.deepEqual(JSON.parse(result!), { killed: true, signal: "SIGKILL", grandchildDead: true });
    assert.equal(survived, "survived");
  } finally {
    await remove();
  }
}, 30000);

nativeTest(["tree kill without --allow-all"], "tree kill: works with the permissions the README names (Deno: no --allow-all)", async () => {
  const r = await runFixture("tree-kill");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { killed: true, parentSignal: "SIGTERM", grandchildDead: true });
}, 30000);
