/**
 * kill({ tree: true }) without the native library, as lib/c/tree.c does it
 * through /proc: stop each process (it can fork no more), wait until every
 * thread of it is stopped, list its children (each task's `children` file;
 * without those files, or access to them, every process of /proc whose parent
 * it is) and adopt those still its children; when a pass over all of them finds
 * nobody new, signal them all and let them continue. Without /proc (macOS,
 * Windows) it is a TypeError; Deno allows the reads only with --allow-all.
 *
 * Bound, as in C: a process not stopped within STOP_MS of the call, or
 * GRACE_MS of our wait for it after that, has its children listed anyway.
 * A read of /proc that fails for another reason than the process being
 * gone (EMFILE, ENOMEM) fails the walk, as in C: everything stopped is
 * continued, nothing is signalled, and kill() throws the errno — a tree
 * known only in part is not killed in part without a word.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { platform } from "../ffi/runtime.ts";
import { signalNumber, stops } from "../api/signals.ts";
import { EACCES, ENOENT, EPERM, errnoOf, ESRCH } from "../api/errno.ts";

const SIGSTOP = signalNumber("SIGSTOP"), SIGCONT = signalNumber("SIGCONT");
const STOP_MS = 1000, GRACE_MS = 5;

type Send = (pid: number, signal: number) => number;

/** A read of /proc failed while the process was there: the walk stops. */
class WalkFailed extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/** A failed read of a process's /proc entry: null when the process is gone, else WalkFailed. */
function gone(e: unknown): null {
  const errno = errnoOf(e);
  if (errno === ENOENT || errno === ESRCH) return null;
  throw new WalkFailed(errno);
}

/** State letter and parent of /proc/<path>/stat; null once gone. The comm may hold ") ": count from the last. */
function stat(path: string): { state: string; ppid: number } | null {
  try {
    const s = readFileSync(`/proc/${path}/stat`, "latin1");
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ", 2);
    return { state: rest[0]!, ppid: Number(rest[1]) };
  } catch (e) {
    return gone(e);
  }
}

function tasks(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch (e) {
    return gone(e) ?? [];
  }
}

/** Every thread stopped, dead or gone: the process forks no more. */
function stopped(pid: number): boolean {
  // T: stopped, t: stopped by a tracer, Z/X: dead
  return tasks(pid).every((t) => /^[tTZX]$/.test(stat(`${pid}/task/${t}`)?.state ?? "X"));
}

function waitStopped(pid: number, deadline: number): void {
  const t0 = performance.now();
  for (let t = t0; !stopped(pid) && (t < deadline || t - t0 < GRACE_MS); t = performance.now());
}

/** Kernels without CONFIG_PROC_CHILDREN have no `children` files. */
let childrenFiles: boolean | undefined;
function haveChildrenFiles(): boolean {
  return (childrenFiles ??= existsSync(`/proc/self/task/${readdirSync("/proc/self/task")[0]}/children`));
}

/** Every process whose parent is `pid`, from each one's stat: slow, but needs no children file. */
function scanChildren(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && stat(name)?.ppid === pid)
    .map(Number);
}

function childrenOf(pid: number, scan: boolean): number[] {
  if (scan) return scanChildren(pid);
  const out: number[] = [];
  for (const task of tasks(pid)) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "latin1").trim();
      if (list) for (const c of list.split(" ")) out.push(Number(c));
    } catch (e) {
      // As in C: a file missing (or the thread gone) or refused, the scan.
      const errno = errnoOf(e);
      if (errno === ENOENT || errno === EACCES || errno === EPERM) return scanChildren(pid);
      gone(e);
    }
  }
  return out;
}

/** Stopped members, in the order found; the first is the caller's child. */
class Tree {
  readonly all: number[] = [];
  readonly #seen = new Set<number>();
  constructor(
    readonly send: Send,
    readonly scan: boolean,
  ) {}

  /** Joins `pid`, stopped, unless it is gone, (its pid reused) no longer a child of `parent`, or not ours to signal. */
  adopt(pid: number, parent: number): void {
    if (this.#seen.has(pid)) return;
    if (stat(String(pid))?.ppid !== parent) return;
    if (this.send(pid, SIGSTOP) !== 0) return;
    this.join(pid);
  }

  join(pid: number): void {
    this.#seen.add(pid);
    this.all.push(pid);
  }

  /** Adds the children of every member, waiting for each to stop first. */
  walk(deadline: number): void {
    for (let i = 0; ; ) {
      for (; i < this.all.length; i++) {
        waitStopped(this.all[i]!, deadline);
        this.list(this.all[i]!);
      }
      // A process still running while its parent's children were listed may
      // have added one there since (clone with CLONE_PARENT).
      const before = this.all.length;
      for (let j = 0; j < before; j++) this.list(this.all[j]!);
      if (this.all.length === before) return;
    }
  }

  list(parent: number): void {
    for (const c of childrenOf(parent, this.scan)) this.adopt(c, parent);
  }
}

function checkProc(): void {
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
}

/**
 * Signal pid and its descendants with send(pid, signal) (0 or -errno): 1
 * once the tree was walked and signalled, 0 when pid is gone, -errno when
 * it could not be stopped or the walk failed (nothing signalled, everything
 * continued). `scan` finds children by scanning /proc, as on a kernel without
 * `children` files (the default there).
 */
export function killTree(pid: number, signal: number, send: Send, scan?: boolean): number {
  checkProc();
  const tree = new Tree(send, scan ?? !haveChildrenFiles());
  const r = send(pid, SIGSTOP);
  if (r < 0) return r === -ESRCH ? 0 : r;
  tree.join(pid);
  try {
    tree.walk(performance.now() + STOP_MS);
  } catch (e) {
    for (const p of tree.all) send(p, SIGCONT);
    if (e instanceof WalkFailed) return -e.errno;
    throw e;
  }
  // Continued whatever the sends do (a runtime may throw for a signal it
  // does not know): nothing is left stopped. Sent, as in C, once the walk
  // succeeded.
  try {
    for (const p of tree.all) send(p, signal);
  } finally {
    if (!stops(signal)) for (const p of tree.all) send(p, SIGCONT);
  }
  return 1;
}
