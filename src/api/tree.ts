/**
 * Signalling a child and every descendant, including those that left its
 * process group or session. Each process is stopped (SIGSTOP) before its
 * children are listed, so none can escape by forking meanwhile; the signal
 * then goes to all of them, and SIGCONT lets stopped ones act on it.
 *
 * Limits: needs /proc (and --allow-read on Deno); a descendant whose parent
 * already died was reparented to init (or a subreaper) and is out of reach —
 * only a cgroup of its own (the `cgroup` option; cgroup.kill for SIGKILL)
 * catches those.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Native } from "../ffi/symbols.ts";

const SIGSTOP = 19, SIGCONT = 18, SIGKILL = 9;

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // gone
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").split(" ")) {
        if (c.trim()) out.push(Number(c));
      }
    } catch {
      // task gone meanwhile
    }
  }
  return out;
}

/** Signal the tree under a child we hold a pidfd for; false if the child is gone. */
export function killTree(native: Native, pidfd: number, pid: number, signal: number, cgroup?: string): boolean {
  if (cgroup && signal === SIGKILL) {
    try {
      writeFileSync(`${cgroup}/cgroup.kill`, "1");
      return true;
    } catch {
      // no cgroup.kill (kernel < 5.14): walk /proc instead
    }
  }
  if (native.asp_kill(pidfd, pid, SIGSTOP) !== 0) return false;
  const found = new Set<number>([pid]);
  // Until a whole pass finds nobody new: a process stopped late may have
  // forked before it stopped.
  for (let grew = true; grew;) {
    grew = false;
    for (const p of [...found]) {
      for (const c of childrenOf(p)) {
        if (found.has(c)) continue;
        native.asp_kill(-1, c, SIGSTOP);
        found.add(c);
        grew = true;
      }
    }
  }
  for (const p of found) {
    if (p === pid) native.asp_kill(pidfd, pid, signal);
    else native.asp_kill(-1, p, signal);
  }
  if (signal !== SIGSTOP) {
    for (const p of found) {
      if (p === pid) native.asp_kill(pidfd, pid, SIGCONT);
      else native.asp_kill(-1, p, SIGCONT);
    }
  }
  return true;
}
