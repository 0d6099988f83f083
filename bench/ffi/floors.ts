/**
 * The C floors timed in this process (zig-out/lib/libbench-floor.so, built
 * by `zig build bench-c`), loaded through the library's own binding of this
 * runtime's FFI, so a scenario times its floor in turn with the library:
 * same process, parent and minute. A floor timed by a process of its own,
 * even in the same run, drifted 20-30 % from it on this noisy host.
 */
import { existsSync } from "node:fs";
import { Socket } from "node:net";
import { resolve } from "node:path";
import { openTable } from "../../src/ffi/load.ts";

export const FLOOR_LIBRARY = "zig-out/lib/libbench-floor.so";
/** The floor's name in the results. */
export const FLOOR = "C floor";
/** wakeFloor()'s. */
export const WAKE_FLOOR = "C + one JS wake";

const TABLE = {
  bench_sync_floor: { args: ["i32"], result: "i32" },
  bench_echo_floor: { args: [], result: "i32" },
  bench_spawn_floor: { args: [], result: "i32" },
  bench_spawn_floor_sockets: { args: [], result: "i32" },
  bench_spawn_floor_shared: { args: [], result: "i32" },
  bench_spawn_floor_reap: { args: [], result: "i32" },
  bench_spawn_floor_close: { args: [], result: "i32" },
  bench_wake_slots: { args: [], result: "i32" },
  bench_wake_open: { args: [], result: "i32" },
  bench_wake_spawn: { args: ["i32", "i32"], result: "i32" },
  bench_wake_close: { args: ["i32"], result: "i32" },
  bench_reader_floor: { args: ["i32", "i32", "i32"], result: "i32" },
  bench_loop_round: { args: ["i32", "buffer", "i32"], result: "i32" },
} as const;

function open(path: string) {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${abs} is missing: build it with scripts/zig build bench-c`);
  return openTable(abs, TABLE);
}

/**
 * bench/c/sync_jobs.c: `true` (echo false) or `echo hello` by vfork +
 * execve, stdout and stderr captured, waitpid (bench/sync.ts); throws if it
 * failed.
 */
export function syncFloor(path = FLOOR_LIBRARY): (echo: boolean) => string {
  const { bench_sync_floor } = open(path);
  return (echo) => {
    if (bench_sync_floor(echo ? 1 : 0) !== 0) throw new Error(`the C floor failed (${echo ? "echo hello" : "true"})`);
    return echo ? "hello\n" : ""; // checked in C
  };
}

/**
 * bench/c/echo_capture.c: `/bin/echo hello` by vfork + execve, stdout
 * captured, waitpid (bench/scenarios/echo.ts); throws if it failed.
 */
export function echoFloor(path = FLOOR_LIBRARY): () => string {
  const { bench_echo_floor } = open(path);
  return () => {
    if (bench_echo_floor() !== 0) throw new Error("the C echo floor failed");
    return "hello\n"; // checked in C
  };
}

/**
 * bench/c/floor.c's spawn of /bin/true (2 pipes, clone3 with CLONE_VM, 3
 * epoll registrations), one child at a time: `spawn` is the timed call,
 * `reap` blocks until the child's stdout is at EOF and it is reaped.
 * `sockets`: stdin, stdout and stderr socketpairs instead of the stdout
 * pipe, and 4 registrations (what Node's execFile() makes). `shared`: the
 * clone shares our fd table (CLONE_FILES) and the child copies it, as the
 * library does once its reactor runs: the call's cost does not grow with
 * the table.
 */
export function spawnFloor(path = FLOOR_LIBRARY, kind: "pipe" | "sockets" | "shared" = "pipe"): { spawn(): void; reap(): void; close(): void } {
  const lib = open(path), { bench_spawn_floor_reap, bench_spawn_floor_close } = lib;
  const spawn = kind === "sockets" ? lib.bench_spawn_floor_sockets : kind === "shared" ? lib.bench_spawn_floor_shared : lib.bench_spawn_floor;
  return {
    spawn() {
      const r = spawn();
      if (r !== 0) throw new Error(`the C spawn floor failed (${r})`);
    },
    reap() {
      const r = bench_spawn_floor_reap();
      if (r !== 0) throw new Error(`the C spawn floor's child exited ${r}`);
    },
    /** Its epoll set and stacks go (they would count as left behind). */
    close: () => bench_spawn_floor_close(),
  };
}

