/** How a child ended, decoded from asp_wait's result. */
import { Wait, WaitResult } from "../ffi/abi.ts";
import { nameOf } from "./signals.ts";

export interface ExitStatus {
  /** The exit code; null when a signal ended the child. */
  exitCode: number | null;
  /** The signal that ended the child ("SIGKILL"), or null. */
  signal: string | null;
  /** exitCode === 0 */
  success: boolean;
  /** CPU time the child used. */
  rusage: { userMs: number; systemMs: number };
}

export function decodeExit(view: DataView): ExitStatus {
  const code = view.getInt32(WaitResult.code, true), how = view.getInt32(WaitResult.si_code, true);
  const exitCode = how === Wait.EXITED ? code : null;
  return {
    exitCode,
    signal: how === Wait.EXITED ? null : nameOf(code),
    success: exitCode === 0,
    rusage: {
      userMs: view.getFloat64(WaitResult.user_us, true) / 1000,
      systemMs: view.getFloat64(WaitResult.system_us, true) / 1000,
    },
  };
}
