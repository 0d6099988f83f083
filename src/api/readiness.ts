/** Waiting until an fd is ready, through this context's reactor channel. */
import type { Channel } from "../ffi/channel.ts";

export class Readiness {
  readonly #channel: Channel;
  readonly #fd: number;
  #watch = 0;
  #ref = true;
  #waiting: (() => void) | undefined;

  constructor(channel: Channel, fd: number) {
    this.#channel = channel;
    this.#fd = fd;
  }

  /** Resolves when fd is ready for `events` (or once close() is called). */
  wait(events: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      if (!this.#watch) this.#watch = this.#channel.watch(this.#fd, events, () => this.#wake(), this.#ref);
      else this.#channel.rearm(this.#watch, events);
    });
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }

  setRef(ref: boolean): void {
    this.#ref = ref;
    if (this.#watch) this.#channel.setRef(this.#watch, ref);
  }

  /** Forget the watch (before the fd is closed) and release any waiter. */
  close(): void {
    if (this.#watch) this.#channel.unwatch(this.#watch);
    this.#watch = 0;
    this.#wake();
  }
}
