/**
 * Processes as /proc shows them: state, parent, status fields. Every reader
 * tolerates a process vanishing between listing and reading — children exit
 * while tests look.
 */
import { readdirSync, readFileSync } from "node:fs";
import { sleep } from "./wait.ts";

/** Field k (1-based, as in proc(5)) of a /proc/<pid>/stat line. The comm
 * (field 2) may hold spaces and parentheses: count from its last ")". */
export function statField(stat: string, k: number): string {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  return fields[k - 3]!;
}

/** A "Key:\tvalue" line of /proc/<pid>/status or limits-like text. */
export function statusField(text: string, key: string): string {
  const line = text.split("\n").find((l) => l.startsWith(`${key}:`));
  if (line === undefined) throw new Error(`no ${key} in:\n${text}`);
  return line.slice(key.length + 1).trim();
}

/** A numeric field of /proc/PID/status ("Threads", "VmRSS" in kB, ...). */
export function procStatus(field: string, pid: number | "self" = "self"): number {
  const m = /^\d+/.exec(statusField(readFileSync(`/proc/${pid}/status`, "utf8"), field));
  if (!m) throw new Error(`no number in ${field} of /proc/${pid}/status`);
  return Number(m[0]);
}

/** A hex signal mask of /proc/self/status ("SigIgn", "SigCgt", ...). */
export function sigMask(field: string): bigint {
  return BigInt(`0x${statusField(readFileSync("/proc/self/status", "utf8"), field)}`);
}

/** Every pid in /proc, with `read` applied; null results (or a process gone meanwhile) left out. */
export function processes<T>(read: (pid: number) => T | null): T[] {
  const out: T[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const v = read(Number(name));
      if (v !== null) out.push(v);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8");

/** A process's state letter (R, S, Z, ...), or null once it is gone. */
export function procState(pid: number): string | null {
  try {
    return statField(stat(pid), 3);
  } catch {
    return null;
  }
}

/** Whether a pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  const s = procState(pid);
  return s !== null && s !== "Z";
}

/** esbuild's service: the bundling helpers (bundle.ts, worker-host.ts) start it and keep it. */
const testTool = /\/esbuild\0--service=/;

/**
 * Our live children (and unreaped ones), but the test tools' own: Bun runs
 * every test file in one process, so a service an earlier file started is
 * there for the later ones.
 */
export const childrenOfUs = (): number[] =>
  processes((pid) => (Number(statField(stat(pid), 4)) === process.pid && !testTool.test(cmdline(pid)) ? pid : null));

/** Our children that exited but were not reaped. */
export const zombieChildren = (): number =>
  processes((pid) => {
    const s = stat(pid);
    return statField(s, 3) === "Z" && Number(statField(s, 4)) === process.pid ? pid : null;
  }).length;

/** The NUL-separated argv of a process ("" once gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/** Descendant pids of pid (through /proc/<pid>/task/<tid>/children). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids = "";
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, "utf8");
      } catch {
        continue;
      }
      for (const c of kids.split(" ").filter(Boolean).map(Number)) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/** ms until `pid` is gone or a zombie, or null after `limitMs`. */
export async function waitDead(pid: number, limitMs: number): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    const ms = performance.now() - t0;
    if (!alive(pid)) return ms;
    if (ms > limitMs) return null;
    await sleep(5);
  }
}
