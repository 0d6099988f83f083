/**
 * A worker's channel made by the runtime, not by libaspawn.so (which the
 * portable backend runs without: it could not load or serve here): Node's
 * and Bun's extra "pipe" of the worker's spawn, a socketpair like the
 * library's. The same frames (protocol.ts) travel on it, read and written
 * by the runtime's own socket (runtime-socket.ts); fds cannot travel, as
 * passing them (SCM_RIGHTS) needs the library: sendFd(), receiveFd() and a
 * call's `fds` are refused, and an FD frame is a protocol error.
 */
import type { Socket } from "node:net";
import { fdError } from "../api/pipe-end.ts";
import { type ConnectionHandlers, endChannel, type FrameChannel } from "./connection.ts";
import { DEFAULT_MAX_FRAME, FrameParser, Kind, ProtocolError } from "./protocol.ts";
import { type DuplexSocket, openDuplexSocket } from "./runtime-socket.ts";

export class SocketConnection implements FrameChannel {
  readonly maxFrame: number;
  readonly #parser: FrameParser;
  readonly #handlers: ConnectionHandlers;
  readonly #refuse: (what: string) => TypeError;
  readonly #socket: DuplexSocket | undefined;
  /** What came before start(): replayed by it. */
  #early: (() => void)[] | undefined = [];
  #closed = false;
  #ended = false;

  /**
   * `end`: our end as the runtime gave it (an fd, or Node's net.Socket),
   * or undefined when no child was started (the channel ends at start());
   * `refuse(what)` is the TypeError for fds asked of this channel.
   */
  constructor(
    end: number | Socket | undefined,
    handlers: ConnectionHandlers,
    options: { maxFrame?: number; refuse: (what: string) => TypeError },
  ) {
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.#parser = new FrameParser(this.maxFrame);
    this.#handlers = handlers;
    this.#refuse = options.refuse;
    // Opened now, so that frames written before start() go out in order;
    // what arrives meanwhile waits for start().
    this.#socket = end === undefined ? undefined : openDuplexSocket(end, {
      data: (chunk) => this.#early ? this.#early.push(() => this.#push(chunk)) : this.#push(chunk),
      end: (e) => this.#early ? this.#early.push(() => this.#atEnd(e)) : this.#atEnd(e),
    });
  }

  /** Start reading: frames and the end go to the handlers from now on. */
  start(): void {
    const early = this.#early ?? [];
    this.#early = undefined;
    if (!this.#socket) return queueMicrotask(() => this.#finish(undefined));
    for (const fn of early) fn();
  }

  get closed(): boolean {
    return this.#closed;
  }

  fdsRefused(what: string): TypeError {
    return this.#refuse(what);
  }

  setRef(ref: boolean): void {
    this.#socket?.setRef(ref);
  }

  /** Queue a frame; resolves once all of it is in the socket. fds cannot go (see fdsRefused). */
  write(parts: Uint8Array[], fds: readonly number[] = []): Promise<void> {
    if (fds.length) return Promise.reject(this.#refuse("passing fds"));
    if (this.#closed || !this.#socket) return Promise.reject(fdError(32, "write")); // EPIPE
    // In order, each part as it is (an attachment is not copied).
    const socket = this.#socket;
    return Promise.all(parts.map((p) => socket.write(p))).then(() => {});
  }

  #push(chunk: Uint8Array): void {
    try {
      for (const f of this.#parser.push(chunk)) {
        if (this.#closed) return;
        if (f.kind === Kind.FD) throw new ProtocolError("an FD frame on a channel that passes no fds (the parent runs without the native library)");
        this.#handlers.frame(f, []);
      }
    } catch (e) {
      this.#finish(e as Error);
    }
  }

  #atEnd(e: Error | undefined): void {
    if (!e && this.#parser.partial) e = new ProtocolError("the channel ended in the middle of a frame");
    this.#finish(e);
  }

  #finish(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    endChannel(error, this, this.#handlers);
  }

  /** Close the socket: queued writes fail (EPIPE), the other end reads EOF. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.close();
    if (!this.#ended) {
      this.#ended = true;
      this.#handlers.end(undefined);
    }
  }
}
