/**
 * Writes to a non-blocking pipe with synchronous native writes; when the
 * pipe is full, waits for the reactor to say it has room. write() resolves
 * once every byte is in the pipe, which is the backpressure.
 */
import { Event } from "../ffi/abi.ts";
import { EAGAIN, EPIPE } from "./errno.ts";
import { fdError, PipeEnd } from "./pipe-end.ts";

export class FdWriter extends PipeEnd {
  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      // Closed: the child is gone (or we gave up on it): its stdin has no reader.
      if (this.handle < 0) throw fdError(EPIPE, "write");
      const n = this.native.asp_write(this.handle, off ? chunk.subarray(off) : chunk, chunk.length - off);
      if (n > 0) off += n;
      else if (n === -EAGAIN) await this.ready.wait(Event.OUT);
      else {
        // EPIPE when the child closed its stdin: the stream is errored now,
        // and close()/abort() would never reach us, so close here.
        this.close();
        throw fdError(-n, "write");
      }
    }
  }
}
