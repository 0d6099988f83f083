// Termination: group kills right after spawn, groups the child only joined,
// timer bounds. Each case failed before its fix.
import { readFileSync } from "node:fs";
import { assert, nativeTest, test } from "../adapter.ts";
import { runSync, spawn } from "../../src/index.ts";
import { alive, procState } from "../proc.ts";
import { sleep, until } from "../wait.ts";

nativeTest(["processGroup"], "terminate: abort, dispose and kill({ group }) right after spawn reach a leader that has not run setsid yet", async () => {
  for (let i = 0; i < 20; i++) {
    const aborted = spawn("sleep", ["5"], { setsid: true, stdout: "ignore", signal: AbortSignal.abort() });
    assert.equal((await aborted.exited).signal, "SIGTERM", `abort, round ${i}`);

    const disposed = spawn("sleep", ["5"], { processGroup: true, stdout: "ignore" });
    await disposed[Symbol.asyncDispose]();
    assert.equal(disposed.exitStatus?.signal, "SIGTERM", `dispose, round ${i}`);

    const killed = spawn("sleep", ["5"], { processGroup: true, stdout: "ignore" });
    assert.equal(killed.kill("SIGTERM", { group: true }), true, `kill, round ${i}`);
    assert.equal((await killed.exited).signal, "SIGTERM", `kill, round ${i}`);
  }
});

nativeTest(["processGroup"], "terminate: timeout and abort spare a process group the child only joined", async () => {
  const leader = spawn("sleep", ["5"], { processGroup: true, stdout: "ignore" });
  await leader.spawned;
  const joiner = spawn("sleep", ["5"], { processGroup: leader.pid, stdout: "ignore", timeout: 50 });
  assert.equal((await joiner.exited).signal, "SIGTERM");
  await sleep(50);
  assert.ok(alive(leader.pid), "the group's leader survives the member's timeout");
  // Asked for explicitly, the group is signalled.
  const member = spawn("sleep", ["5"], { processGroup: leader.pid, stdout: "ignore" });
  await member.spawned;
  assert.equal(member.kill("SIGKILL", { group: true }), true);
  assert.equal((await member.exited).signal, "SIGKILL");
  assert.equal((await leader.exited).signal, "SIGKILL");
});

test("terminate: timeout Infinity is no timeout; timers past 2 ** 31 - 1 ms are TypeErrors, not immediate", async () => {
  const p = spawn("sleep", ["0.3"], { stdout: "ignore", timeout: Infinity, forceKillAfter: Infinity });
  const s = await p.exited;
  assert.equal(s.exitCode, 0);
  assert.equal(s.signal, null);
  for (const bad of [{ timeout: 2 ** 31 }, { timeout: 2 ** 32 }, { forceKillAfter: 2 ** 32 }, { timeout: -1 }]) {
    assert.throws(() => spawn("true", [], bad), /from 0 to 2147483647, or Infinity/, JSON.stringify(bad));
  }
});

test("terminate: a stopped child (SIGSTOP) is continued after killSignal, so a timeout, an abort or dispose ends it without waiting out forceKillAfter", async () => {
  for (const how of ["timeout", "abort", "dispose"] as const) {
    const ac = new AbortController();
    const p = spawn("sleep", ["30"], { stdout: "ignore", forceKillAfter: 20000, ...(how === "timeout" ? { timeout: 2000 } : how === "abort" ? { signal: ac.signal } : {}) });
    await p.spawned;
    assert.equal(p.kill("SIGSTOP"), true);
    await sleep(50);
    const t0 = Date.now();
    if (how === "abort") ac.abort();
    if (how === "dispose") await p[Symbol.asyncDispose]();
    // It was SIGKILLed after forceKillAfter (here 20 s), SIGTERM pending all along.
    assert.equal((await p.exited).signal, "SIGTERM", how);
    assert.ok(Date.now() - t0 < 8000, `${how}: ended after ${Date.now() - t0} ms`);
  }
});

test("terminate: a killSignal that stops (SIGSTOP) is not undone by the SIGCONT a stop sends", async () => {
  // SIGSTOP: SIGTSTP to a child of an orphaned process group (a CI job's setsid) is discarded by the kernel.
  for (const killSignal of ["SIGSTOP"] as const) {
    const p = spawn("sleep", ["30"], { stdout: "ignore", timeout: 100, killSignal, forceKillAfter: Infinity });
    await p.spawned;
    // The timeout sent killSignal; a SIGCONT after it resumed the child (state S).
    assert.ok(await until(() => procState(p.pid) === "T", 3000), `${killSignal}: state ${procState(p.pid)}`);
    await sleep(100);
    assert.equal(procState(p.pid), "T", `${killSignal}: stays stopped`);
    p.kill("SIGKILL");
    assert.equal((await p.exited).signal, "SIGKILL");
  }
});

nativeTest(["runSync escalation"], "terminate: runSync()'s timeout continues a stopped child, which then acts on killSignal", () => {
  const t0 = Date.now();
  // The child stops itself: SIGTERM stayed pending until SIGKILL came after forceKillAfter (20 s).
  const r = runSync("sh", ["-c", "kill -STOP $$; sleep 30"], { timeout: 300, forceKillAfter: 20000, reject: false });
  assert.equal(r.signal, "SIGTERM");
  assert.ok(Date.now() - t0 < 8000, `ended after ${Date.now() - t0} ms`);
});

nativeTest(["tree kill without --allow-all"], "terminate: kill(SIGTSTP, { tree: true }) leaves the tree stopped (the tree's SIGCONT follows only signals that do not stop)", async () => {
  const p = spawn("sh", ["-c", "sleep 30 & wait"], { stdout: "ignore" });
  const kids = () => readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number);
  assert.ok(await until(() => kids().length === 1, 3000), "sleep started");
  const [sleeper] = kids();
  assert.equal(p.kill("SIGTSTP", { tree: true }), true);
  await sleep(100);
  // Was S and S: the walk's SIGCONT undid the SIGTSTP it had just sent.
  assert.deepEqual([procState(p.pid), procState(sleeper!)], ["T", "T"]);
  p.kill("SIGKILL", { tree: true });
  await p.exited;
});
