/**
 * Writes to a non-blocking pipe with synchronous native writes; when the
 * pipe is full, waits for the reactor to say it has room. write() resolves
 * once every byte is in the pipe, which is the backpressure.
 */
import { type Channel, EPOLLOUT } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { EAGAIN } from "./errno.ts";
import { fdError, orphans } from "./fd-reader.ts";
import { Readiness } from "./readiness.ts";

export class FdWriter {
  readonly #native: Native;
  readonly #ready: Readiness;
  #fd: number;

  constructor(native: Native, channel: Channel, fd: number) {
    this.#native = native;
    this.#ready = new Readiness(channel, fd);
    this.#fd = fd;
    orphans.register(this, { native, fd }, this);
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      // Closed: the child is gone (or we gave up on it): its stdin has no reader.
      if (this.#fd < 0) throw fdError(32 /* EPIPE */, "write");
      const n = this.#native.asp_write(this.#fd, off ? chunk.subarray(off) : chunk, chunk.length - off);
      if (n > 0) off += n;
      else if (n === -EAGAIN) await this.#ready.wait(EPOLLOUT);
      else {
        // EPIPE when the child closed its stdin: the stream is errored now,
        // and close()/abort() would never reach us, so close here.
        this.close();
        throw fdError(-n, "write");
      }
    }
  }

  setRef(ref: boolean): void {
    this.#ready.setRef(ref);
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#ready.close();
    this.#native.asp_close(fd);
    orphans.unregister(this);
  }
}
