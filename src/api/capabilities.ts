/** What the kernel let the library use, decided once per process. */
import { loadNative } from "../ffi/load.ts";

export interface Capabilities {
  /** "clone3", "clone": the parent never waits for exec; "vfork", "fork": fallbacks. */
  mechanism: "clone3" | "clone" | "vfork" | "fork";
  /** Children are tracked by pidfd (signals can never hit a recycled pid). */
  pidfd: boolean;
  /** `cgroup` places the child atomically at clone time. */
  cloneIntoCgroup: boolean;
}

export function capabilities(): Capabilities {
  const c = loadNative().asp_capabilities();
  return {
    mechanism: c & 0x01 ? "clone3" : c & 0x02 ? "clone" : c & 0x04 ? "vfork" : "fork",
    pidfd: (c & 0x10) !== 0,
    cloneIntoCgroup: (c & 0x20) !== 0,
  };
}
