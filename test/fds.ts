/** Our own fds, from /proc/self/fd: how many, what they are, which one a socket is. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** "fd=target" of each open fd, inode numbers left out ("5=pipe", "7=anon_inode:[pidfd]"),
 * so that lists taken at two moments compare. */
export function fdList(): string[] {
  return listFds(true);
}

/** Whether an fdList() or fdSnapshot() entry is of a kind the library or a
 * runtime's spawn makes for a child: a pipe, a socket (libuv's child stdio),
 * an anon inode (pidfd, eventfd, epoll) or a device (/dev/null, a pty). Files
 * elsewhere are the runtime's own: Deno opens a sqlite cache (a database, its
 * -wal and -shm) when it first needs it, which can be in the middle of a test. */
export const notAFile = (entry: string): boolean => !entry.includes("=/") || entry.includes("=/dev/");

/** fdList() with inode numbers kept ("5=pipe:[1234]"): the same entry later is the same file. */
export function fdSnapshot(): string[] {
  return listFds(false);
}

function listFds(withoutInodes: boolean): string[] {
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      out.push(`${fd}=${withoutInodes ? target.replace(/:\[\d+\]$/, "") : target}`);
    } catch {
      // the directory's own fd, gone by now
    }
  }
  return out;
}

/** The fds open now that `before` (an earlier fdSnapshot()) lacks: what was opened since,
 * also on a number an earlier test's object, collected meanwhile, closed. */
export function fdsOpenedSince(before: readonly string[]): string[] {
  const had = new Set(before);
  return fdSnapshot().filter((fd) => !had.has(fd));
}

/** Inode of the socket listening on 127.0.0.1:port, from /proc/net/tcp. */
function listenInode(port: number): string | null {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === want && f[3] === "0A") return f[9]!; // 0A: LISTEN
  }
  return null;
}

/**
 * Our fd of the socket listening on 127.0.0.1:port: the one whose
 * /proc/self/fd link names the inode /proc/net/tcp gives for the port.
 * Works on every runtime (Deno's node:net exposes no fd).
 */
export function fdOfListener(port: number): number | null {
  const inode = listenInode(port);
  if (inode === null) return null;
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === `socket:[${inode}]`) return Number(name);
    } catch {
      // closed meanwhile (the readdir's own fd)
    }
  }
  return null;
}
