/**
 * This JS context's channel to the reactor thread: watch an fd once, get a
 * callback when it is ready. Each context (main thread, each Worker) has its
 * own module instance and therefore its own channel and notify pipe.
 *
 * Watches are one-shot: after its callback a watch is disarmed until
 * rearm(). The process is kept alive exactly while some armed watch is
 * "ref'd" (a child someone awaits, a stream someone reads).
 */
import { EAGAIN } from "../api/errno.ts";
import { Event, Read } from "./abi.ts";
import { loadNative } from "./load.ts";
import type { Native } from "./symbols.ts";
import { createWaker, type Polling, type Waker } from "./waker.ts";


/** Watch ids run from 1 to this (0 means "no watch" to callers). */
const MAX_ID = 0xfffffffe;

/** An object that owns several watches answers them all with one method:
 * no closure per watch (a live child costs its exit watch only). */
export interface WatchTarget {
  ready(events: number, id: number): void;
}

export type WatchHandler = ((events: number) => void) | WatchTarget;

interface Watch {
  fd: number;
  handler: WatchHandler;
  armed: boolean;
  ref: boolean;
  /** For the hang-up alone (events 0): its report may wait (Bun polls for it seldom). */
  lazy: boolean;
}

export class Channel {
  readonly #native: Native;
  readonly #channel: number;
  readonly #waker: Waker;
  readonly #watches = new Map<number, Watch>();
  readonly #fd: number;
  #pollBuf: Uint8Array | undefined;
  #nextId = 1;
  #armed = 0;
  #armedRefs = 0;
  #armedLazy = 0;
  #partial = new Uint8Array(0);

  constructor(native: Native) {
    this.#native = native;
    const out = new Int32Array(1);
    const ch = native.asp_reactor_open(new Uint8Array(out.buffer));
    if (ch < 0) throw Object.assign(new Error(`aspawn: cannot start the reactor (errno ${-ch})`), { errno: -ch });
    this.#channel = ch;
    this.#fd = out[0]!;
    this.#waker = createWaker(this.#fd, (chunk) => this.#dispatch(chunk), () => this.#readNow());
  }

  /** Read what the notify pipe holds now (Bun's timer, see waker.ts). */
  #readNow(): void {
    const buf = (this.#pollBuf ??= new Uint8Array(4096));
    for (;;) {
      const n = this.#native.asp_read(this.#fd, buf, buf.length);
      if (n <= 0) return; // EAGAIN; EOF and errors are the stream's to see
      this.#dispatch(buf.slice(0, n));
    }
  }

  /** @internal The id the next watch gets (tests: to reach the wrap). */
  setNextWatchId(id: number): void {
    if (!Number.isInteger(id) || id < 1 || id > MAX_ID) throw new RangeError(`watch id out of range: ${id}`);
    this.#nextId = id;
  }

  /** An id for a new watch: ids wrap after 2 ** 32 - 2 watches, so those
   * still in use (a long-lived child's) are skipped, or their records would
   * reach the newcomer. */
  #newId(): number {
    let id = this.#nextId;
    while (this.#watches.has(id)) id = id >= MAX_ID ? 1 : id + 1;
    this.#nextId = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  #added(id: number, fd: number, handler: WatchHandler, ref: boolean, lazy = false): void {
    const w: Watch = { fd, handler, armed: false, ref, lazy };
    this.#watches.set(id, w);
    this.#arm(w);
  }

  /** Arm a one-shot watch on fd; returns its id. */
  watch(fd: number, events: number, handler: WatchHandler, ref = true): number {
    const id = this.#newId();
    const r = this.#native.asp_watch(this.#channel, fd, events, id);
    if (r < 0) throw watchError(fd, -r);
    this.#added(id, fd, handler, ref, events === 0);
    return id;
  }

  /** This context's channel number, for native calls that watch fds themselves. */
  get number(): number {
    return this.#channel;
  }

  /**
   * The id for a watch a native call makes itself (asp_spawn_watch's on a
   * new child's pidfd); adopt() records it once made. An id never adopted
   * is simply skipped.
   */
  reserve(): number {
    return this.#newId();
  }

  /** The watch a native call made on fd under an id reserve() gave. */
  adopt(fd: number, id: number, target: WatchTarget): void {
    this.#added(id, fd, target, true);
  }

