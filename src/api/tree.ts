/**
 * Signalling a child and every descendant, including those that left its
 * process group or session: lib/c/tree.c stops each process, waits until it
 * is stopped, lists its children, then signals them all and continues them.
 * It reads /proc natively, so Deno needs no permission beyond --allow-ffi.
 *
 * Limits: a descendant whose parent already died was reparented to init (or
 * a subreaper) and is out of reach — only a cgroup of its own (the `cgroup`
 * option; cgroup.kill for SIGKILL, used when nothing else lives there)
 * catches those.
 */
import type { Native } from "../ffi/symbols.ts";
import { errnoCode, errnoMessage } from "./errno.ts";

const encoder = new TextEncoder();

/** Signal the tree under a child we hold a pidfd for; false if the child is gone. */
export function killTree(native: Native, pidfd: number, pid: number, signal: number, cgroup?: string): boolean {
  const r = native.asp_kill_tree(pidfd, pid, signal, encoder.encode(`${cgroup ?? ""}\0`));
  if (r >= 0) return r === 1;
  const code = errnoCode(-r);
  throw Object.assign(new Error(`kill({ tree: true }): ${code}: ${errnoMessage(-r)} (nothing was signalled)`), {
    code,
    errno: -r,
    syscall: "kill",
  });
}
