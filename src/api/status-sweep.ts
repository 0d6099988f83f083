/**
 * Status pipes nobody waits on. A native child's status pipe is read at its
 * exit unless someone waits for the exec (native-child.ts), which saves an
 * awaited child a wake-up; a child that runs on would then hold the pipe's
 * fd for as long as it runs. So a pipe still unread SWEEP_MS after its
 * spawn is read by the next sweep (50-100 ms after the spawn; a child not
 * at its exec by then, at a later one): one timer for all children, which
 * never keeps the process alive. Pipes are read one sweep after they come,
 * not at the first: a child spawned just before a sweep is still on its way
 * to exec, and reading it then would find nothing.
 */
import { unrefTimeout } from "./timers.ts";

const SWEEP_MS = 50;

export interface StatusHolder {
  /** Read the status pipe now: whether it has reported (and is closed). */
  sweepStatus(): boolean;
}

/** Unread since the last sweep (young), and unread for a whole period or more (old): the next sweep reads the old. */
let young = new Set<StatusHolder>();
const old = new Set<StatusHolder>();
let scheduled = false;

/** holder's status pipe is unread and unwatched: read it in a sweep unless statusRead() comes first. */
export function statusUnread(holder: StatusHolder): void {
  young.add(holder);
  if (!scheduled) schedule();
}

export function statusRead(holder: StatusHolder): void {
  if (!young.delete(holder)) old.delete(holder);
}

function schedule(): void {
  scheduled = true;
  unrefTimeout(sweep, SWEEP_MS);
}

function sweep(): void {
  scheduled = false;
  for (const holder of old) if (holder.sweepStatus()) old.delete(holder);
  for (const holder of young) old.add(holder);
  young = new Set();
  if (old.size) schedule();
}
