/** What the runtimes' synchronous spawns share: their output cut at maxBuffer. */
import type { SyncOutcome, SyncRequest } from "../api/child.ts";
import type { ExitStatus } from "../api/exit-status.ts";

const none = new Uint8Array(0);

/** Bytes as our Uint8Array (a Node Buffer is a subclass), at most max of them. */
function cut(b: Uint8Array | null | undefined, max: number): Uint8Array {
  if (!b) return none;
  const u = new Uint8Array(b.buffer, b.byteOffset, Math.min(b.length, max));
  return u;
}

export function syncOutcome(
  r: SyncRequest,
  stdout: Uint8Array | null | undefined,
  stderr: Uint8Array | null | undefined,
  status: ExitStatus,
  timedOut: boolean,
  overflowed: boolean,
): SyncOutcome {
  const max = r.maxBuffer;
  const over = (b: Uint8Array | null | undefined) => (b?.length ?? 0) > max;
  // The runtime stopped at its own multiple of the limit: either stream that passed it.
  const exceeded = over(stdout) ? "stdout" : over(stderr) ? "stderr" : overflowed ? "stdout" : undefined;
  return { stdout: cut(stdout, max), stderr: cut(stderr, max), status, exceeded, timedOut };
}
