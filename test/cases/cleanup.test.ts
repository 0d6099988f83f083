/**
 * cleanup (the default): a child dies with the process that spawned it,
 * however that process ends; a daemon (setsid, processGroup: true) or a
 * child spawned with cleanup: false lives on.
 */
import { assert, nativeTest, test } from "../adapter.ts";
import { runFixture, showFixture } from "../fixtures.ts";
import { procState, waitDead } from "../proc.ts";
import { sleep } from "../wait.ts";
import { spawn } from "../../src/index.ts";

async function orphan(mode: string): Promise<number> {
  const r = await runFixture("cleanup", [mode], { timeoutMs: 60_000 });
  const m = /child (\d+)/.exec(r.stdout);
  assert.ok(m, `${mode}: no pid\n${showFixture(r)}`);
  return Number(m![1]);
}

nativeTest(["cleanup by the kernel"], "cleanup: the child dies however its parent ends", async () => {
  for (const mode of ["exit", "end", "throw", "sigterm", "sigkill", "sigkill-signal"]) {
    const pid = await orphan(mode);
    const ms = await waitDead(pid, 5000);
    if (ms === null) process.kill(pid, "SIGKILL");
    assert.ok(ms !== null, `${mode}: child ${pid} still ${procState(pid)} 5 s after its parent ended`);
  }
}, 120_000);

nativeTest(["processGroup", "cleanup by the kernel"], "cleanup: true also for a daemon (setsid, processGroup: true)", async () => {
  for (const mode of ["setsid-cleanup", "group-cleanup"]) {
    const pid = await orphan(mode);
    const ms = await waitDead(pid, 5000);
    if (ms === null) process.kill(pid, "SIGKILL");
    assert.ok(ms !== null, `${mode}: child ${pid} still ${procState(pid)} 5 s after its parent ended`);
  }
}, 60_000);

nativeTest(["processGroup"], "cleanup: a daemon, or cleanup: false, outlives its parent", async () => {
  for (const mode of ["setsid", "group", "no-cleanup"]) {
    const pid = await orphan(mode);
    await sleep(300);
    const state = procState(pid);
    if (state !== null) process.kill(pid, "SIGKILL");
    assert.ok(state !== null && state !== "Z", `${mode}: the child lives on (state ${state})`);
  }
}, 120_000);

test("cleanup: must be a boolean", () => {
  assert.throws(() => spawn("true", { cleanup: 1 as unknown as boolean }), /cleanup must be a boolean, got 1$/);
});