/**
 * bench/c/reader_loop.c: `head -c BYTES /dev/zero`'s stdout read to EOF by
 * a C epoll loop with the pipe and read sizes given (bench-c's best), and
 * the producer reaped (bench/scenarios/pipe.ts); throws if it failed.
 * Blocks the event loop for the whole read.
 */
export function readerFloor(pipeSize: number, readSize: number, path = FLOOR_LIBRARY): (bytes: number) => number {
  const { bench_reader_floor } = open(path);
  return (bytes) => {
    if (bytes % 2 ** 20) throw new Error(`the C reader floor reads whole MiB, not ${bytes} bytes`);
    const r = bench_reader_floor(bytes / 2 ** 20, pipeSize, readSize);
    if (r !== 0) throw new Error(`the C reader floor failed (${r})`);
    return bytes;
  };
}

/** Room for a round's timer gaps: one per ms, so rounds up to a minute. */
const GAPS = 60_000;

/**
 * bench/c/loop_storm.c: one round of the storm done by a C epoll loop
 * (vfork + exec of /bin/true, 32 in flight, a 1 ms timerfd): its elapsed
 * ms and the timer's gaps in ms, the last from the last tick to the end
 * (bench/scenarios/storm.ts). Blocks the event loop for the round.
 */
export function loopFloor(path = FLOOR_LIBRARY): (total: number) => { ms: number; gaps: number[] } {
  const { bench_loop_round } = open(path);
  const out = new Float64Array(GAPS + 1), bytes = new Uint8Array(out.buffer);
  return (total) => {
    const n = bench_loop_round(total, bytes, out.length);
    if (n < 0) throw new Error(`the C storm loop failed (${n})`);
    return { ms: out[0]!, gaps: Array.from(out.subarray(1, 1 + n)) };
  };
}

declare const Bun: { file(fd: number): { stream(): ReadableStream<Uint8Array> } } | undefined;

/** The runtime's own stream over fd: Bun's net.Socket reads nothing from a pipe's fd (src/ffi/waker.ts). */
function readFd(fd: number, onData: (chunk: Uint8Array) => void): () => void {
  if (typeof Bun !== "undefined") {
    const reader = Bun.file(fd).stream().getReader();
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        onData(value);
      }
    })().catch(() => {});
    return () => void reader.cancel().catch(() => {});
  }
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on("data", onData);
  return () => socket.destroy();
}

/**
 * bench/c/wake_floor.c: the JS thread vforks `/bin/echo hello` (echo) or
 * `/bin/true`, a C helper thread reaps it and reads its stdout, and the
 * runtime's loop wakes this thread once with the result. `spawn` resolves
 * then (rejects if the child failed).
 */
export function wakeFloor(path = FLOOR_LIBRARY): { spawn(echo: boolean): Promise<void>; close(): void } {
  const { bench_wake_slots, bench_wake_open, bench_wake_spawn, bench_wake_close } = open(path);
  const fd = bench_wake_open();
  if (fd < 0) throw new Error(`the C wake floor could not start (${fd})`);
  const pending = new Map<number, { resolve(): void; reject(e: Error): void }>();
  const slots = bench_wake_slots();
  const free = Array.from({ length: slots }, (_, i) => slots - 1 - i);
  const stop = readFd(fd, (chunk) => {
    const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // The helper writes whole 8-byte records, and a pipe does not split a write this small.
    for (let i = 0; i + 8 <= chunk.byteLength; i += 8) {
      const slot = v.getInt32(i, true), r = v.getInt32(i + 4, true);
      const p = pending.get(slot)!;
      pending.delete(slot);
      free.push(slot);
      r === 0 ? p.resolve() : p.reject(new Error(`the C wake floor's child failed (${r})`));
    }
  });
  return {
    spawn(echo) {
      const slot = free.pop();
      const r = slot === undefined ? -11 : bench_wake_spawn(echo ? 1 : 0, slot);
      if (r < 0) {
        if (slot !== undefined) free.push(slot);
        return Promise.reject(new Error(`the C wake floor could not spawn (${r})`));
      }
      return new Promise((resolve, reject) => pending.set(slot!, { resolve, reject }));
    },
    close() {
      stop();
      bench_wake_close(typeof Bun !== "undefined" ? 1 : 0);
    },
  };
}
