/**
 * Our ends of a portable child's pipes, over the runtime's own streams
 * (a Node stream, a web ReadableStream, Bun's FileSink): the PipeReader and
 * PipeWriter of src/api/child.ts, so the API reads and writes them as it
 * does the native backend's fds.
 */
import type { PipeReader, PipeWriter } from "../api/child.ts";
import { EPIPE, errnoNumber } from "../api/errno.ts";
import { fdError } from "../api/pipe-end.ts";

/** A runtime's readable end: the next chunk (null at EOF), reads pulled one at a time. */
export interface Source {
  read(): Promise<Uint8Array | null>;
  /** Stop reading and let the pipe go (the child then gets EPIPE/SIGPIPE). */
  cancel(): void;
  setRef(ref: boolean): void;
}

/** A runtime's writable end: write() resolves once the chunk is handed to the pipe. */
export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): void;
  setRef(ref: boolean): void;
}

/** The runtime's error as ours: errno and code as the native backend gives them. */
function pipeError(e: unknown, syscall: string): Error {
  const code = (e as { code?: unknown })?.code;
  return fdError((typeof code === "string" && errnoNumber(code)) || EPIPE, syscall);
}

export class StreamReader implements PipeReader {
  /** No fd: another child gets this pipe's bytes pumped by handOver(). */
  readonly fd = -1;
  #source: Source | undefined;
  #touched = false;
  /** keepAtExit(): its owner reads it after the exit. */
  #kept = false;
  #endedUnread = false;
  #onClose: (() => void) | undefined;
  /** finish() was called: read what arrives at once, then end. */
  #ending = false;
  /** releaseAtExit()'s read: the first chunk (or EOF) for whoever reads next. */
  #early: Promise<Uint8Array | null> | undefined;

  constructor(source: Source, early?: Promise<Uint8Array | null>) {
    this.#source = source;
    this.#early = early;
  }

  get closed(): boolean {
    return this.#source === undefined;
  }

  get touched(): boolean {
    return this.#touched;
  }

  get endedUnread(): boolean {
    return this.#endedUnread;
  }

  /**
   * Open, what releaseAtExit() read goes with the pipe (handOver()): nothing
   * is lost to another child. Closed with that read still held (finish(),
   * a timeout after the exit), it is the later reader's.
   */
  get prefetched(): boolean {
    return this.#source === undefined && this.#early !== undefined;
  }

  async read(): Promise<Uint8Array | null> {
    this.#touched = true;
    const source = this.#source;
    const early = this.#early;
    this.#early = undefined;
    if (!source && !early) return null;
    let chunk: Uint8Array | null;
    try {
      chunk = await (early ?? source!.read());
    } catch (e) {
      this.close();
      throw pipeError(e, "read");
    }
    if (chunk === null) this.close();
    return chunk;
  }

  async drain(onChunk: (chunk: Uint8Array) => void): Promise<void> {
    for (let chunk; (chunk = await this.read());) onChunk(chunk);
  }

  keepAtExit(): void {
    this.#kept = true;
  }

  /**
   * After the exit, for a pipe nobody touched: one read, so that a pipe at
   * EOF is closed now (the runtimes keep its fd until it is read or
   * collected); a chunk read is kept for the next reader.
   */
  releaseAtExit(): void {
    const source = this.#source;
    if (this.#touched || this.#kept || !source || this.#early) return;
    const early = source.read();
    this.#early = early;
    early.then((chunk) => {
      if (chunk !== null || this.#early !== early || this.#source !== source) return;
      this.#early = undefined;
      this.#endedUnread = true;
      this.close();
    }, () => {}); // a failed read fails the reader that takes it
  }

  /**
   * Stop reading: what the runtime holds already (it arrives within a
   * moment) is still read, then the reader ends as at EOF.
   */
  finish(): void {
    if (this.closed || this.#ending) return;
    this.#ending = true;
    // Closing ends a read still waiting (a descendant holds the pipe open).
    setTimeout(() => {
      if (!this.#touched && !this.closed) this.#endedUnread = this.#early === undefined;
      this.close();
    }, FINISH_GRACE_MS);
  }

  /** Never lent: without an fd, it cannot be another child's stdio. */
  lend(_on: boolean): void {}

  close(): void {
    const source = this.#source;
    if (!source) return;
    this.#source = undefined;
    source.cancel();
    this.#closed();
  }

  /**
   * The pipe goes to another child (stdin: this stream): this end closes
   * for its Subprocess, and the returned reader takes the bytes on.
   */
  handOver(): StreamReader {
    const reader = new StreamReader(this.#source!, this.#early);
    this.#source = undefined;
    this.#early = undefined;
    this.#closed();
    return reader;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.#onClose = fn;
  }

  setRef(ref: boolean): void {
    this.#source?.setRef(ref);
  }

  #closed(): void {
    const fn = this.#onClose;
    this.#onClose = undefined;
    fn?.();
  }
}

export class StreamWriter implements PipeWriter {
  #sink: Sink | undefined;

  constructor(sink: Sink) {
    this.#sink = sink;
  }

  get closed(): boolean {
    return this.#sink === undefined;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const sink = this.#sink;
    // Closed: the child is gone (or we gave up on it): its stdin has no reader.
    if (!sink) throw fdError(EPIPE, "write");
    try {
      await sink.write(chunk);
    } catch (e) {
      this.close();
      throw pipeError(e, "write");
    }
  }

  close(): void {
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.close();
  }

  setRef(ref: boolean): void {
    this.#sink?.setRef(ref);
  }
}

/** How long a finishing reader waits for a chunk the runtime already holds. */
const FINISH_GRACE_MS = 20;

/** Another child's output into this one's stdin, until either end goes. */
export async function pump(from: StreamReader, to: StreamWriter): Promise<void> {
  try {
    for (let chunk; (chunk = await from.read());) await to.write(chunk);
  } catch {
    // EPIPE: the reader exited; the writer gets EPIPE/SIGPIPE as with a kernel pipe.
  } finally {
    from.close();
    to.close();
  }
}
