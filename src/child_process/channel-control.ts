/**
 * `subprocess.channel`: Node's control object over the IPC channel (its
 * Control class), which libraries call (execa counts its readers with
 * refCounted()/unrefCounted()). The channel keeps the event loop alive by
 * default; refCounted() and unrefCounted() count users and unref the
 * channel when the count falls back to 0 (emitting `unref`), until ref()
 * or unref() is called: from then on the caller's choice holds and the
 * count changes nothing.
 */
import { EventEmitter } from "node:events";

/** What the control drives: the channel's socket (ipc.ts). */
export interface Refable {
  setRef(ref: boolean): void;
  /** Our end's fd; -1 once closed. */
  readonly fd: number;
}

export class ChannelControl extends EventEmitter {
  readonly #channel: Refable;
  #refs = 0;
  #explicit = false;

  constructor(channel: Refable) {
    super();
    this.#channel = channel;
  }

  refCounted(): void {
    if (++this.#refs === 1 && !this.#explicit) this.#channel.setRef(true);
  }

  unrefCounted(): void {
    if (--this.#refs === 0 && !this.#explicit) {
      this.#channel.setRef(false);
      this.emit("unref");
    }
  }

  ref(): void {
    this.#explicit = true;
    this.#channel.setRef(true);
  }

  unref(): void {
    this.#explicit = true;
    this.#channel.setRef(false);
  }

  get fd(): number {
    return this.#channel.fd;
  }
}
