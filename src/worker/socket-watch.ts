/**
 * Readiness of one socket for a reader and a writer at once: the reactor
 * keeps one watch per fd, so the two waits share it, armed for the union of
 * what is awaited, and each wake-up goes to whoever waited for it.
 */
import { Event } from "../ffi/abi.ts";
import type { Channel } from "../ffi/channel.ts";

export class SocketWatch {
  readonly #channel: Channel;
  readonly #fd: number;
  #watch = 0;
  /** The events the watch is armed for now; 0 while disarmed. */
  #armed = 0;
  #ref = true;
  #closed = false;
  #in: (() => void) | undefined;
  #out: (() => void) | undefined;

  constructor(channel: Channel, fd: number) {
    this.#channel = channel;
    this.#fd = fd;
  }

  /** Resolves when the socket is ready for `event` (Event.IN or Event.OUT), or once closed. */
  wait(event: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      if (event === Event.IN) this.#in = resolve;
      else this.#out = resolve;
      this.#arm();
    });
  }

  #arm(): void {
    const events = (this.#in ? Event.IN : 0) | (this.#out ? Event.OUT : 0);
    if (!events || events === this.#armed) return;
    if (this.#armed) {
      // Armed for the other direction only: the channel cannot widen an
      // armed watch, so a new one replaces it (a stale record of the old
      // id is ignored).
      this.#channel.unwatch(this.#watch);
      this.#watch = 0;
    }
    this.#armed = events;
    if (!this.#watch) this.#watch = this.#channel.watch(this.#fd, events, (ev) => this.#wake(ev), this.#ref);
    else this.#channel.rearm(this.#watch, events);
  }

  #wake(events: number): void {
    this.#armed = 0;
    // An error or hang-up wakes both: their next read or write sees it.
    const both = (events & (Event.ERR | Event.HUP)) !== 0;
    const r = events & Event.IN || both ? this.#in : undefined;
    const w = events & Event.OUT || both ? this.#out : undefined;
    if (r) this.#in = undefined;
    if (w) this.#out = undefined;
    r?.();
    w?.();
    // The one not woken still waits: the watch is one-shot.
    if (this.#watch) this.#arm();
  }

  setRef(ref: boolean): void {
    this.#ref = ref;
    if (this.#watch) this.#channel.setRef(this.#watch, ref);
  }

  /** Forget the watch (before the fd is closed) and release both waiters. */
  close(): void {
    if (this.#watch) this.#channel.unwatch(this.#watch);
    this.#watch = 0;
    this.#closed = true;
    this.#wake(Event.HUP);
  }
}
