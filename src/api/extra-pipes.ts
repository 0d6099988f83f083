/**
 * `"pipe"` on stdio[3+]: a socketpair per fd (as Node's and Bun's extra
 * pipes), so the child may read it, write it, or both. Our end is read by
 * one FdReader and written through a second fd (asp_dup) by one FdWriter:
 * each watches its own fd (epoll takes an fd once). Closing the writable shuts our writing down
 * (the child reads EOF) while the readable keeps reading.
 */
import type { Channel } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { FdReader } from "./fd-reader.ts";
import { FdWriter } from "./fd-writer.ts";
import { EPIPE } from "./errno.ts";
import { fdError } from "./pipe-end.ts";
import { readableFrom, writableFrom } from "./streams.ts";

/** An extra pipe of the child: what it writes to its fd, and what we write to it. */
export interface ExtraPipe {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

const SHUT_WR = 1;

/** A writer whose close ends our direction of the socket only. */
class SocketWriter extends FdWriter {
  override close(): void {
    if (this.handle >= 0) this.native.asp_shutdown(this.handle, SHUT_WR);
    super.close();
  }
}

class Pipe implements ExtraPipe {
  readonly reader: FdReader;
  writer: FdWriter | undefined;
  /** Our second fd for the writable, made at once (the readable may be
   * cancelled, and its fd closed, before anyone writes); -errno if the dup
   * failed; undefined once given to the writer or released. */
  #spare: number | undefined;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  constructor(private readonly native: Native, private readonly channel: Channel, fd: number) {
    this.reader = new FdReader(native, channel, fd);
    this.#spare = native.asp_dup(fd);
  }

  get readable(): ReadableStream<Uint8Array> {
    return (this.#readable ??= readableFrom(this.reader));
  }

  get writable(): WritableStream<Uint8Array> {
    if (this.#writable) return this.#writable;
    const fd = this.#spare;
    this.#spare = undefined;
    if (fd === undefined) return (this.#writable = gone());
    if (fd < 0) {
      const e = fdError(-fd, "dup");
      return (this.#writable = new WritableStream({ start: (c) => c.error(e) }));
    }
    this.writer = new SocketWriter(this.native, this.channel, fd);
    return (this.#writable = writableFrom(this.writer));
  }

  /** The child is gone and nobody asked to write to it: the spare fd goes. */
  release(): void {
    if (this.#spare !== undefined && this.#spare >= 0) this.native.asp_close(this.#spare);
    this.#spare = undefined;
  }
}

/** The writable of a pipe whose child was gone before anyone asked for it:
 * nothing can be written (EPIPE), and closing it is no error. */
function gone(): WritableStream<Uint8Array> {
  return new WritableStream({
    write() {
      throw fdError(EPIPE, "write");
    },
  });
}

export class ExtraPipes {
  readonly #pipes: (Pipe | undefined)[] = [];

  constructor(private readonly native: Native, private readonly channel: Channel) {}

  add(childFd: number, fd: number): void {
    this.#pipes[childFd] = new Pipe(this.native, this.channel, fd);
  }

  /** By child fd from 3 on (null where no pipe). */
  list(): (ExtraPipe | null)[] {
    const out: (ExtraPipe | null)[] = [];
    for (let fd = 3; fd < this.#pipes.length; fd++) out.push(this.#pipes[fd] ?? null);
    return out;
  }

  setRef(ref: boolean): void {
    for (const p of this.#pipes) {
      p?.reader.setRef(ref);
      p?.writer?.setRef(ref);
    }
  }

  /** After the exit: readers nobody touched, at EOF (no descendant holds the other end), close now. */
  releaseAtExit(): void {
    for (const p of this.#pipes) {
      p?.reader.releaseAtExit();
      p?.release();
    }
  }

  /** The program never ran (or cannot be watched): nobody is at the other end. */
  close(): void {
    for (const p of this.#pipes) {
      p?.reader.close();
      p?.writer?.close();
      p?.release();
    }
  }
}
