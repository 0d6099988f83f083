/**
 * Wakes this JS context when the reactor thread writes records to the
 * channel's notify pipe, using the runtime's own event loop.
 *
 * - Node and Deno: a net.Socket over the pipe's read end; ref()/unref()
 *   decide whether it keeps the process alive, and it reads either way
 *   (on Node into one buffer, `onread`, not through its stream).
 * - Bun: net.Socket({fd}) reads nothing there, so a Bun.file(fd) stream is
 *   read instead. A pending read keeps Bun alive and cannot be unref'd, so
 *   the stream runs only while something is awaited and is cancelled a tick
 *   after it is not. While only unref'd watches are armed (a child someone
 *   unref()'d, in a process kept alive by something else), an unref'd
 *   10 ms timer reads the pipe instead: those children are reported within
 *   10 ms, and an idle program still exits. A pipe left to a descendant,
 *   watched for its hang-up alone, is read for once a second: its fd is
 *   released a moment later, and a program does not wake 100 times a
 *   second for as long as a daemon holds it.
 */
import { requireHere, runtime } from "./runtime.ts";

/** What unref'd armed watches ask for: "prompt" reports, "lazy" ones (a hang-up alone), or none. */
export type Polling = "none" | "lazy" | "prompt";

export interface Waker {
  /** Keep the process alive: something is awaited. */
  ref(): void;
  /** Let the process exit: nothing is awaited. Unref'd watches that are
   * armed are still reported while the process lives on, as `polling` says. */
  unref(polling: Polling): void;
}

type OnData = (chunk: Uint8Array) => void;

/** What one read of the notify pipe takes at most: many of the reactor's batches (a partial record is kept by the channel). */
const SOCKET_BUFFER = 65536;

function socketWaker(fd: number, onData: OnData): Waker {
  const net = requireHere()("node:net");
  let socket;
  if (runtime === "node") {
    // `onread`: each read lands in one buffer and goes to the callback,
    // without the Readable stream's push, 'data' event and read-ahead
    // tick, which took a measurable share of the JS thread's CPU per
    // awaited child on Node (on Deno the same change measured nothing, so
    // it keeps the stream).
    const buffer = new Uint8Array(SOCKET_BUFFER);
    // The callback returns undefined: false would make Node stop reading.
    const onread = { buffer, callback: (n: number) => void onData(buffer.subarray(0, n)) };
    socket = new net.Socket({ fd, readable: true, writable: false, onread });
  } else {
    socket = new net.Socket({ fd, readable: true, writable: false });
    socket.on("data", onData);
  }
  socket.on("error", (e: Error) => queueMicrotask(() => { throw e; }));
  socket.unref();
  return { ref: () => socket.ref(), unref: () => socket.unref() };
}

declare const Bun: { file(fd: number): { stream(): ReadableStream<Uint8Array> } };

const POLL_MS = { none: 0, lazy: 1000, prompt: 10 } as const;

/**
 * A reader of the pipe's Bun stream. getReader() dups the fd to the lowest
 * free number: with fds 0-2 closed (a daemon's), the copy became fd 0, and a
 * child given stdin "inherit" read our records (the library's fds never sit
 * on 0-2; fds.c). So a closed one of them holds /dev/null meanwhile.
 */
function bunReader(fd: number): ReadableStreamDefaultReader<Uint8Array> {
  const fs = requireHere()("node:fs") as typeof import("node:fs");
  const held: number[] = [];
  try {
    for (let d = fs.openSync("/dev/null", "r"); ; d = fs.openSync("/dev/null", "r")) {
      if (d > 2) {
        fs.closeSync(d);
        break;
      }
      held.push(d);
    }
  } catch {
    // Out of fds: so is the dup, which fails as it did before.
  }
  try {
    return Bun.file(fd).stream().getReader();
  } finally {
    for (const d of held) fs.closeSync(d);
  }
}

function bunWaker(fd: number, onData: OnData, readNow: () => void): Waker {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let idle: ReturnType<typeof setImmediate> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined, pollMs = 0;
  const pump = async (r: ReadableStreamDefaultReader<Uint8Array>) => {
    for (;;) {
      const { value, done } = await r.read();
      if (done) return;
      if (value) onData(value);
    }
  };
  const stopIdle = () => {
    if (idle) clearImmediate(idle);
    idle = undefined;
  };
  const setPoll = (polling: Polling) => {
    const ms = POLL_MS[polling];
    if (ms === pollMs) return;
    if (poll) clearInterval(poll);
    poll = undefined;
    pollMs = ms;
    if (!ms) return;
    poll = setInterval(readNow, ms);
    (poll as unknown as { unref(): void }).unref();
  };
  return {
    ref() {
      stopIdle();
      setPoll("none");
      if (reader) return;
      reader = bunReader(fd);
      pump(reader).catch(() => {});
    },
    // A tick later: a program that awaits one child after another
    // (`await run()` in a loop) refs again before that, and keeps its
    // stream (a new one per child shows in bench/scenarios/echo.ts on Bun).
    unref(polling) {
      stopIdle();
      if (!reader) return setPoll(polling);
      idle = setImmediate(() => {
        idle = undefined;
        const r = reader;
        reader = undefined;
        r?.cancel().catch(() => {});
        setPoll(polling);
      });
    },
  };
}

export function createWaker(fd: number, onData: OnData, readNow: () => void): Waker {
  return runtime === "bun" ? bunWaker(fd, onData, readNow) : socketWaker(fd, onData);
}
