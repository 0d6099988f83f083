// 2 000 spawns leave no fd open and no zombie behind.
import { assert, test } from "../adapter.ts";
import { run, spawn } from "../../src/index.ts";
import { fdSnapshot, notAFile } from "../fds.ts";
import { zombieChildren } from "../proc.ts";
import { settle } from "../snapshot.ts";
import { sleep } from "../wait.ts";

const ours = () => fdSnapshot().filter(notAFile);

/** The fds of ours open now that `before` lacks, once their count is back to
 * before's or two seconds have passed: what is still being released (Bun's
 * file stream over the notify pipe drops its dup a moment after going idle)
 * is no leak. */
async function leftSince(before: string[]): Promise<string[]> {
  for (let i = 0; i < 40 && ours().length > before.length; i++) await sleep(50);
  const had = new Set(before);
  return ours().filter((fd) => !had.has(fd));
}

test("leaks: 2 000 spawns and runs leave no fd and no zombie", async () => {
  await run("true"); // warm up: library, reactor channel, pooled stacks
  await settle();
  const before = ours();
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
  assert.equal(zombieChildren(), 0);
  const left = await leftSince(before);
  assert.equal(ours().length, before.length, `fds left open: ${left.join(", ")}`);
}, 120000);
