/** A worker that could not answer: it did not start, could not load its module, died or broke the protocol. */
export class WorkerError extends Error {
  override name = "WorkerError";
  /** The worker's process id; 0 when no worker had the call yet (a pool's queued call). */
  readonly pid: number;
  /** The worker's exit code; null when a signal ended it (or it did not exit). */
  readonly exitCode: number | null;
  /** The signal that ended the worker ("SIGKILL"), or null. */
  readonly signal: string | null;
  /** The last 4 KiB of the worker's stderr (when stderr is left to the worker, its default). */
  readonly stderr: string;
  /** The call's `timeout` passed: its worker was killed (or the call left the pool's queue). */
  readonly timedOut: boolean;
  /** The call's `signal` aborted it: its worker was killed (or the call left the pool's queue); `cause` is the signal's reason. */
  readonly aborted: boolean;

  constructor(
    message: string,
    o: {
      pid: number;
      exitCode?: number | null;
      signal?: string | null;
      stderr?: string;
      cause?: unknown;
      timedOut?: boolean;
      aborted?: boolean;
    },
  ) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.pid = o.pid;
    this.exitCode = o.exitCode ?? null;
    this.signal = o.signal ?? null;
    this.stderr = o.stderr ?? "";
    this.timedOut = o.timedOut ?? false;
    this.aborted = o.aborted ?? false;
  }
}
