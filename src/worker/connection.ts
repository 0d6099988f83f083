/**
 * One end of a worker's channel: frames (protocol.ts) over a non-blocking
 * stream socket, with fds passed as SCM_RIGHTS. Writes go through
 * asp_send_fds (waiting on the reactor when the socket is full). Reads go
 * one of two ways:
 * - with a side socket (worker.ts, host.ts): fds travel on the side
 *   socket, one byte each message, announced by the FD frame that follows
 *   it, so the runtime's own loop can read the channel (runtime-socket.ts;
 *   on Deno the reactor still does);
 * - without (Node's IPC, src/child_process): asp_recv_fds through the
 *   reactor, fds arriving with the bytes (a plain read() would drop them).
 */
import { Event } from "../ffi/abi.ts";
import type { Channel } from "../ffi/channel.ts";
import type { Native } from "../ffi/symbols.ts";
import { EAGAIN, ECONNRESET } from "../api/errno.ts";
import { fdError } from "../api/pipe-end.ts";
import { DEFAULT_MAX_FRAME, type Frame, FrameParser, Kind, ProtocolError } from "./protocol.ts";
import { copyFds } from "./fd-copies.ts";
import { SocketWatch } from "./socket-watch.ts";
import { openRuntimeSocket, type RuntimeSocket } from "./runtime-socket.ts";
import { runtime } from "../ffi/runtime.ts";

const READ_CHUNK = 256 * 1024;
/** One recvmsg's most (its length is an int). */
const MAX_READ = 0x40000000;
/** The kernel's limit of fds per message (SCM_MAX_FD). */
const MAX_FDS = 253;
/** The fd array of a write without fds (asp_send_fds reads none of it). */
const noFdBytes = new Uint8Array(4);
/** The least of an attachment read straight into its buffer, past the runtime's chunk. */
const DIRECT_MIN = 64 * 1024;
/**
 * Frames queued in one turn of the loop that are written without waiting
 * for its end. 16 rather than 8 (2026-12-05, 32 calls in flight, Node,
 * alternating runs): 10-15 % less CPU per call on each side, as a sendmsg
 * costs 7-8 us here (1.8 us of it the syscall; the rest is waking and
 * sharing the socket with its reader); at 16 in flight the same calls/s.
 * 24 or 32 (one write per turn) make the two processes take turns again.
 */
const PIPELINE_FRAMES = 16;
/** Frames queued together are copied into one write up to this size. */
const COALESCE_MAX = 64 * 1024;
/** The byte each side-socket message carries its fds with. */
const SIDE_BYTE = new Uint8Array([0x46]);

export interface ConnectionHandlers {
  /** A frame; for Kind.FD, `fds` holds the fds that came with it (the handler owns them). */
  frame(frame: Frame, fds: number[]): void;
  /** The channel ended: cleanly at EOF (error undefined; the socket is closed) or on an error (closed right after). */
  end(error: Error | undefined): void;
}

/**
 * What the two ends of a worker (Worker, the host's Parent) hold of their
 * channel: a Connection (the library's socketpair, fds travel), or a
 * SocketConnection (the runtime's, without the library: no fds).
 */
export interface FrameChannel {
  /** The largest frame either end takes. */
  readonly maxFrame: number;
  readonly closed: boolean;
  start(): void;
  setRef(ref: boolean): void;
  write(parts: Uint8Array[], fds?: readonly number[]): Promise<void>;
  close(): void;
  /** The TypeError for `what` ("sendFd()", a call's fds) where fds cannot travel on this channel; undefined where they can. */
  fdsRefused(what: string): TypeError | undefined;
}

/** What splits the bytes read into frames: the worker protocol's FrameParser, or another protocol's. */
export interface Parser {
  push(chunk: Uint8Array): Iterable<Frame>;
  /** Mid-frame: EOF now means a truncated frame. */
  readonly partial: boolean;
  /** Where the next read may go directly (a large attachment's own buffer), if anywhere. */
  target?(max: number): Uint8Array | undefined;
  /** After a read into target(): the frames it completed. */
  filled?(n: number): Iterable<Frame>;
}

