/** Helpers for the pre-exec test cases: /proc readers, seccomp filters, fds, fixtures. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { runtimeName } from "./adapter.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** Field k (1-based, as in proc(5)) of a /proc/<pid>/stat line. */
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

/** The state letter of a process, or null once it is gone. */
export function processState(pid: number): string | null {
  try {
    return statField(readFileSync(`/proc/${pid}/stat`, "utf8"), 3);
  } catch {
    return null;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ms until `pid` is gone or a zombie, or null after `limitMs`. */
export async function waitDead(pid: number, limitMs: number): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    const s = processState(pid);
    const ms = performance.now() - t0;
    if (s === null || s === "Z") return ms;
    if (ms > limitMs) return null;
    await sleep(5);
  }
}

/** Mount point of the cgroup v2 hierarchy (hybrid machines: /sys/fs/cgroup/unified). */
export function cgroup2Root(): string | null {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.startsWith("cgroup2 ")) return left!.split(" ")[4]!;
  }
  return null;
}

// Classic BPF for seccomp: struct sock_filter { u16 code; u8 jt, jf; u32 k; }.
const BPF_LD_W_ABS = 0x20, BPF_JEQ_K = 0x15, BPF_RET_K = 0x06;
const SECCOMP_RET_KILL_PROCESS = 0x8000_0000, SECCOMP_RET_ERRNO = 0x0005_0000, SECCOMP_RET_ALLOW = 0x7fff_0000;
const EPERM = 1;
/** seccomp_data: nr at offset 0, arch at offset 4. */
const NR = 0, ARCH = 4;

export const arches = {
  x64: { audit: 0xc000003e, write: 1 },
  arm64: { audit: 0xc00000b7, write: 64 },
} as const;
export type Arch = keyof typeof arches;
export const hostArch: Arch = process.arch === "arm64" ? "arm64" : "x64";
export const otherArch: Arch = hostArch === "x64" ? "arm64" : "x64";

function bpf(prog: [code: number, jt: number, jf: number, k: number][]): Uint8Array {
  const out = new Uint8Array(8 * prog.length);
  const v = new DataView(out.buffer);
  prog.forEach(([code, jt, jf, k], i) => {
    v.setUint16(8 * i, code, true);
    v.setUint8(8 * i + 2, jt);
    v.setUint8(8 * i + 3, jf);
    v.setUint32(8 * i + 4, k, true);
  });
  return out;
}

/** Kills the process at its next syscall on `arch`; allows everything on other arches. */
export function killAllFilter(arch: Arch): Uint8Array {
  return bpf([
    [BPF_LD_W_ABS, 0, 0, ARCH],
    [BPF_JEQ_K, 0, 1, arches[arch].audit],
    [BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW],
  ]);
}

/** write(2) fails with EPERM on `arch`; everything else is allowed. */
export function blockWriteFilter(arch: Arch): Uint8Array {
  return bpf([
    [BPF_LD_W_ABS, 0, 0, ARCH],
    [BPF_JEQ_K, 1, 0, arches[arch].audit],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW],
    [BPF_LD_W_ABS, 0, 0, NR],
    [BPF_JEQ_K, 0, 1, arches[arch].write],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW],
  ]);
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

/** This runtime running inline code: [file, args before the code's own args]. */
export function evalCommand(code: string): [string, string[]] {
  if (runtimeName === "deno") return [process.execPath, ["eval", code]];
  return [process.execPath, ["-e", code]];
}

export const repoRoot = root;
