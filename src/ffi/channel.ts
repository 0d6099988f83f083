/**
 * This JS context's channel to the reactor thread: watch an fd once, get a
 * callback when it is ready. Each context (main thread, each Worker) has its
 * own module instance and therefore its own channel and notify pipe.
 *
 * Watches are one-shot: after its callback a watch is disarmed until
 * rearm(). The process is kept alive exactly while some armed watch is
 * "ref'd" (a child someone awaits, a stream someone reads).
 */
import { loadNative } from "./load.ts";
import type { Native } from "./symbols.ts";
import { createWaker, type Waker } from "./waker.ts";

export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;

export type WatchHandler = (events: number) => void;

interface Watch {
  fd: number;
  handler: WatchHandler;
  armed: boolean;
  ref: boolean;
}

export class Channel {
  readonly #native: Native;
  readonly #channel: number;
  readonly #waker: Waker;
  readonly #watches = new Map<number, Watch>();
  #nextId = 1;
  #armedRefs = 0;
  #partial = new Uint8Array(0);

  constructor(native: Native) {
    this.#native = native;
    const out = new Int32Array(1);
    const ch = native.asp_reactor_open(new Uint8Array(out.buffer));
    if (ch < 0) throw new Error(`aspawn: cannot start the reactor (errno ${-ch})`);
    this.#channel = ch;
    this.#waker = createWaker(out[0]!, (chunk) => this.#dispatch(chunk));
  }

  /** Arm a one-shot watch on fd; returns its id. */
  watch(fd: number, events: number, handler: WatchHandler, ref = true): number {
    const id = this.#nextId++;
    if (this.#nextId > 0xfffffffe) this.#nextId = 1;
    const w: Watch = { fd, handler, armed: false, ref };
    this.#watches.set(id, w);
    const r = this.#native.asp_watch(this.#channel, fd, events, id);
    if (r < 0) {
      this.#watches.delete(id);
      throw new Error(`aspawn: cannot watch fd ${fd} (errno ${-r})`);
    }
    this.#arm(w);
    return id;
  }

  /** Arm a watch again after its callback ran. */
  rearm(id: number, events: number): void {
    const w = this.#watches.get(id);
    if (!w || w.armed) return;
    const r = this.#native.asp_rearm(this.#channel, w.fd, events, id);
    if (r < 0) throw new Error(`aspawn: cannot re-arm fd ${w.fd} (errno ${-r})`);
    this.#arm(w);
  }

  /** Forget a watch (before closing its fd). */
  unwatch(id: number): void {
    const w = this.#watches.get(id);
    if (!w) return;
    this.#native.asp_unwatch(w.fd);
    this.#disarm(w);
    this.#watches.delete(id);
  }

  /**
   * Forget a watch whose fd is about to be closed and that no other process
   * holds (a status pipe at EOF, the pidfd of a reaped child): closing the
   * fd removes it from epoll, so the epoll_ctl of unwatch() is not needed.
   */
  forget(id: number): void {
    const w = this.#watches.get(id);
    if (!w) return;
    this.#disarm(w);
    this.#watches.delete(id);
  }

  /** Whether an armed watch keeps the process alive. */
  setRef(id: number, ref: boolean): void {
    const w = this.#watches.get(id);
    if (!w || w.ref === ref) return;
    if (w.armed) this.#count(ref ? 1 : -1);
    w.ref = ref;
  }

  #arm(w: Watch): void {
    w.armed = true;
    if (w.ref) this.#count(1);
  }

  #disarm(w: Watch): void {
    if (!w.armed) return;
    w.armed = false;
    if (w.ref) this.#count(-1);
  }

  #count(delta: number): void {
    const before = this.#armedRefs;
    this.#armedRefs += delta;
    if (before === 0 && this.#armedRefs > 0) this.#waker.ref();
    else if (before > 0 && this.#armedRefs === 0) this.#waker.unref();
  }

  #dispatch(chunk: Uint8Array): void {
    // Records are 8 bytes, written whole; a read could still end mid-record.
    let bytes = chunk;
    if (this.#partial.length) {
      bytes = new Uint8Array(this.#partial.length + chunk.length);
      bytes.set(this.#partial);
      bytes.set(chunk, this.#partial.length);
    }
    const whole = bytes.length - (bytes.length % 8);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    this.#partial = bytes.slice(whole);
    for (let off = 0; off < whole; off += 8) {
      const id = view.getUint32(off, true), events = view.getUint32(off + 4, true);
      const w = this.#watches.get(id);
      if (!w || !w.armed) continue; // unwatched since: a stale record
      this.#disarm(w);
      w.handler(events);
    }
  }
}

let channel: Channel | undefined;

/** The channel of this JS context, opened on first use. */
export function getChannel(): Channel {
  return (channel ??= new Channel(loadNative()));
}
