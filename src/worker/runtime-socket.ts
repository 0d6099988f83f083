/**
 * A connected socket read by the runtime's own event loop: node:net on Node,
 * Bun.connect({ fd }) on Bun (its node:net cannot adopt an fd). Deno's
 * node:net would work here, but Connection keeps Deno on the reactor.
 * Each chunk then arrives in the thread that handles it, where a read
 * through the library's reactor costs a second wake-up (its thread, then
 * ours): half of a worker call's round trip. Such a read drops fds passed
 * with the bytes, so a channel read this way gets its fds on a side socket.
 * The reader owns `fd` (a dup of the channel's): close() closes it.
 *
 * A channel the runtime made (socket-connection.ts: no library) is also
 * written this way: openDuplexSocket().
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

export interface DuplexSocket extends RuntimeSocket {
  /** Resolves once the runtime has written all of `chunk` to the socket; rejects (EPIPE) if it never will. */
  write(chunk: Uint8Array): Promise<void>;
}

interface BunSocket {
  write(data: Uint8Array): number;
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
      drain?(s: BunSocket): void;
    };
  }): Promise<BunSocket>;
};

/**
 * A peer gone with bytes of ours unread resets the connection, and one
 * gone before our write fails it (EPIPE): each an end like EOF.
 */
const asEnd = (e: Error | undefined) => {
  const code = (e as { code?: string } | undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE" ? undefined : e;
};

const epipe = () => Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE", errno: 32, syscall: "write" });

/** The sink, told once of the end, and of nothing after close(). */
function guard(sink: SocketSink): SocketSink & { close(): void } {
  let done = false;
  return {
    data: (chunk) => !done && sink.data(chunk),
    end: (e) => {
      if (done) return;
      done = true;
      sink.end(asEnd(e));
    },
    close: () => void (done = true),
  };
}

/** Reads `fd` until EOF, an error or close(); after close() the sink hears nothing. */
export function openRuntimeSocket(fd: number, sink: SocketSink): RuntimeSocket {
  const guarded = guard(sink);
  const s = runtime === "bun" ? bunSocket(fd, guarded, false) : netSocket(fd, guarded, false);
  return {
    setRef: (ref) => s.setRef(ref),
    close: () => {
      guarded.close();
      s.close();
    },
  };
}

/**
 * Reads and writes `end`, a socket the runtime made (an fd, or Node's
 * net.Socket of a child's extra pipe), until EOF, an error or close().
 */
export function openDuplexSocket(end: number | Socket, sink: SocketSink): DuplexSocket {
  const guarded = guard(sink);
  const s = typeof end === "number" && runtime === "bun" ? bunSocket(end, guarded, true) : netSocket(end, guarded, true);
  return {
    write: (chunk) => s.write(chunk),
    setRef: (ref) => s.setRef(ref),
    close: () => {
      guarded.close();
      s.close();
    },
  };
}

function netSocket(end: number | Socket, sink: SocketSink, writable: boolean): DuplexSocket {
  // allowHalfOpen: at EOF, net.Socket would shut our direction down, and
  // the socket is shared with the fd we write through.
  const s = typeof end === "number" ? new Socket({ fd: end, readable: true, writable, allowHalfOpen: true }) : end;
  // Writes not yet called back. Node calls back a write in flight at
  // destroy() as done, and later ones with ERR_STREAM_DESTROYED: none of
  // them reached the peer for sure, so each fails with EPIPE, as the
  // library's channel fails its queued writes.
  const pending = new Set<(e?: Error) => void>();
  const fail = () => {
    for (const settle of pending) settle(epipe());
    pending.clear();
  };
  s.on("data", (d: Uint8Array) => sink.data(d));
  s.on("end", () => sink.end(undefined));
  s.on("error", (e: Error) => (fail(), sink.end(e)));
  s.on("close", () => (fail(), sink.end(undefined)));
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (s.destroyed || !s.writable) return reject(epipe());
        const settle = (e?: Error) => {
          if (!pending.delete(settle)) return; // failed already
          e ? reject(asEnd(e) === undefined || (e as { code?: string }).code === "ERR_STREAM_DESTROYED" ? epipe() : e) : resolve();
        };
        pending.add(settle);
        s.write(chunk, (e) => settle(e ?? undefined));
      }),
    setRef: (ref) => void (ref ? s.ref() : s.unref()),
    close: () => {
      fail();
      s.destroy();
    },
  };
}

/** Bun.connect({ fd }): its node:net cannot adopt a connected fd. Writes wait for room (drain) in order. */
function bunSocket(fd: number, sink: SocketSink, writable: boolean): DuplexSocket {
  let socket: BunSocket | undefined, ref = true, closed = false;
  const queue: { bytes: Uint8Array; resolve(): void; reject(e: Error): void }[] = [];
  const fail = () => {
    for (const w of queue.splice(0)) w.reject(epipe());
  };
  // As much as the socket takes now; the rest on drain.
  const flush = () => {
    while (socket && queue.length) {
      const w = queue[0]!;
      const n = socket.write(w.bytes);
      if (n < 0) return fail();
      if (n < w.bytes.length) {
        w.bytes = w.bytes.subarray(n);
        return;
      }
      queue.shift();
      w.resolve();
    }
  };
  Bun.connect({
    fd,
    allowHalfOpen: true,
    socket: {
      data: (_s, d) => sink.data(d),
      end: () => sink.end(undefined),
      close: (_s, e) => (fail(), sink.end(e)),
      error: (_s, e) => (fail(), sink.end(e)),
      ...(writable && { drain: flush }),
    },
  }).then(
    (s) => {
      socket = s;
      if (closed) s.terminate();
      else if (!ref) s.unref();
      flush();
    },
    (e: Error) => (fail(), sink.end(e)),
  );
  return {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        if (closed) return reject(epipe());
        queue.push({ bytes, resolve, reject });
        if (queue.length === 1) flush();
      }),
    setRef: (on) => {
      ref = on;
      if (socket) on ? socket.ref() : socket.unref();
    },
    close: () => {
      closed = true;
      fail();
      socket?.terminate();
    },
  };
}
