/**
 * What the run left behind: open fds, live children and zombies. Children
 * still alive are ours (listed in /proc/self/task/N/children) and are
 * SIGKILLed by pid, so a failed run leaves nothing running.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import process from "node:process";
import type { Leftovers } from "./results.ts";

/** Our open fds as "fd -> what it is", so what a run leaves open can be named. */
export function openFds(): string[] {
  const fds: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      fds.push(`${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`);
    } catch {
      // the fd readdir itself used, closed by now
    }
  }
  return fds;
}

function children(): number[] {
  const pids: number[] = [];
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const list = readFileSync(`/proc/self/task/${tid}/children`, "utf8").trim();
      if (list) pids.push(...list.split(" ").map(Number));
    } catch {
      // the thread ended meanwhile
    }
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

export function leftovers(start: string[]): Leftovers {
  const pids = children();
  const zombies = pids.filter(isZombie);
  const alive = pids.filter((p) => !zombies.includes(p));
  for (const pid of alive) process.kill(pid, "SIGKILL");
  const end = openFds();
  return {
    fdsStart: start.length,
    fdsEnd: end.length,
    newFds: end.filter((f) => !start.includes(f)),
    children: alive.length,
    zombies: zombies.length,
  };
}
