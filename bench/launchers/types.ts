/**
 * What every scenario asks of a way to spawn: aspawn, or the runtime's own
 * API. Each launcher uses one fixed stdio setup per task, the same for all,
 * so the numbers compare the same work.
 */
export interface Launcher<Child = unknown, Idle = unknown> {
  /** "aspawn", "child_process", "Bun.spawn", "Deno.Command" */
  readonly name: string;
  /**
   * The call timed by the spawn-call scenario: start /bin/true with stdin
   * /dev/null, stdout a pipe, stderr inherited (as bench/c does).
   */
  spawnTrue(): Child;
  /**
   * spawnTrue with arguments and environment variables (merged over this
   * process's), for the growth scenario; aspawn only.
   */
  spawnTrueWith?(args: string[], env: Record<string, string> | undefined): Child;
  /** Read that child's stdout to EOF and wait for its exit (never timed as "the call"). */
  reap(child: Child): Promise<void>;
  /** Run file, read its whole stdout; resolves with the byte count. */
  readAll(file: string, args: string[]): Promise<number>;
  /** Run file, capture stdout (and stderr) as strings; resolves with stdout. */
  capture(file: string, args: string[]): Promise<string>;
  /** Start file with every stdio on /dev/null. */
  startIdle(file: string, args: string[]): Idle;
  /** SIGKILL it. */
  kill(child: Idle): void;
  /** Resolves once it has been reaped. */
  waitIdle(child: Idle): Promise<void>;
}

/** Reads a web stream to EOF; the number of bytes. */
export async function countBytes(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}
