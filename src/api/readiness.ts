/** Waiting until an fd is ready, through this context's reactor channel. */
import { Read } from "../ffi/abi.ts";
import type { Channel, WatchTarget } from "../ffi/channel.ts";
import { EAGAIN } from "./errno.ts";

export class Readiness implements WatchTarget {
  readonly #channel: Channel;
  /** -1 once read() closed it at EOF */
  #fd: number;
  #watch = 0;
  #ref = true;
  /** The watch waits, unref'd, for the writers' hang-up alone (hangUp()). */
  #hangUp = false;
  #waiting: (() => void) | undefined;

  constructor(channel: Channel, fd: number) {
    this.#channel = channel;
    this.#fd = fd;
  }

  /** Whether read() closed the fd (at EOF): nothing is left to close. */
  get fdClosed(): boolean {
    return this.#fd < 0;
  }

  /** Resolves when fd is ready for `events` (or once close() is called). */
  wait(events: number): Promise<void> {
    this.#takeOver();
    return new Promise((resolve) => {
      this.#waiting = resolve;
      if (!this.#watch) this.#watch = this.#channel.watch(this.#fd, events, this, this.#ref);
      else this.#channel.rearm(this.#watch, events);
    });
  }

  /**
   * One native read that, when the fd is empty (`arm`), also arms the watch
   * for EPOLLIN: the caller then awaits armed(). With `end`, EOF closes the
   * fd (fdClosed); with `more` too, EOF right after a short read's bytes
   * (the result is then their count | Read.EOF).
   */
  read(buf: Uint8Array, len: number, arm: boolean, end: boolean, more = false): number {
    this.#takeOver();
    const r = this.#channel.readArm(this.#watch, this.#fd, buf, len, this, this.#ref, arm, end, more);
    if (r === -EAGAIN && arm) this.#watch = this.#channel.lastIds[0];
    else if ((r === 0 || (r > 0 && r & Read.EOF)) && end) {
      this.#watch = 0;
      this.#fd = -1;
    }
    return r;
  }

  /**
   * Until the last writer closes the fd (EPOLLHUP: data coming meanwhile
   * does not report), without keeping the process alive: then onHangUp
   * runs, unless a read or wait took the watch over first. For a pipe
   * nobody reads, held open by a child's descendant, while nothing waits
   * on it.
   */
  hangUp(onHangUp: () => void): void {
    // A watch of its own (events 0: lazy), not a re-armed one.
    if (this.#watch) this.#channel.unwatch(this.#watch);
    this.#watch = this.#channel.watch(this.#fd, 0, this, false);
    this.#hangUp = true;
    this.#waiting = onHangUp;
  }

  /**
   * A read or wait takes over from hangUp(): its watch goes (armed for the
   * hang-up alone, it would hold a ref with nobody waiting); the next wait
   * makes its own.
   */
  #takeOver(): void {
    if (!this.#hangUp) return;
    this.#hangUp = false;
    this.#waiting = undefined;
    if (this.#watch) this.#channel.unwatch(this.#watch);
    this.#watch = 0;
  }

  /** Resolves when the watch read() armed reports (or once close() is called). */
  armed(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** @internal The channel's report. */
  ready(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }

  setRef(ref: boolean): void {
    this.#ref = ref;
    if (this.#watch && !this.#hangUp) this.#channel.setRef(this.#watch, ref);
  }

  /**
   * Forget the watch and release any waiter: before the fd is closed, or
   * while another child reads it (FdReader.lend()), when the waiter's loop
   * finds it lent and waits again.
   */
  release(): void {
    if (this.#watch) this.#channel.unwatch(this.#watch);
    this.#watch = 0;
    this.#hangUp = false;
    this.ready();
  }
}
