// 2 000 spawns leave no fd open and no zombie behind.
import { assert, test } from "../adapter.ts";
import { run, spawn } from "../../src/index.ts";
import { openFds } from "../fds.ts";
import { zombieChildren } from "../proc.ts";
import { sleep } from "../wait.ts";

/** Bun's file stream over the notify pipe holds a dup of the pipe while it
 * runs and drops it a moment after going idle: let that happen. */
async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 20; i++) {
    await sleep(25);
    const now = openFds();
    if (now === last) return;
    last = now;
  }
}

test("leaks: 2 000 spawns and runs leave no fd and no zombie", async () => {
  await run("true"); // warm up: library, reactor channel, pooled stacks
  await settle();
  const fds = openFds();
  const batch = 32;
  for (let i = 0; i < 2000; i += batch) {
    const jobs: Promise<unknown>[] = [];
    for (let k = 0; k < batch; k++) {
      if (k % 4 === 0) jobs.push(run("sh", ["-c", "echo x"]));
      else if (k % 4 === 1) jobs.push(spawn("/nonexistent").exited.catch(() => {}));
      else if (k % 4 === 2) {
        const p = spawn("sh", ["-c", "echo y"]);
        jobs.push((async () => {
          for await (const _ of p.stdout!) { /* drain */ }
          await p.exited;
        })());
      } else {
        const p = spawn("sleep", ["10"], { stdout: "ignore" });
        p.kill();
        jobs.push(p.exited);
      }
    }
    await Promise.all(jobs);
  }
  await settle();
  assert.equal(zombieChildren(), 0);
  assert.equal(openFds(), fds);
}, 120000);