  /** [the armed one] after readArm(). */
  readonly lastIds: [number] = [0];

  /**
   * Read fd into buf and, in the same native call, arm its watch when it is
   * empty (`arm`: the result is then -EAGAIN) or close it at EOF (`end`: the
   * result is 0; it leaves epoll first). With `more`, a short read reads
   * once more, and EOF there is the bytes | Read.EOF (closed as `end` says).
   * `id` is fd's watch, 0 for none yet (then lastIds[0] is the one armed).
   * One call instead of a read that finds EAGAIN and a watch, or finds EOF
   * and an unwatch and a close.
   */
  readArm(
    id: number, fd: number, buf: Uint8Array, len: number, handler: WatchHandler, ref: boolean, arm: boolean, end: boolean, more = false,
  ): number {
    const w = id ? this.#watches.get(id) : undefined;
    if (!w) id = arm ? this.#newId() : 0;
    // A watch no longer armed has reported: one-shot, it is silent until
    // re-armed, so EOF needs no epoll_ctl to take it out.
    const flags = (arm ? Read.ARM : 0) | (end ? Read.END : 0) | (more ? Read.MORE : 0) | (w ? Read.WATCHED | (w.armed ? 0 : Read.FIRED) : 0);
    const r = this.#native.asp_read_arm(this.#channel, fd, buf, len, id, flags);
    if (r === -EAGAIN && arm) {
      if (!w) this.#added(id, fd, handler, ref);
      else if (!w.armed) this.#arm(w);
      this.lastIds[0] = id;
    } else if ((r === 0 || (r > 0 && r & Read.EOF)) && end && w) {
      this.#disarm(w);
      this.#watches.delete(id);
    } else if (r <= -Read.ARM_FAILED) {
      throw watchError(fd, -r ^ Read.ARM_FAILED);
    }
    return r;
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
    w.ref = ref;
    if (w.armed) this.#count(0, ref ? 1 : -1, 0);
  }

  #arm(w: Watch): void {
    w.armed = true;
    this.#count(1, w.ref ? 1 : 0, w.lazy ? 1 : 0);
  }

  #disarm(w: Watch): void {
    if (!w.armed) return;
    w.armed = false;
    this.#count(-1, w.ref ? -1 : 0, w.lazy ? -1 : 0);
  }

  /** What the armed watches ask of a waker that keeps nothing alive. */
  #polling(): Polling {
    return this.#armed > this.#armedLazy ? "prompt" : this.#armed > 0 ? "lazy" : "none";
  }

  /** Tell the waker when "something is awaited" or what is watched changes. */
  #count(armed: number, refs: number, lazy: number): void {
    // What polling asks matters only while nothing is ref'd: not worked out on every arm of an awaited child.
    const r = this.#armedRefs, before = r === 0 ? this.#polling() : undefined;
    this.#armed += armed;
    this.#armedRefs += refs;
    this.#armedLazy += lazy;
    if (r === 0 && this.#armedRefs > 0) this.#waker.ref();
    else if (this.#armedRefs === 0 && (r > 0 || before !== this.#polling())) this.#waker.unref(this.#polling());
  }

  #dispatch(chunk: Uint8Array): void {
    // Records (struct asp_event) are written whole; a read could still end mid-record.
    let bytes = chunk;
    if (this.#partial.length) {
      bytes = new Uint8Array(this.#partial.length + chunk.length);
      bytes.set(this.#partial);
      bytes.set(chunk, this.#partial.length);
    }
    const whole = bytes.length - (bytes.length % Event.SIZE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    this.#partial = bytes.slice(whole);
    for (let off = 0; off < whole; off += Event.SIZE) {
      const id = view.getUint32(off + Event.id, true), events = view.getUint32(off + Event.events, true);
      const w = this.#watches.get(id);
      if (!w || !w.armed) continue; // unwatched since: a stale record
      this.#disarm(w);
      const h = w.handler;
      if (typeof h === "function") h(events);
      else h.ready(events, id);
    }
  }
}

export function watchError(fd: number, errno: number): Error {
  return Object.assign(new Error(`aspawn: cannot watch fd ${fd} (errno ${errno})`), { errno });
}

let channel: Channel | undefined;

/** The channel of this JS context, opened on first use. */
export function getChannel(): Channel {
  return (channel ??= new Channel(loadNative()));
}
