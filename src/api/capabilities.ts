/** What the kernel let the library use, decided once per process. */
import { Cap } from "../ffi/abi.ts";
import { loadNative } from "../ffi/load.ts";
import { backendChoice } from "./backend.ts";

export interface Capabilities {
  /**
   * "clone3", "clone": the parent never waits for exec; "vfork", "fork":
   * fallbacks; "portable": the runtime's own API starts children (no
   * native library here: see `reason`).
   */
  mechanism: "clone3" | "clone" | "vfork" | "fork" | "portable";
  /** Children are tracked by pidfd (signals can never hit a recycled pid). */
  pidfd: boolean;
  /** `cgroup` places the child atomically at clone time. */
  cloneIntoCgroup: boolean;
  /** Why the portable backend runs; null on the native one. */
  reason: string | null;
}

export function capabilities(): Capabilities {
  const { reason } = backendChoice();
  if (reason !== undefined) return { mechanism: "portable", pidfd: false, cloneIntoCgroup: false, reason };
  const c = loadNative().asp_capabilities();
  return {
    mechanism: c & Cap.CLONE3 ? "clone3" : c & Cap.CLONE_VM ? "clone" : c & Cap.VFORK ? "vfork" : "fork",
    pidfd: (c & Cap.PIDFD) !== 0,
    cloneIntoCgroup: (c & Cap.INTO_CGROUP) !== 0,
    reason: null,
  };
}
