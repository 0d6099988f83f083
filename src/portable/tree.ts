/**
 * kill({ tree: true }) without the native library, as lib/c/tree.c does it
 * through /proc: stop each process (it can fork no more), wait until it is
 * stopped, list its children (each task's `children` file) and visit them;
 * then signal them all and let them continue. Without /proc (macOS,
 * Windows) it is a TypeError; Deno allows the reads only with --allow-all.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { platform } from "../ffi/runtime.ts";

const SIGSTOP = 19, SIGCONT = 18;
/** Longest wait for one process to stop: a process in uninterruptible sleep may take this long. */
const STOP_WAIT_MS = 500;

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "latin1").trim();
      if (list) for (const c of list.split(" ")) out.push(Number(c));
    }
  } catch {
    // Gone meanwhile: no children to find.
  }
  return out;
}

/** Stopped, dead or gone: it forks no more. */
function settled(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return /^[tTZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return true;
  }
}

/** Signal pid and its descendants with send(pid, signal) (0 or -errno); false when pid is gone. */
export function killTree(pid: number, signal: number, send: (pid: number, signal: number) => number): boolean {
  let proc: boolean;
  try {
    proc = existsSync("/proc/self/task");
  } catch (e) {
    // Deno lets JavaScript read /proc only with --allow-all (NotCapable).
    throw Object.assign(
      new Error(`kill({ tree: true }) reads /proc, which Deno allows only with --allow-all (portable backend): ${(e as Error).message}`),
      { code: "EACCES", cause: e },
    );
  }
  if (!proc) throw new TypeError(`kill({ tree: true }) needs /proc, which ${platform()} does not have (portable backend)`);
  const all: number[] = [];
  const seen = new Set<number>();
  const visit = (p: number) => {
    if (seen.has(p) || send(p, SIGSTOP) !== 0) return;
    seen.add(p);
    all.push(p);
    const until = performance.now() + STOP_WAIT_MS;
    while (!settled(p) && performance.now() < until);
    for (const c of childrenOf(p)) visit(c);
  };
  visit(pid);
  let sent = false;
  for (const p of all) if (send(p, signal) === 0 && p === pid) sent = true;
  if (signal !== SIGSTOP) for (const p of all) send(p, SIGCONT);
  return sent;
}
