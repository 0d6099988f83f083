/** How a child ended, decoded from asp_wait's result. */
import { signalName } from "./signals.ts";

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

const CLD_EXITED = 1;

/** struct asp_wait_result: i32 code, i32 si_code, f64 user_us, f64 system_us, f64 max_rss_kib. */
export const WAIT_RESULT_SIZE = 32;

export function decodeExit(view: DataView): ExitStatus {
  const code = view.getInt32(0, true), how = view.getInt32(4, true);
  const exitCode = how === CLD_EXITED ? code : null;
  return {
    exitCode,
    signal: how === CLD_EXITED ? null : signalName(code),
    success: exitCode === 0,
    rusage: { userMs: view.getFloat64(8, true) / 1000, systemMs: view.getFloat64(16, true) / 1000 },
  };
}