interface Pending {
  parts: Uint8Array[];
  /** The fds to send; copies of the caller's (ours to close) once `owned`. */
  fds: readonly number[];
  owned: boolean;
  done: (error?: Error) => void;
}

/**
 * A channel's end, told once: at EOF it is closed, then the handlers hear
 * it. An error is heard while the socket is still open: a worker that broke
 * the protocol is killed (worker.ts) before our close can reach it as an
 * EOF, on which it would exit by itself (a race a loaded host lost).
 */
export function endChannel(error: Error | undefined, channel: { close(): void }, handlers: ConnectionHandlers): void {
  if (!error) {
    channel.close();
    return handlers.end(undefined);
  }
  handlers.end(error);
  channel.close();
}

function partsSize(parts: readonly Uint8Array[]): number {
  let size = 0;
  for (const part of parts) size += part.length;
  return size;
}

export class Connection implements FrameChannel {
  readonly #native: Native;
  readonly #watch: SocketWatch;
  readonly #parser: Parser;
  readonly #handlers: ConnectionHandlers;
  #fd: number;
  /** fds received whose FD frame is not parsed yet. */
  #fds: number[] = [];
  #queue: Pending[] = [];
  /** The bytes of #queue not yet written: kept as they change, read on every IPC send(). */
  #queued = 0;
  #writing = false;
  /** A write loop is due in a microtask. */
  #flushing = false;
  #ended = false;
  /** The side socket fds travel on (ours to close), or -1: fds come with the channel's bytes. */
  #side: number;
  readonly #sideWatch: SocketWatch | undefined;
  #reader: RuntimeSocket | undefined;
  #ref = true;
  /** Every write starts at once, as Node's IPC writes (eager). */
  readonly #eager: boolean;
  /** Why fds cannot travel here (a peer that reads without the library), if they cannot. */
  readonly #refuse: ((what: string) => TypeError) | undefined;
  /** The largest frame either end takes: what we read is held to it, and what we send is checked against it (frame()). */
  readonly maxFrame: number;

