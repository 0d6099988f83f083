/**
 * Reads a non-blocking pipe with synchronous native reads, waiting on the
 * reactor only when the pipe is empty. Nothing is read ahead of the
 * consumer: an unread pipe fills and the child blocks (backpressure).
 *
 * Chunks are copied out of a reusable 64 KiB buffer when small; a read that
 * fills more than half of it hands the buffer itself over and a new one is
 * made, so large transfers are not copied twice.
 */
import { type Channel, EPOLLIN } from "../ffi/channel.ts";
import { Readiness } from "./readiness.ts";
import type { Native } from "../ffi/symbols.ts";
import { EAGAIN, errnoCode, errnoMessage } from "./errno.ts";

const CHUNK = 65536;
/**
 * A pipe that fills a whole chunk carries bulk data: it is grown to 1 MiB and
 * read in 256 KiB chunks, so each wake-up (a hop through the reactor thread)
 * moves 16x more — the extra hop is what a runtime's own pipe reading does
 * not pay.
 */
const BULK_PIPE = 1 << 20;
const BULK_CHUNK = 256 * 1024;

/** fds this process must close if their owner is collected unclosed. */
export const orphans = new FinalizationRegistry<{ native: Native; fd: number }>(({ native, fd }) => {
  native.asp_unwatch(fd);
  native.asp_close(fd);
});

export function fdError(errno: number, syscall: string): Error {
  const code = errnoCode(errno);
  return Object.assign(new Error(`${code}: ${errnoMessage(errno)}, ${syscall}`), { code, errno, syscall });
}

export class FdReader {
  readonly #native: Native;
  readonly #ready: Readiness;
  #fd: number;
  // Allocated on first read: many pipes are never read, and zero-filling
  // 64 KiB per spawn would cost more than the rest of spawn() in JS.
  #buf: Uint8Array | undefined;
  #chunk = CHUNK;

  constructor(native: Native, channel: Channel, fd: number) {
    this.#native = native;
    this.#ready = new Readiness(channel, fd);
    this.#fd = fd;
    orphans.register(this, { native, fd }, this);
  }

  #touched = false;
  #prefetched: Uint8Array | undefined;

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The fd, while open (for handing the pipe to another child). */
  get fd(): number {
    return this.#fd;
  }

  /** Whether anything was read: an untouched pipe can go to another child whole. */
  get touched(): boolean {
    return this.#touched;
  }

  /** The next chunk, or null at end of file. */
  async read(): Promise<Uint8Array | null> {
    this.#touched = true;
    for (;;) {
      if (this.#fd < 0) return null;
      const chunk = this.#tryRead();
      if (chunk !== undefined) return chunk;
      await this.#ready.wait(EPOLLIN);
    }
  }

  /**
   * Everything until EOF, handed to onChunk as it arrives (several reads
   * per wake-up); resolves at EOF.
   */
  async drain(onChunk: (chunk: Uint8Array) => void): Promise<void> {
    this.#touched = true;
    for (;;) {
      let chunk: Uint8Array | null | undefined;
      while ((chunk = this.#tryRead())) onChunk(chunk);
      if (chunk === null) return;
      await this.#ready.wait(EPOLLIN);
    }
  }

  /**
   * After the child exited, for a pipe nobody has touched: close it if it is
   * at EOF with nothing in it (no fd kept for output that does not exist);
   * otherwise keep what was read for whoever reads later.
   */
  closeIfEmpty(): void {
    if (this.#touched || this.#prefetched || this.#fd < 0) return;
    const chunk = this.#tryRead();
    if (chunk) this.#prefetched = chunk;
  }

  /** A chunk; null at EOF; undefined when the pipe is empty for now. */
  #tryRead(): Uint8Array | null | undefined {
    const early = this.#prefetched;
    if (early) {
      this.#prefetched = undefined;
      return early;
    }
    if (this.#fd < 0) return null;
    const size = this.#chunk;
    const buf = (this.#buf ??= new Uint8Array(size));
    const n = this.#native.asp_read(this.#fd, buf, size);
    if (n > 0) {
      if (n === CHUNK && size === CHUNK) {
        this.#chunk = BULK_CHUNK;
        this.#native.asp_pipe_size(this.#fd, BULK_PIPE); // best effort
      }
      if (n <= size / 2) return buf.slice(0, n);
      this.#buf = undefined;
      return buf.subarray(0, n);
    }
    if (n === 0) {
      this.close();
      return null;
    }
    if (n === -EAGAIN) return undefined;
    this.close();
    throw fdError(-n, "read");
  }

  setRef(ref: boolean): void {
    this.#ready.setRef(ref);
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#ready.close();
    this.#native.asp_close(fd);
    orphans.unregister(this);
  }
}
