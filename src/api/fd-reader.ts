/**
 * Reads a non-blocking pipe with synchronous native reads, waiting on the
 * reactor only when the pipe is empty. Nothing is read ahead of the
 * consumer while the child runs: an unread pipe fills and the child blocks
 * (backpressure). Once it exited, releaseAtExit() takes what is left.
 *
 * Chunks are copied out of a 64 KiB buffer shared by every reader of this
 * context when small; a read that fills more than half of it hands the
 * buffer itself over and a new one is made, so large transfers are not
 * copied twice. Shared, because a fresh 64 KiB ArrayBuffer per pipe is
 * zero-filled and page-faulted in: measured 5-11 us on Node, 2-8 on Bun and
 * 15-32 on Deno, for pipes that mostly carry a few bytes (a child's stderr,
 * `echo hello`). The reads are synchronous, so no two readers are ever
 * inside one.
 */
import { Event, Read } from "../ffi/abi.ts";
import { EAGAIN, ECONNRESET } from "./errno.ts";
import { concat } from "./output.ts";
import { fdError, PipeEnd } from "./pipe-end.ts";

const CHUNK = 65536;
/**
 * A pipe that fills a whole chunk carries bulk data: it is grown to 1 MiB and
 * read in 256 KiB chunks, so each wake-up (a hop through the reactor thread)
 * moves 16x more — the extra hop is what a runtime's own pipe reading does
 * not pay.
 */
const BULK_PIPE = 1 << 20;
const BULK_CHUNK = 256 * 1024;

/** The shared buffer of CHUNK bytes; made on first use, and again after a read handed it over. */
let shared: Uint8Array | undefined;

export class FdReader extends PipeEnd {
  /** A bulk pipe's own BULK_CHUNK buffer (the shared one serves CHUNK reads). */
  #buf: Uint8Array | undefined;
  #chunk = CHUNK;
  #touched = false;
  #kept = false;
  #endedUnread = false;
  #prefetched: Uint8Array | undefined;
  /** After finish(): bytes still to read before the end. */
  #budget: number | undefined;
  /** Other children read this pipe as their stdio now (lend()). */
  #lent = false;
  /**
   * The child has exited (releaseAtExit() was called): a read of a few
   * bytes reads once more in the same native call, and usually finds EOF
   * there (Read.MORE). Not before: while the child runs, the second read
   * mostly finds the pipe empty, one syscall for nothing per chunk; and
   * never for a socket of a peer (FdSocket), whose pending error a second
   * read would take and drop.
   */
  #childGone = false;

  /** Whether anything was read: an untouched pipe can go to another child whole. */
  get touched(): boolean {
    return this.#touched;
  }

  /** The next chunk, or null at end of file. */
  async read(): Promise<Uint8Array | null> {
    this.#touched = true;
    for (;;) {
      const chunk = this.#tryRead(true); // what releaseAtExit() kept comes first, then null once closed
      if (chunk !== undefined) return chunk;
      await this.ready.armed();
    }
  }

