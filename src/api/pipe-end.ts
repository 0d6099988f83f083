/** Our end of a child's pipe: the fd, its readiness watch, closing it once. */
import type { Channel } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { errnoCode, errnoMessage } from "./errno.ts";
import { Readiness } from "./readiness.ts";

/** fds this process must close if their owner is collected unclosed. */
const orphans = new FinalizationRegistry<{ native: Native; fd: number }>(({ native, fd }) => {
  native.asp_unwatch(fd);
  native.asp_close(fd);
});

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

  constructor(native: Native, channel: Channel, fd: number) {
    this.native = native;
    this.ready = new Readiness(channel, fd);
    this.handle = fd;
    orphans.register(this, { native, fd }, this);
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
    this.ready.close();
    if (!this.ready.fdClosed) this.native.asp_close(fd); // else the read at EOF closed it
    orphans.unregister(this);
    const fn = this.#onClose;
    this.#onClose = undefined;
    fn?.();
  }
}
