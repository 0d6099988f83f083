/**
 * The seam between the API and a backend. spawn(), run(), pipeline(),
 * batches and `$` are written once over these interfaces; a backend starts
 * a child from checked options and hands back a Child: its pid, its pipes,
 * its two events (spawned, exited) and the means to signal it. The native
 * backend (libaspawn) is native-child.ts; the portable one (the runtime's
 * own API) is src/portable/.
 */
import type { ExtraPipes } from "./extra-pipes.ts";
import type { SpawnError } from "./errors.ts";
import type { ExitStatus } from "./exit-status.ts";
import type { Options } from "./options.ts";
import type { Pty } from "./pty.ts";
import type { StdioDefaults } from "./stdio.ts";

/** Our end of a pipe the child writes (its stdout or stderr). */
export interface PipeReader {
  /** The fd, while open, when the backend has one (-1 when it has none). */
  readonly fd: number;
  readonly closed: boolean;
  /** Whether anything was read: an untouched pipe can go to another child whole. */
  readonly touched: boolean;
  /** Closed with nothing unread: nothing for a later reader. */
  readonly endedUnread: boolean;
  /** A chunk was taken out of the pipe for a later reader. */
  readonly prefetched: boolean;
  /** The next chunk, or null at end of file. */
  read(): Promise<Uint8Array | null>;
  /** Everything until EOF, handed to onChunk as it arrives; resolves at EOF. `justSpawned`: its child got it in this same turn (see FdReader). */
  drain(onChunk: (chunk: Uint8Array) => void, justSpawned?: boolean): Promise<void>;
  /** After the exit, for a pipe nobody touched: read out what it holds and close it at EOF (kept for a later reader). */
  releaseAtExit(): void;
  /** Its owner reads it after the exit (aspawn/child_process, as Node flushes its streams, or lends the fd to another child): releaseAtExit() leaves it alone. */
  keepAtExit(): void;
  /** Stop reading: what the pipe holds now is still read, then it ends. */
  finish(): void;
  /**
   * Another child reads this pipe as its stdio (aspawn/child_process), from
   * lend(true) until its lend(false): no read of ours races it meanwhile.
   */
  lend(on: boolean): void;
  close(): void;
  /** Call fn once this end is closed (at once if it is). */
  onClose(fn: () => void): void;
  /** Whether a pending read keeps the process alive. */
  setRef(ref: boolean): void;
}

/** Our end of the child's stdin pipe. */
export interface PipeWriter {
  readonly closed: boolean;
  /** Resolves once every byte is in the pipe; rejects with errno EPIPE when nobody reads. A write that fails leaves the end closed (the child sees EOF). */
  write(chunk: Uint8Array): Promise<void>;
  close(): void;
  setRef(ref: boolean): void;
}

/** @internal ChildEvents' methods: symbols, so that a Subprocess can be the listener itself. */
export const childSpawned = Symbol("aspawn.childSpawned");
/** @internal */
export const childExited = Symbol("aspawn.childExited");

/** What a Child reports, each once, spawned before exited. */
export interface ChildEvents {
  /** The program runs (no argument), or never will (its SpawnError). */
  [childSpawned](error?: SpawnError): void;
  /** How the child ended, or an Error when that cannot be known. */
  [childExited](status: ExitStatus | Error): void;
}

/** A started child as its backend drives it. */
export interface Child {
  /** 0 when no process was created (the runtime reports the failure without one). */
  readonly pid: number;
  readonly stdin: PipeWriter | null;
  readonly stdout: PipeReader | null;
  readonly stderr: PipeReader | null;
  /** The socketpairs of stdio[3+] given "pipe" (native only). */
  readonly extra?: ExtraPipes | undefined;
  /** The terminal of a child spawned with `pty` (native only). */
  readonly pty?: Pty | undefined;
  /**
   * Start reporting to `events`. Throws an error carrying `errno` when the
   * child cannot be watched; the child is then killed and forgotten.
   */
  watch(events: ChildEvents): void;
  /** Signal the child alone (0 probes): 0, or the negative errno (-ESRCH: gone). */
  kill(signal: number): number;
  /** Signal a process group (kill(-pgid)): 0, or the negative errno. */
  killGroup(pgid: number, signal: number): number;
  /** Signal the child and every descendant: 1 sent, 0 the child is gone, or the negative errno; throws where it cannot be done. */
  killTree(signal: number): number;
  /** Whether waiting for the child keeps the process alive. */
  setRef(ref: boolean): void;
  /** Someone waits for the exec: report it as soon as it happens, not with the exit (native only). */
  reportSpawn?(): void;
}

/**
 * @internal A worker's channel made by the runtime's own spawn (the
 * portable backend, where the library cannot make it): "pipe" on child fd
 * `fd`, a socketpair on Node and Bun, whose other end `take` gets as the
 * runtime gave it (a net.Socket on Node, an fd on Bun), or never when no
 * child was started.
 */
export interface ChannelRequest {
  fd: number;
  take(end: import("node:net").Socket | number): void;
}

/** What spawnWith() asks of a backend. */
export interface ChildRequest {
  file: string;
  args: readonly string[];
  options: Options;
  defaults: StdioDefaults;
  /** @internal Only the portable backend is asked for one. */
  channel?: ChannelRequest;
  /**
   * @internal `signal` was aborted before the call: this signal goes to the
   * child as soon as it exists, before any other JavaScript runs. A child of
   * the native backend then dies before its exec (its signals are blocked
   * until then); sent later, by the Subprocess, a fast program could be done
   * by then (a process's first spawn runs its JavaScript cold).
   */
  killAtOnce?: number;
}

/** What runSync() asks of a backend: run to completion, blocking this thread. */
export interface SyncRequest extends ChildRequest {
  input: Uint8Array | undefined;
  /** ms; undefined: none */
  timeout: number | undefined;
  killSignal: number;
  maxBuffer: number;
}

/** What a synchronous run gave: run()'s result is judged from it (run.ts). */
export interface SyncOutcome {
  /** At most maxBuffer bytes each. */
  stdout: Uint8Array;
  stderr: Uint8Array;
  status: ExitStatus;
  exceeded: "stdout" | "stderr" | undefined;
  timedOut: boolean;
}

/**
 * A way of starting children. start() checks the options (TypeError before
 * anything is spawned), throws SpawnError when no child could be created,
 * and otherwise returns the Child (a failure in the child comes through
 * its events).
 */
export interface Backend {
  readonly name: "native" | "portable";
  start(request: ChildRequest): Child;
  /** The TypeErrors start() would throw for `request`, nothing started. */
  check(request: ChildRequest): void;
  /**
   * runSync() on this backend, when it is not the native call: checks as
   * start() does (TypeError), throws SpawnError when the program never ran.
   */
  runSync?(request: SyncRequest): SyncOutcome;
}
