/**
 * /proc read by a child of ours, for fixtures that run with only the
 * permissions the README names: under those Deno refuses every read of
 * /proc, and a child's is no read of ours.
 */
import { run } from "../src/index.ts";
import { sleep } from "./wait.ts";

/** State letter of a process ("" once gone). */
export async function stateByChild(pid: number): Promise<string> {
  const r = await run("cat", [`/proc/${pid}/stat`], { reject: false, stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.slice(r.stdout.lastIndexOf(")") + 2)[0]! : "";
}

/** Whether `pid` is gone (or a zombie) within 2 s; one that is not is SIGKILLed, so that no fixture leaves it running. */
export async function deadOrKilled(pid: number): Promise<boolean> {
  let s = await stateByChild(pid);
  for (let i = 0; i < 100 && s !== "" && s !== "Z"; i++) {
    await sleep(20);
    s = await stateByChild(pid);
  }
  const dead = s === "" || s === "Z";
  if (!dead) await run("kill", ["-KILL", String(pid)]);
  return dead;
}
