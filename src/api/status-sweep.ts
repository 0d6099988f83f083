/**
 * Status pipes nobody waits on. A native child's status pipe is read at its
 * exit unless someone waits for the exec (native-child.ts), which saves an
 * awaited child a wake-up; a child that runs on would then hold the pipe's
 * fd for as long as it runs. So the pipes still unread are read every
 * SWEEP_MS while there are any: one timer for all children, which never
 * keeps the process alive.
 */
import { unrefTimeout } from "./timers.ts";

/** Long beside an exec (a few ms), short beside a child that runs on. */
const SWEEP_MS = 50;

export interface StatusHolder {
  /** Read the status pipe now: whether it has reported (and is closed). */
  sweepStatus(): boolean;
}

const unread = new Set<StatusHolder>();
let scheduled = false;

/** holder's status pipe is unread and unwatched: read it at the next sweep unless statusRead() came first. */
export function statusUnread(holder: StatusHolder): void {
  unread.add(holder);
  if (!scheduled) schedule();
}

export function statusRead(holder: StatusHolder): void {
  unread.delete(holder);
}

function schedule(): void {
  scheduled = true;
  unrefTimeout(sweep, SWEEP_MS);
}

function sweep(): void {
  scheduled = false;
  for (const holder of unread) if (holder.sweepStatus()) unread.delete(holder);
  if (unread.size) schedule();
}
