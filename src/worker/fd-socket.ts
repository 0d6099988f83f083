/**
 * A connected socket's fd as a node:stream Duplex read and written through
 * the library's reactor (FdReader/FdWriter, as a child's pipes are): what
 * socketFromFd() gives on Bun, whose node:net cannot adopt a connected fd.
 * It behaves as a net.Socket does for data: reading ends at the peer's
 * shutdown, end() shuts our direction down, destroy() closes the fd.
 */
import { Duplex } from "node:stream";
import { getChannel } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import { FdReader } from "../api/fd-reader.ts";
import { FdWriter } from "../api/fd-writer.ts";
import { fdError } from "../api/pipe-end.ts";

const SHUT_WR = 1;

export class FdSocket extends Duplex {
  /** The socket's fd (ours to close through destroy()); -1 once destroyed. */
  get fd(): number {
    return this.#reader.fd;
  }

  readonly #reader: FdReader;
  /** A second fd (dup) for writing: each reactor watch has its own fd. */
  readonly #writer: FdWriter;
  #reading = false;

  constructor(fd: number) {
    super({ allowHalfOpen: false });
    const native = loadNative();
    const r = native.asp_set_nonblock(fd, 1);
    if (r < 0) throw fdError(-r, "fcntl");
    const dup = native.asp_dup(fd);
    if (dup < 0) throw fdError(-dup, "dup");
    const channel = getChannel();
    this.#reader = new FdReader(native, channel, fd);
    this.#writer = new FdWriter(native, channel, dup);
    this.#native = native;
  }

  readonly #native: ReturnType<typeof loadNative>;

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#reader.read().then(
      (chunk) => {
        this.#reading = false;
        if (!this.destroyed) this.push(chunk); // null: the peer shut its side down
      },
      (e: Error) => this.destroy(e),
    );
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.#writer.write(chunk).then(() => done(), done);
  }

  /** end(): the peer reads EOF; we may still read what it sends. */
  override _final(done: (e?: Error | null) => void): void {
    if (!this.#writer.closed) this.#native.asp_shutdown(this.#writer.fd, SHUT_WR);
    this.#writer.close();
    done();
  }

  override _destroy(error: Error | null, done: (e?: Error | null) => void): void {
    this.#reader.close();
    this.#writer.close();
    done(error);
  }

  /** Whether reading and writing keep the process alive (net.Socket's ref()/unref()). */
  ref(): this {
    this.#reader.setRef(true);
    this.#writer.setRef(true);
    return this;
  }

  unref(): this {
    this.#reader.setRef(false);
    this.#writer.setRef(false);
    return this;
  }
}
