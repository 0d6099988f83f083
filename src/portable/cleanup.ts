/**
 * `cleanup` on the portable backend: the runtimes have no death signal
 * (PR_SET_PDEATHSIG), so the children still running get their signal from
 * an exit handler — when this process exits, by its own hand or an uncaught
 * exception; not when a signal or SIGKILL ends it.
 */
const live = new Map<{ kill(signal: number): number }, number>();
let hooked = false;

export function cleanupOnExit(child: { kill(signal: number): number }, signal: number): () => void {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const [c, s] of live) c.kill(s);
    });
  }
  live.set(child, signal);
  return () => live.delete(child);
}
