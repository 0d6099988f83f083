/**
 * What both ends of a worker's channel offer beyond calls: messages (a
 * queue read by one async iterator), fds received (a queue read by
 * receiveFd()), and sending both. The parent's Worker and the child's
 * `parent` object are each one of these over their Connection.
 */
import type { FrameChannel } from "./connection.ts";
import { Kind } from "./protocol.ts";
import { frame } from "./protocol.ts";
import { closedFd } from "./fd-check.ts";
import { describe } from "../api/check.ts";

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: Error): void;
}

/** A FIFO that producers push to and one consumer awaits; end() settles waiters. */
export class Inbox<T> {
  #items: T[] = [];
  #waiters: Waiter<IteratorResult<T>>[] = [];
  #ended: Error | null | undefined;
  /** Told when someone starts or stops waiting (the channel's ref). */
  onWaiting: (waiting: boolean) => void = () => {};

  push(v: T): void {
    const w = this.#waiters.shift();
    if (w) {
      if (!this.#waiters.length) this.onWaiting(false);
      w.resolve({ value: v, done: false });
    } else this.#items.push(v);
  }

  /** No more items: waiters get done (or the error), as do later next()s once the queue is empty. */
  end(error?: Error): void {
    if (this.#ended !== undefined) return;
    this.#ended = error ?? null;
    const ws = this.#waiters.splice(0);
    if (ws.length) this.onWaiting(false);
    for (const w of ws) error ? w.reject(error) : w.resolve({ value: undefined, done: true });
  }

  /** Someone awaits a next() still to come. */
  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** Items left unconsumed (fds to close when the end is dropped). */
  drain(): T[] {
    return this.#items.splice(0);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#ended === null) return Promise.resolve({ value: undefined, done: true });
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (this.#waiters.length === 1) this.onWaiting(true);
    });
  }
}

export class Endpoint {
  protected readonly conn: FrameChannel;
  readonly #messages = new Inbox<unknown>();
  readonly #fds = new Inbox<number>();
  readonly #closeFd: (fd: number) => void;

  constructor(conn: FrameChannel, closeFd: (fd: number) => void, onWaiting: (waiting: boolean) => void) {
    this.conn = conn;
    this.#closeFd = closeFd;
    let waiting = 0;
    const count = (on: boolean) => onWaiting((waiting += on ? 1 : -1) > 0);
    this.#messages.onWaiting = count;
    this.#fds.onWaiting = count;
  }

  /** @internal A MESSAGE or FD frame's payload arrived. */
  protected received(kind: number, value: unknown, fds: number[]): void {
    if (kind === Kind.MESSAGE) this.#messages.push(value);
    else for (const fd of fds) this.#fds.push(fd);
  }

  /**
   * @internal The channel ended: iterators end (with `error`, if any), waits
   * for an fd reject (with `fdError`, else `error`), fds nobody took are closed.
   */
  protected ended(error: Error | undefined, fdError?: Error): void {
    this.#messages.end(error);
    this.#fds.end(fdError ?? error ?? new Error("aspawn: the worker channel closed before an fd arrived"));
    for (const fd of this.#fds.drain()) this.#closeFd(fd);
  }

  /**
   * Send a value (see the README for the types that travel). Resolves once
   * it is in the socket; rejects if the channel is closed, and not awaiting
   * it is fine then: that is no unhandled rejection. A value that cannot
   * travel rejects with a CodecError, unhandled if ignored: the caller's
   * mistake, which would otherwise vanish.
   */
  send(value: unknown): Promise<void> {
    let bytes: Uint8Array[];
    try {
      bytes = frame(Kind.MESSAGE, 0, value, 0, this.conn.maxFrame);
    } catch (e) {
      return Promise.reject(e);
    }
    const p = this.written(this.conn.write(bytes));
    p.catch(() => {});
    return p;
  }

  /** A message's write as send() returns it (a Worker's names why the worker ended). */
  protected written(p: Promise<void>): Promise<void> {
    return p;
  }

  /** Messages from the other end, in order, until the channel closes. One reader at a time. */
  get messages(): AsyncIterableIterator<unknown> {
    const inbox = this.#messages;
    const release = () => {
      if (this.#reading === it) this.#reading = undefined;
    };
    const it: AsyncIterableIterator<unknown> = {
      // One reader at a time: a second loop waiting beside the first would
      // take every other message, silently; it is refused instead. Reading
      // one after another (a loop after a break, next() on a new iterator)
      // is fine.
      next: () => {
        if (this.#reading !== undefined && this.#reading !== it) {
          return Promise.reject(new TypeError("messages: another loop is waiting for them; one reader at a time"));
        }
        const p = inbox.next();
        if (inbox.waiting) {
          this.#reading = it;
          p.then(release, release);
        }
        return p;
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return it;
  }

  /** The iterator whose next() is waiting, if any. */
  #reading: object | undefined;

  /**
   * Pass an open fd of ours to the other end (SCM_RIGHTS): it gets its own
   * fd of the same open file; ours stays open and ours to close, at once
   * if we like (an fd that must wait its turn is sent from a copy). An fd
   * that is not open rejects (code EBADF), and the channel goes on. On a
   * channel the runtime made (no native library) it rejects with a TypeError.
   */
  sendFd(fd: number): Promise<void> {
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      return Promise.reject(new TypeError(`sendFd: fd must be a non-negative integer, got ${describe(fd)}`));
    }
    const refused = this.conn.fdsRefused("sendFd()");
    if (refused) return Promise.reject(refused);
    const closed = closedFd([fd], () => "sendFd(): the fd");
    if (closed) return Promise.reject(closed);
    return this.conn.write(frame(Kind.FD, 0, undefined, 1), [fd]);
  }

  /** The next fd the other end sent (close-on-exec; yours to close); a TypeError where no fds travel (see sendFd). */
  async receiveFd(): Promise<number> {
    // None will ever come: said now rather than waited for.
    const refused = this.conn.fdsRefused("receiveFd()");
    if (refused) throw refused;
    const r = await this.#fds.next();
    if (r.done) throw new Error("aspawn: the worker channel closed before an fd arrived");
    return r.value;
  }
}
