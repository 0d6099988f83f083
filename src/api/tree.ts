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
const encoder = new TextEncoder();

/** asp_kill_tree's cgroup argument: NUL-terminated, empty for none. */
export function cgroupArg(cgroup: string | undefined): Uint8Array {
  return encoder.encode(`${cgroup ?? ""}\0`);
}
