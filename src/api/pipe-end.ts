/** Our end of a child's pipe: the fd, its readiness watch, closing it once. */
import type { Channel } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { errnoCode, errnoMessage } from "./errno.ts";
import { Readiness } from "./readiness.ts";

/**
 * fds this process must close if their owners are collected unclosed, and
 * their watches: one an end left armed (a pipe waiting for a descendant's
 * hang-up, FdReader.releaseAtExit()) is the channel's to forget too.
 */
const orphans = new FinalizationRegistry<{ native: Native; fds: number[]; ends: Readiness[] }>(({ native, fds, ends }) => {
  for (let i = 0; i < fds.length; i++) {
    const fd = fds[i]!;
    if (fd < 0) continue;
    ends[i]!.release();
    native.asp_unwatch(fd);
    native.asp_close(fd);
  }
});

/**
 * The fds of pipe ends made together (a child's stdin, stdout and
 * stderr), registered once to be closed if the ends are all collected
 * unclosed: each end holds the group. One registration per child, not
 * one per end: a registration cost ~1.3 us in a cold call (measured on
 * Node), three of them and their three unregistrations a few percent of
 * an execFile() call.
 */
export class FdGroup {
  readonly #fds: number[] = [];
  readonly #ends: Readiness[] = [];
  #open = 0;

  constructor(native: Native) {
    orphans.register(this, { native, fds: this.#fds, ends: this.#ends }, this);
  }

  /** @internal an end's fd and its watch: its index, for release(). */
  add(fd: number, ready: Readiness): number {
    this.#open++;
    this.#ends.push(ready);
    return this.#fds.push(fd) - 1;
  }

  /** @internal the end at `index` closed its fd. */
  release(index: number): void {
    this.#fds[index] = -1;
    if (--this.#open === 0) orphans.unregister(this);
  }
}

export function fdError(errno: number, syscall: string): Error {
  const code = errnoCode(errno);
  return Object.assign(new Error(`${code}: ${errnoMessage(errno)}, ${syscall}`), { code, errno, syscall });
}

export class PipeEnd {
  protected readonly native: Native;
  protected readonly ready: Readiness;
  /** -1 once closed */
  protected handle: number;
  #onClose: (() => void) | undefined;
  readonly #group: FdGroup;
  readonly #index: number;

  /** `group`: shared with the ends made with it (see FdGroup); else one of its own. */
  constructor(native: Native, channel: Channel, fd: number, group = new FdGroup(native)) {
    this.native = native;
    this.ready = new Readiness(channel, fd);
    this.handle = fd;
    this.#group = group;
    this.#index = group.add(fd, this.ready);
  }

  get closed(): boolean {
    return this.handle < 0;
  }

  /** The fd, while open (for handing the pipe to another child). */
  get fd(): number {
    return this.handle;
  }

  /** Whether a pending wait keeps the process alive. */
  setRef(ref: boolean): void {
    this.ready.setRef(ref);
  }

  /** Call fn once this end is closed (at once if it is). */
  onClose(fn: () => void): void {
    if (this.handle < 0) fn();
    else this.#onClose = fn;
  }

  close(): void {
    if (this.handle < 0) return;
    const fd = this.handle;
    this.handle = -1;
    this.ready.release();
    if (!this.ready.fdClosed) this.native.asp_close(fd); // else the read at EOF closed it
    this.#group.release(this.#index);
    const fn = this.#onClose;
    this.#onClose = undefined;
    fn?.();
  }
}
