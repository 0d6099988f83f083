/**
 * What this process holds, taken at two moments and compared: fds, threads,
 * memory, mappings, children. `settle` first, so that what is still being
 * released is not counted as a leak.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fdList, openFds } from "./fds.ts";
import { gc } from "./gc.ts";
import { childrenOfUs, procStatus, zombieChildren } from "./proc.ts";
import { sleep } from "./wait.ts";

export const threads = () => procStatus("Threads");

/** Threads whose name is the process's own (runtimes name their helpers;
 * the library's reactor thread keeps the name it inherited). */
export function unnamedThreads(): number {
  const own = readFileSync("/proc/self/comm", "utf8");
  let n = 0;
  for (const t of readdirSync("/proc/self/task")) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, "utf8") === own) n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
export const rssBytes = () => procStatus("VmRSS") * 1024;
export const mapsLines = () => readFileSync("/proc/self/maps", "utf8").split("\n").length - 1;

/** Let fds settle (Bun's waker drops a dup of the notify pipe a moment
 * after going idle; FinalizationRegistry closes orphaned pipes after GC). */
export async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    gc();
    await sleep(25);
    const now = openFds();
    if (now === last) return;
    last = now;
  }
}

export interface Snapshot {
  fds: number;
  /** "fd=target" of each open fd, inode numbers left out ("5=pipe", "7=anon_inode:[pidfd]") */
  fdList: string[];
  threads: number;
  /** threads named like the main thread: the library's reactor is one of them */
  unnamedThreads: number;
  rss: number;
  /** of which anonymous memory (RSS less mapped files: the runtime's code paged in) */
  rssAnon: number;
  /** the JS engine's heap: capacity (which engines grow and keep) and live objects */
  heapTotal: number;
  heapUsed: number;
  maps: number;
  zombies: number;
  children: number;
}

export function snapshot(): Snapshot {
  return {
    fds: openFds(),
    fdList: fdList(),
    threads: threads(),
    unnamedThreads: unnamedThreads(),
    rss: rssBytes(),
    rssAnon: procStatus("RssAnon") * 1024,
    heapTotal: process.memoryUsage().heapTotal,
    heapUsed: process.memoryUsage().heapUsed,
    maps: mapsLines(),
    zombies: zombieChildren(),
    children: childrenOfUs().length,
  };
}

/** Entries of `after` that `before` lacks (fds opened since, or reused for something else). */
export const newFds = (before: Snapshot, after: Snapshot) => after.fdList.filter((f) => !before.fdList.includes(f));