  /**
   * Everything until EOF, handed to onChunk as it arrives (several reads
   * per wake-up); resolves at EOF. `justSpawned`: the caller drains a pipe
   * its child got a moment ago, in the same turn (run()): the pipe is empty
   * then, so instead of a read that finds EAGAIN before arming its watch,
   * the watch is armed alone (one syscall fewer per pipe). Level-triggered,
   * it reports at once if data came meanwhile. Not for a pipe read later:
   * output already there is read before the exit is reported, and waiting
   * first would put a turn between them.
   */
  async drain(onChunk: (chunk: Uint8Array) => void, justSpawned = false): Promise<void> {
    this.#touched = true;
    if (justSpawned && !this.#prefetched && !this.#lent && this.#budget === undefined && this.handle >= 0) {
      await this.ready.wait(Event.IN);
    }
    for (;;) {
      let chunk: Uint8Array | null | undefined;
      // Read on to EOF: after a short read the next is at once anyway, so
      // it goes in the same native call (Read.MORE), and a child that wrote
      // a little and exited takes one call, not two.
      while ((chunk = this.#tryRead(true, true, true))) onChunk(chunk);
      if (chunk === null) return;
      await this.ready.armed();
    }
  }

  /**
   * After the child exited, for a pipe nobody has touched: read what it
   * holds and close it at EOF, keeping the bytes for whoever reads later.
   * `await spawn(cmd).exited` leaves stdout unread; without this each such
   * child kept an fd until garbage collection, and a loop of them ran out
   * of fds (EMFILE). What is read is what the pipe holds now (FIONREAD)
   * and one read more, to see the EOF: a descendant that still holds the
   * pipe and writes on cannot keep us reading. Then the pipe stays open,
   * the bytes wait in front of its next ones, and once the last writer
   * has closed it (the descendant is gone), what it holds then is read the
   * same way and the pipe closed: nothing written meanwhile is read ahead,
   * so a writer that fills it still waits for a reader. Never throws: a
   * failed read is left for the reader that comes (the pipe is closed by
   * then).
   */
  releaseAtExit(): void {
    this.#childGone = true;
    if (this.#touched || this.#kept || this.#prefetched || this.handle < 0) return;
    this.#readHeld();
  }

  /** The writers hung up on a pipe releaseAtExit() left open: read what it holds, unless a reader came. */
  #hungUp(): void {
    if (!this.#touched && !this.#kept && !this.#lent && this.handle >= 0) this.#readHeld();
  }

  /** What the pipe holds now and one read more, after the bytes read before; closed at EOF, else watched for the hang-up. */
  #readHeld(): void {
    const before = this.#prefetched;
    this.#prefetched = undefined; // or the first read would hand it back
    const chunks: Uint8Array[] = before ? [before] : [];
    let size = before?.length ?? 0, chunk: Uint8Array | null | undefined;
    let budget = Math.max(this.native.asp_readable(this.handle), 0);
    try {
      do {
        chunk = this.#tryRead(false, false);
        if (chunk) {
          chunks.push(chunk);
          size += chunk.length;
          budget -= chunk.length;
        }
      } while (chunk && budget > 0);
      // What it held is read: one read more tells EOF (null) from a pipe still held (undefined, or a chunk).
      if (chunk) {
        chunk = this.#tryRead(false, false);
        if (chunk) chunks.push(chunk), (size += chunk.length);
      }
    } catch {
      chunk = undefined;
    }
    if (size) this.#prefetched = chunks.length > 1 ? concat(chunks, size) : chunks[0];
    else if (chunk === null) this.#endedUnread = true;
    if (chunk === null || this.handle < 0) return;
    // Held weakly: a reader dropped meanwhile is collected, and its group
    // closes the pipe and forgets the watch (pipe-end.ts), descendant or not.
    const self = new WeakRef(this);
    try {
      this.ready.hangUp(() => {
        const reader = self.deref();
        if (reader) reader.#hungUp();
      });
    } catch {
      // No watch (epoll full): the pipe waits for a reader, or for garbage collection.
    }
  }

  /** Its owner reads it after the exit, or gave its fd to another child (aspawn/child_process): releaseAtExit() leaves it alone. */
  keepAtExit(): void {
    this.#kept = true;
  }

  /**
   * Stop reading (a timeout or abort of a child that exited while a
   * descendant may hold the pipe open): what the pipe holds now is still
   * read, then the reader ends as at EOF.
   */
  finish(): void {
    if (this.handle < 0 || this.#budget !== undefined) return;
    const n = this.native.asp_readable(this.handle);
    this.#budget = n > 0 ? n : 0;
    if (this.#budget > 0 || this.#prefetched) return;
    // Nothing was left unread: a later bytes() is empty, not "already read".
    if (!this.#touched) this.#endedUnread = true;
    this.close(); // a waiting read wakes and finds the end
  }

  /**
   * While another child reads this pipe (it is that child's stdio), a read
   * of ours would take bytes meant for it, and the fd is blocking then: a
   * read of an empty pipe would stall the event loop. So a read waiting
   * here is disarmed and waits, unarmed, until lend(false) (the last such
   * child is done), then reads what they left. (Node stops reading such a
   * stream and leaves it paused for good: exec()'s callback never came
   * when the other child exited first.)
   */
  lend(on: boolean): void {
    if (on === this.#lent) return;
    this.#lent = on;
    if (on) this.ready.release();
    else this.ready.ready(); // the waiting read tries again
  }

  /** Closed with nothing unread (at EOF by releaseAtExit(), or by finish()): nothing for a later reader. */
  get endedUnread(): boolean {
    return this.#endedUnread;
  }

  /** Bytes were taken out of the pipe for a later reader (releaseAtExit()). */
  get prefetched(): boolean {
    return this.#prefetched !== undefined;
  }

  /**
   * A chunk; null at EOF; undefined when the pipe is empty for now, and then
   * with `arm` its watch is armed (by the same native call) for the caller
   * to await.
   */
  #tryRead(arm: boolean, grow = true, more = this.#childGone): Uint8Array | null | undefined {
    const early = this.#prefetched;
    if (early) {
      this.#prefetched = undefined;
      return early;
    }
    if (this.handle < 0) return null;
    if (this.#lent) return undefined; // lend(false) wakes the caller's wait
    if (this.#budget !== undefined && this.#budget <= 0) {
      this.close();
      return null;
    }
    const size = this.#chunk;
    const bulk = size !== CHUNK;
    const buf = bulk ? (this.#buf ??= new Uint8Array(size)) : (shared ??= new Uint8Array(CHUNK));
    // One native call: an empty pipe arms its watch, EOF closes it (also
    // right after the bytes of a short read, once the child is gone: Read.EOF).
    const r = this.ready.read(buf, size, arm && this.#budget === undefined, true, more);
    const n = r > 0 ? r & ~Read.EOF : r;
    if (n > 0 && this.#budget !== undefined) this.#budget -= n;
    if (n > 0) {
      if (r !== n) this.close(); // the next read finds it closed: null
      else if (grow && n === CHUNK && size === CHUNK) {
        this.#chunk = BULK_CHUNK;
        this.native.asp_pipe_size(this.handle, BULK_PIPE); // best effort
      }
      if (n <= size / 2) return buf.slice(0, n);
      if (bulk) this.#buf = undefined;
      else shared = undefined;
      return buf.subarray(0, n);
    }
    if (n === 0) {
      this.close();
      return null;
    }
    if (n === -EAGAIN) {
      if (this.#budget === undefined) return undefined;
      this.close();
      return null;
    }
    if (this.readsAgain(-n)) return this.#tryRead(arm, grow);
    if (this.endsAt(-n)) return null;
    if (-n === ECONNRESET) {
      // A socketpair whose peer closed with bytes of ours unread: the end, as EOF.
      this.close();
      return null;
    }
    this.close();
    throw fdError(-n, "read");
  }

  /** Whether a failed read is worth one more (a pty master's first EIO). */
  protected readsAgain(_errno: number): boolean {
    return false;
  }

  /** Whether a failed read's errno is the end of the output (a pty master's EIO), not an error; closing is then up to it. */
  protected endsAt(_errno: number): boolean {
    return false;
  }

}
