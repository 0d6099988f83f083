/** A worker that could not answer: it did not start, could not load its module, died or broke the protocol. */
export class WorkerError extends Error {
  override name = "WorkerError";
  readonly pid: number;
  /** The worker's exit code; null when a signal ended it (or it did not exit). */
  readonly exitCode: number | null;
  /** The signal that ended the worker ("SIGKILL"), or null. */
  readonly signal: string | null;
  /** The last 4 KiB of the worker's stderr (when stderr is left to the worker, its default). */
  readonly stderr: string;

  constructor(
    message: string,
    o: { pid: number; exitCode?: number | null; signal?: string | null; stderr?: string; cause?: unknown },
  ) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.pid = o.pid;
    this.exitCode = o.exitCode ?? null;
    this.signal = o.signal ?? null;
    this.stderr = o.stderr ?? "";
  }
}
