/** Tiny seccomp filters (classic BPF) for the pre-exec tests, for either architecture. */

// struct sock_filter { u16 code; u8 jt, jf; u32 k; }.
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
/** A filter built for the other architecture matches nothing here: it shows what installing one does by itself. */
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

/** Syscall numbers of mkdir(2) and mkdirat(2) on each architecture (arm64 has only mkdirat). */
export const mkdirCalls: Record<Arch, number[]> = { x64: [83, 258], arm64: [34] };

/** The syscalls `nrs` fail with EPERM on `arch`; everything else is allowed. */
export function denyFilter(arch: Arch, nrs: readonly number[]): Uint8Array {
  return bpf([
    [BPF_LD_W_ABS, 0, 0, ARCH],
    [BPF_JEQ_K, 1, 0, arches[arch].audit],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW],
    [BPF_LD_W_ABS, 0, 0, NR],
    ...nrs.map((nr, i): [number, number, number, number] => [BPF_JEQ_K, nrs.length - i, 0, nr]),
    [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW],
    [BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM],
  ]);
}
