/**
 * A connected socket read by the runtime's own event loop: node:net on Node,
 * Bun.connect({ fd }) on Bun (its node:net cannot adopt an fd). Deno's
 * node:net would work here, but Connection keeps Deno on the reactor.
 * Each chunk then arrives in the thread that handles it, where a read
 * through the library's reactor costs a second wake-up (its thread, then
 * ours): half of a worker call's round trip. Such a read drops fds passed
 * with the bytes, so a channel read this way gets its fds on a side socket.
 * The reader owns `fd` (a dup of the channel's): close() closes it.
 */
import { Socket } from "node:net";
import { runtime } from "../ffi/runtime.ts";

export interface SocketSink {
  data(chunk: Uint8Array): void;
  /** EOF (error undefined) or a read error; nothing follows. */
  end(error: Error | undefined): void;
}

export interface RuntimeSocket {
  setRef(ref: boolean): void;
  close(): void;
}

interface BunSocket {
  ref(): void;
  unref(): void;
  terminate(): void;
}

declare const Bun: {
  connect(o: {
    fd: number;
    allowHalfOpen: boolean;
    socket: {
      data(s: BunSocket, d: Uint8Array): void;
      end(s: BunSocket): void;
      close(s: BunSocket, error?: Error): void;
      error(s: BunSocket, error: Error): void;
    };
  }): Promise<BunSocket>;
};

/** A peer gone with bytes of ours unread resets the connection: an end like EOF. */
const asEnd = (e: Error | undefined) => ((e as { code?: string } | undefined)?.code === "ECONNRESET" ? undefined : e);

/** Reads `fd` until EOF, an error or close(); after close() the sink hears nothing. */
export function openRuntimeSocket(fd: number, sink: SocketSink): RuntimeSocket {
  let done = false;
  const guarded: SocketSink = {
    data: (chunk) => !done && sink.data(chunk),
    end: (e) => {
      if (done) return;
      done = true;
      sink.end(asEnd(e));
    },
  };
  const s = runtime === "bun" ? bunSocket(fd, guarded) : netSocket(fd, guarded);
  return {
    setRef: (ref) => s.setRef(ref),
    close: () => {
      done = true;
      s.close();
    },
  };
}

function netSocket(fd: number, sink: SocketSink): RuntimeSocket {
  // allowHalfOpen: at EOF, net.Socket would shut our direction down, and
  // the socket is shared with the fd we write through.
  const s = new Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
  s.on("data", (d: Uint8Array) => sink.data(d));
  s.on("end", () => sink.end(undefined));
  s.on("error", (e: Error) => sink.end(e));
  s.on("close", () => sink.end(undefined));
  return { setRef: (ref) => void (ref ? s.ref() : s.unref()), close: () => void s.destroy() };
}

function bunSocket(fd: number, sink: SocketSink): RuntimeSocket {
  let socket: BunSocket | undefined, ref = true, closed = false;
  Bun.connect({
    fd,
    allowHalfOpen: true,
    socket: {
      data: (_s, d) => sink.data(d),
      end: () => sink.end(undefined),
      close: (_s, e) => sink.end(e),
      error: (_s, e) => sink.end(e),
    },
  }).then(
    (s) => {
      socket = s;
      if (closed) s.terminate();
      else if (!ref) s.unref();
    },
    (e: Error) => sink.end(e),
  );
  return {
    setRef: (on) => {
      ref = on;
      if (socket) on ? socket.ref() : socket.unref();
    },
    close: () => {
      closed = true;
      socket?.terminate();
    },
  };
}
