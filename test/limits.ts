/** RLIMIT_NOFILE and RLIMIT_AS: read from /proc, changed from outside with util-linux prlimit. */
import { readFileSync } from "node:fs";
import { run } from "../src/index.ts";

export function nofileLimit(pid: number | "self" = "self"): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.slice(25).trim().split(/\s+/).map((v) => (v === "unlimited" ? Infinity : Number(v)));
  return { soft: soft!, hard: hard! };
}

/** Change a process's soft and hard limit. The runtimes offer no setrlimit:
 * util-linux prlimit does it from outside, spawned through our own run(). */
export async function prlimit(pid: number, resource: "nofile" | "as", soft: number | "unlimited", hard: number | "unlimited"): Promise<void> {
  await run("prlimit", ["--pid", String(pid), `--${resource}=${soft}:${hard}`]);
}
