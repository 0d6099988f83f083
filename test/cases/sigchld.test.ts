// Issue 12, item 5: started with SIGCHLD ignored (kept through exec by Bun
// and Deno), every child was reaped by the kernel and every ExitStatus was
// { exitCode: null, signal: null }. The library resets that disposition.
import { spawn } from "node:child_process";
import { assert, test } from "../adapter.ts";
import { fixtureCommand } from "../fixtures.ts";

const root = decodeURIComponent(new URL("../..", import.meta.url).pathname);

/** Runs a command through perl, which sets SIGCHLD to SIG_IGN and execs it. */
function underIgnoredSigchld(cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const launcher = ["-e", '$SIG{CHLD} = "IGNORE"; exec @ARGV or die "exec: $!"', "--", ...cmd];
  return new Promise((resolve, reject) => {
    const child = spawn("perl", launcher, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("sigchld: exit statuses are right when SIGCHLD was inherited as SIG_IGN", async () => {
  // The launcher hands SIG_IGN through exec (SigIgn bit 16: SIGCHLD).
  const probe = await underIgnoredSigchld(["cat", "/proc/self/status"]);
  const sigIgn = /^SigIgn:\s*([0-9a-f]+)$/m.exec(probe.stdout)![1]!;
  assert.equal((BigInt("0x" + sigIgn) >> 16n) & 1n, 1n, sigIgn);
  const r = await underIgnoredSigchld(await fixtureCommand("sigchld-statuses"));
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.deepEqual(out.three, [3, null]);
  assert.deepEqual(out.killed, [null, "SIGKILL"]);
  assert.deepEqual(out.ok, [0, "fine\n"]);
}, 60000);
