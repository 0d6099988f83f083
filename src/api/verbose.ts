/**
 * `verbose` (or ASPAWN_VERBOSE=1 for a whole program): one line on stderr
 * when a child starts — its command line, quoted as a shell would need it —
 * and one when it ends, with how and after how long. The pid tells
 * concurrent children apart. ASPAWN_TRACE is the native calls' log.
 */
import { env } from "../ffi/runtime.ts";
import { bool } from "./check.ts";
import type { ExitStatus } from "./exit-status.ts";
import type { Options } from "./options.ts";

let fromEnv: boolean | undefined;

/** Whether to log this child: the option, else the environment variable (read once). */
export function verboseOf(o: Options): boolean {
  if (o.verbose !== undefined) return bool(o.verbose, "verbose");
  if (fromEnv === undefined) {
    const v = env("ASPAWN_VERBOSE");
    fromEnv = v !== undefined && v !== "" && v !== "0";
  }
  return fromEnv;
}

export function logStart(pid: number | undefined, command: string): void {
  console.error(`[aspawn ${pid ?? "-"}] $ ${command}`);
}

/** How it ended: an exit status, or the error that says it never ran. */
export function logEnd(pid: number | undefined, end: ExitStatus | Error, ms: number): void {
  const how = end instanceof Error
    ? `failed: ${end.message}`
    : end.signal
    ? `killed by ${end.signal}`
    : `exit ${end.exitCode}`;
  console.error(`[aspawn ${pid ?? "-"}] ${how} after ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);
}

/**
 * runSync(): both lines once the call returns (the pid is known only then;
 * the portable backend's sync APIs may not give one: "-").
 */
export function logRunSync(pid: number | undefined, command: string, end: ExitStatus | Error, ms: number): void {
  logStart(pid, command);
  logEnd(pid, end, ms);
}
