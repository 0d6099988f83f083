/**
 * Wakes this JS context when the reactor thread writes records to the
 * channel's notify pipe, using the runtime's own event loop (no polling).
 *
 * - Node and Deno: a net.Socket over the pipe's read end; ref()/unref()
 *   decide whether it keeps the process alive.
 * - Bun: net.Socket({fd}) reads nothing there, so a Bun.file(fd) stream is
 *   read instead. A pending read keeps Bun alive and cannot be unref'd, so
 *   the stream runs only while something is awaited and is cancelled when
 *   idle (the reactor then has nothing armed to report), a tick later.
 */
import { createRequire } from "node:module";
import { runtime } from "./runtime.ts";

export interface Waker {
  /** Keep the process alive: something is awaited. */
  ref(): void;
  /** Let the process exit: nothing is awaited. */
  unref(): void;
}

type OnData = (chunk: Uint8Array) => void;

function socketWaker(fd: number, onData: OnData): Waker {
  const net = createRequire(import.meta.url)("node:net");
  const socket = new net.Socket({ fd, readable: true, writable: false });
  socket.on("data", onData);
  socket.on("error", (e: Error) => queueMicrotask(() => { throw e; }));
  socket.unref();
  return { ref: () => socket.ref(), unref: () => socket.unref() };
}

declare const Bun: { file(fd: number): { stream(): ReadableStream<Uint8Array> } };

function bunWaker(fd: number, onData: OnData): Waker {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let idle: ReturnType<typeof setImmediate> | undefined;
  const pump = async (r: ReadableStreamDefaultReader<Uint8Array>) => {
    for (;;) {
      const { value, done } = await r.read();
      if (done) return;
      if (value) onData(value);
    }
  };
  return {
    ref() {
      if (idle) {
        clearImmediate(idle);
        idle = undefined;
      }
      if (reader) return;
      reader = Bun.file(fd).stream().getReader();
      pump(reader).catch(() => {});
    },
    // Cancelled a tick later: a program that awaits one child after
    // another (`await run()` in a loop) refs again before that, and keeps
    // its stream (a new one costs ~50 us per child here).
    unref() {
      if (!reader || idle) return;
      idle = setImmediate(() => {
        idle = undefined;
        const r = reader;
        reader = undefined;
        r?.cancel().catch(() => {});
      });
    },
  };
}

export function createWaker(fd: number, onData: OnData): Waker {
  return runtime === "bun" ? bunWaker(fd, onData) : socketWaker(fd, onData);
}