  constructor(
    native: Native,
    channel: Channel,
    fd: number,
    handlers: ConnectionHandlers,
    options: { maxFrame?: number; parser?: Parser; side?: number; eager?: boolean; refuse?: (what: string) => TypeError } = {},
  ) {
    this.#native = native;
    this.#fd = fd;
    this.#watch = new SocketWatch(channel, fd);
    this.maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.#parser = options.parser ?? new FrameParser(this.maxFrame);
    this.#handlers = handlers;
    this.#side = options.side ?? -1;
    this.#eager = options.eager ?? false;
    this.#refuse = options.refuse;
    if (this.#side >= 0) this.#sideWatch = new SocketWatch(channel, this.#side);
  }

  /** Start reading: frames and the end go to the handlers from now on. */
  start(): void {
    if (this.#fd < 0) return; // closed before it started
    // Deno's node:net adopts an fd, but its round trip is no faster than the
    // reactor's, and under load its tokio driver lost its own fds (a panic
    // in a pool test): Deno reads through the reactor.
    if (this.#side < 0 || runtime === "deno") return void this.#readLoop();
    // The runtime's reader gets an fd of its own: it closes it whenever it
    // likes, and a number it closed must never be one we still write to.
    const dup = this.#native.asp_dup(this.#fd);
    if (dup < 0) return this.#fail(fdError(-dup, "dup"));
    try {
      this.#reader = openRuntimeSocket(dup, {
        data: (chunk) => this.#push(chunk),
        end: (e) => {
          if (!e && this.#parser.partial) e = new ProtocolError("the channel ended in the middle of a frame");
          e ? this.#fail(e) : this.#finish(undefined);
        },
      });
    } catch (e) {
      this.#native.asp_close(dup);
      return this.#fail(e as Error);
    }
    if (!this.#ref) this.#reader.setRef(false);
  }

  #failedAtOnce = false;

  /** Bytes queued and not yet written (Node's writeQueueSize). */
  get backlog(): number {
    return this.#queued;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** fds travel here. */
  fdsRefused(what: string): TypeError | undefined {
    return this.#refuse?.(what);
  }

  /** Whether waiting on the socket keeps the process alive. */
  setRef(ref: boolean): void {
    if (ref === this.#ref) return; // a worker's calls set it twice each
    this.#ref = ref;
    this.#watch.setRef(ref);
    this.#sideWatch?.setRef(ref);
    this.#reader?.setRef(ref);
  }

  /**
   * The oldest fd received that no FD frame claimed, for protocols whose
   * messages say themselves that an fd came with them (Node's IPC: a
   * NODE_HANDLE message); its fd arrived no later than its first byte.
   */
  takeFd(): number | undefined {
    return this.#fds.shift();
  }

  /**
   * Queue a frame (fds go with its first byte); resolves once all of it is
   * in the socket. The caller may close its fds as soon as this returns:
   * fds that cannot go at once (the socket is full, frames wait before
   * this one) are duplicated first, and the copies closed once sent.
   */
  write(parts: Uint8Array[], fds: readonly number[] = []): Promise<void> {
    this.#failedAtOnce = true; // until it is queued
    if (fds.length > MAX_FDS) return Promise.reject(new RangeError(`at most ${MAX_FDS} fds per frame`));
    let returned = false;
    const written = new Promise<void>((resolve, reject) => {
      if (this.#fd < 0) return reject(fdError(32, "write")); // EPIPE
      this.#failedAtOnce = false;
      const p: Pending = {
        parts, fds, owned: false,
        done: (e) => {
          if (e && !returned) this.#failedAtOnce = true;
          return e ? reject(e) : resolve();
        },
      };
      this.#queue.push(p);
      this.#queued += partsSize(parts);
      if (this.#writing) {
        // The loop is waiting for room: p goes after what is queued.
      } else if (!fds.length && !this.#eager) {
        // Frames written in this turn of the loop go together (one write,
        // one wake-up of the peer): calls in flight answered by one read
        // are followed by as many new calls, or replies. But every
        // PIPELINE_FRAMES of them go at once: the peer starts on those while
        // we make the rest (all in one write, the two processes would only
        // take turns: 1.5x fewer calls/s with 32 in flight).
        if (this.#queue.length >= PIPELINE_FRAMES) void this.#writeLoop();
        else if (!this.#flushing) {
          this.#flushing = true;
          queueMicrotask(() => {
            this.#flushing = false;
            if (!this.#writing) void this.#writeLoop();
          });
        }
      } else void this.#writeLoop();
      // The loop ran as far as it could: fds still waiting are copied now.
      if (p.fds.length && this.#queue.includes(p) && !p.owned) this.#own(p);
    });
    returned = true;
    return written;
  }

  /**
   * The last write() failed before it returned (the peer was gone, an fd
   * could not be copied), rather than after its frame waited in the queue:
   * Node's IPC reports only the first kind (ipc.ts).
   */
  get failedAtOnce(): boolean {
    return this.#failedAtOnce;
  }

  /** Replace p's fds by copies of ours; if one cannot be made, p fails and leaves the queue (false). */
  #own(p: Pending): boolean {
    const copies = copyFds(this.#native, p.fds);
    if (copies instanceof Error) {
      this.#queue.splice(this.#queue.indexOf(p), 1);
      this.#queued -= partsSize(p.parts); // none of it went
      p.done(copies);
      return false;
    }
    p.fds = copies;
    p.owned = true;
    return true;
  }

  /** p's fds went (or never will): copies of ours are closed. */
  #release(p: Pending): void {
    if (p.owned) for (const fd of p.fds) this.#native.asp_close(fd);
    p.fds = [];
    p.owned = false;
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      frames: while (this.#queue.length && this.#fd >= 0) {
        this.#coalesce();
        const p = this.#queue[0]!;
        if (p.fds.length && this.#side >= 0 && !(await this.#sendSide(p))) continue frames;
        for (const part of p.parts) {
          let off = 0;
          while (off < part.length) {
            if (this.#fd < 0) throw fdError(32, "write");
            const chunk = off ? part.subarray(off) : part;
            const fdBytes = p.fds.length ? new Uint8Array(Int32Array.from(p.fds).buffer) : noFdBytes;
            const n = this.#native.asp_send_fds(this.#fd, chunk, chunk.length, fdBytes, p.fds.length);
            if (n > 0) {
              off += n;
              this.#queued -= n;
              this.#release(p); // they went with the first byte sent
            } else if (n === -EAGAIN) {
              // Nothing of p went yet: without its fds it can leave the queue.
              if (p.fds.length && !p.owned && !this.#own(p)) continue frames;
              await this.#watch.wait(Event.OUT);
            } else throw fdError(-n, "sendmsg");
          }
        }
        this.#queue.shift();
        p.done();
      }
    } catch (e) {
      // A write that fails ends the channel: every queued frame fails. The
      // peer gone (EPIPE, ECONNRESET) is an end like EOF, the one a read
      // would have seen: writes wait a microtask, so a peer killed right
      // after a call is now often met by the write first.
      const code = (e as { code?: string }).code;
      code === "EPIPE" || code === "ECONNRESET" ? this.#finish(undefined) : this.#fail(e as Error);
    } finally {
      this.#writing = false;
    }
  }

  /** Small frames without fds at the head of the queue become one frame of their bytes. */
  #coalesce(): void {
    const q = this.#queue;
    let n = 0, size = 0;
    for (; n < q.length && !q[n]!.fds.length; n++) {
      const bytes = partsSize(q[n]!.parts);
      if (size + bytes > COALESCE_MAX) break;
      size += bytes;
    }
    if (n < 2) return;
    const merged = q.splice(0, n), buf = new Uint8Array(size);
    let at = 0;
    for (const p of merged) {
      for (const part of p.parts) {
        buf.set(part, at);
        at += part.length;
      }
    }
    q.unshift({ parts: [buf], fds: [], owned: false, done: (e) => merged.forEach((p) => p.done(e)) });
  }

  /** p's fds on the side socket, ahead of its frame; false if p failed and left the queue. */
  async #sendSide(p: Pending): Promise<boolean> {
    for (;;) {
      if (this.#fd < 0) throw fdError(32, "write");
      const fdBuf = Int32Array.from(p.fds);
      const n = this.#native.asp_send_fds(this.#side, SIDE_BYTE, 1, new Uint8Array(fdBuf.buffer), p.fds.length);
      if (n === 1) {
        this.#release(p);
        return true;
      }
      if (n !== -EAGAIN) throw fdError(-n, "sendmsg");
      if (!p.owned && !this.#own(p)) return false;
      await this.#sideWatch!.wait(Event.OUT);
    }
  }

  /**
   * Bytes the runtime read (a channel with a side socket). Inside a large
   * attachment, the rest of it is read at once straight into its buffer:
   * the runtime's chunks (64 KiB on Node) would each be copied, and a
   * 64 MiB round trip took twice as long. The runtime reads on after us, so
   * the order holds; an EOF or error we meet it meets too.
   */
  #push(chunk: Uint8Array): void {
    try {
      this.#parsed(this.#parser.push(chunk));
      for (let t; this.#fd >= 0 && (t = this.#parser.target?.(DIRECT_MIN));) {
        const n = this.#native.asp_recv_fds(this.#fd, t, Math.min(t.length, MAX_READ), noFdBytes, 0, noFdBytes);
        if (n <= 0) break;
        this.#parsed(this.#parser.filled!(n));
      }
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #parsed(frames: Iterable<Frame>): void {
    for (const f of frames) {
      if (this.#fd < 0) return;
      this.#deliver(f);
    }
  }

  /** The fds an FD frame announces, from the side socket: sent before the frame, so here by now. */
  #takeSide(count: number): number[] {
    const fdBuf = new Int32Array(MAX_FDS), nfds = new Int32Array(1), byte = new Uint8Array(1);
    const n = this.#native.asp_recv_fds(this.#side, byte, 1, new Uint8Array(fdBuf.buffer), MAX_FDS, new Uint8Array(nfds.buffer));
    const got = Array.from(fdBuf.subarray(0, Math.max(0, nfds[0]!)));
    if (n === 1 && got.length === count) return got;
    for (const fd of got) this.#native.asp_close(fd);
    if (n < 0 && n !== -EAGAIN) throw fdError(-n, "recvmsg");
    throw new ProtocolError(`an FD frame announces ${count} fds, ${got.length} came`);
  }

  async #readLoop(): Promise<void> {
    const buf = new Uint8Array(READ_CHUNK);
    const fdBuf = new Int32Array(MAX_FDS), nfds = new Int32Array(1);
    const fdBytes = new Uint8Array(fdBuf.buffer), nfdsBytes = new Uint8Array(nfds.buffer);
    try {
      while (this.#fd >= 0) {
        // A large attachment is read straight into its own buffer.
        const direct = this.#parser.target?.(READ_CHUNK);
        const into = direct ?? buf;
        const n = this.#native.asp_recv_fds(this.#fd, into, Math.min(into.length, MAX_READ), fdBytes, MAX_FDS, nfdsBytes);
        if (n === -EAGAIN) {
          await this.#watch.wait(Event.IN);
          continue;
        }
        // A peer gone with bytes of ours unread resets the connection: an end like EOF.
        if (n === -ECONNRESET) return this.#finish(undefined);
        if (n < 0) throw fdError(-n, "recvmsg");
        // With a side socket, fds on the channel are nobody's: closed, as a runtime's read drops them.
        for (let i = 0; i < nfds[0]!; i++) this.#side >= 0 ? this.#native.asp_close(fdBuf[i]!) : this.#fds.push(fdBuf[i]!);
        if (n === 0) {
          if (this.#parser.partial) throw new ProtocolError("the channel ended in the middle of a frame");
          return this.#finish(undefined);
        }
        for (const f of direct ? this.#parser.filled!(n) : this.#parser.push(buf.subarray(0, n))) {
          if (this.#fd < 0) return;
          this.#deliver(f);
        }
      }
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #deliver(f: Frame): void {
    let fds: number[] = [];
    if (f.kind === Kind.FD && this.#side >= 0) {
      if (f.aux < 1 || f.aux > MAX_FDS) throw new ProtocolError(`an FD frame announces ${f.aux} fds`);
      fds = this.#takeSide(f.aux);
    } else if (f.kind === Kind.FD) {
      // The fds come with the frame's first byte, so they are here by now.
      if (f.aux < 1 || f.aux > this.#fds.length) throw new ProtocolError(`an FD frame announces ${f.aux} fds, ${this.#fds.length} came`);
      fds = this.#fds.splice(0, f.aux);
    } else if (this.#fds.length > MAX_FDS) {
      // fds come no later than their FD frame's first byte, possibly with
      // frames before it; this many waiting is a peer sending fds unannounced.
      throw new ProtocolError(`${this.#fds.length} fds came without an FD frame`);
    }
    this.#handlers.frame(f, fds);
  }

  #fail(e: Error): void {
    this.#finish(e);
  }

  #finish(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    endChannel(error, this, this.#handlers);
  }

  /** Close the socket: queued writes fail, received fds nobody took are closed. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#watch.close();
    this.#reader?.close();
    this.#native.asp_close(fd);
    if (this.#side >= 0) {
      this.#sideWatch!.close();
      this.#native.asp_close(this.#side);
      this.#side = -1;
    }
    for (const f of this.#fds.splice(0)) this.#native.asp_close(f);
    const queued = this.#queue.splice(0);
    this.#queued = 0;
    for (const p of queued) {
      this.#release(p);
      p.done(fdError(32, "write"));
    }
    if (!this.#ended) {
      this.#ended = true;
      this.#handlers.end(undefined);
    }
  }
}
