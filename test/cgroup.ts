/** cgroup directories for tests. These machines mount v1 and v2 side by side (hybrid). */
import { mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { sleep } from "./wait.ts";

/** Mount point of the first hierarchy of `fstype` in /proc/self/mountinfo, or null. */
function mountOf(fstype: "cgroup" | "cgroup2"): string | null {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.startsWith(`${fstype} `)) return left!.split(" ")[4]!;
  }
  return null;
}

/** Mount point of the cgroup v2 hierarchy (hybrid machines: /sys/fs/cgroup/unified). */
export const cgroup2Root = () => mountOf("cgroup2");

/** A directory of a cgroup v1 hierarchy, if this machine mounts one. */
export const cgroup1Dir = () => mountOf("cgroup");

/** A fresh cgroup v2 directory named after `tag`, and its removal. */
export function makeCgroup(tag: string): { dir: string; remove(): Promise<void> } {
  const root = cgroup2Root();
  if (!root) throw new Error("no cgroup2 mount in /proc/self/mountinfo");
  const dir = `${root}/aspawn-${tag}-${process.pid}-${Date.now()}`;
  mkdirSync(dir);
  return {
    dir,
    async remove() {
      // EBUSY for a moment after the last process left.
      for (let i = 0;; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch (e) {
          if (i > 100) throw e;
          await sleep(20);
        }
      }
    },
  };
}
