/**
 * THE table of native functions: every export of libaspawn.so, declared once
 * in a neutral notation that each binding (bun.ts, deno.ts, node.ts)
 * translates. No 64-bit results cross the boundary; every function returns
 * an int32 that is >= 0 on success and -errno on failure.
 */
export const symbols = {
  asp_version: { args: [], result: "i32" },
  asp_capabilities: { args: [], result: "i32" },
  asp_spawn: { args: ["buffer", "u32", "buffer", "u32"], result: "i32" },
  asp_spawn_start: { args: ["buffer", "u32", "buffer", "u32", "i32", "u32"], result: "i32" },
  asp_launched: { args: ["i32", "buffer"], result: "i32" },
  asp_status_read: { args: ["i32", "buffer"], result: "i32" },
  asp_wait: { args: ["i32", "i32", "buffer"], result: "i32" },
  asp_kill: { args: ["i32", "i32", "i32"], result: "i32" },
  asp_killpg: { args: ["i32", "i32"], result: "i32" },
  asp_kill_tree: { args: ["i32", "i32", "i32", "buffer"], result: "i32" },
  asp_read: { args: ["i32", "buffer", "u32"], result: "i32" },
  asp_write: { args: ["i32", "buffer", "u32"], result: "i32" },
  asp_close: { args: ["i32"], result: "i32" },
  asp_set_nonblock: { args: ["i32", "i32"], result: "i32" },
  asp_pipe_size: { args: ["i32", "i32"], result: "i32" },
  asp_readable: { args: ["i32"], result: "i32" },
  asp_reactor_open: { args: ["buffer"], result: "i32" },
  asp_reactor_close: { args: ["i32"], result: "i32" },
  asp_watch: { args: ["i32", "i32", "u32", "u32"], result: "i32" },
  asp_rearm: { args: ["i32", "i32", "u32", "u32"], result: "i32" },
  asp_unwatch: { args: ["i32"], result: "i32" },
  asp_orphan: { args: ["i32"], result: "i32" },
  asp_watch2: { args: ["i32", "i32", "u32", "i32", "u32"], result: "i32" },
  asp_spawn_watch: { args: ["buffer", "u32", "buffer", "u32", "i32", "u32", "u32"], result: "i32" },
  asp_status_take: { args: ["i32", "buffer"], result: "i32" },
  asp_exit_take: { args: ["i32", "i32", "buffer", "i32", "buffer"], result: "i32" },
  asp_read_arm: { args: ["i32", "i32", "buffer", "u32", "u32", "u32"], result: "i32" },
  asp_pty_open: { args: ["u32", "u32", "buffer"], result: "i32" },
  asp_pty_resize: { args: ["i32", "u32", "u32"], result: "i32" },
  asp_pty_size: { args: ["i32", "buffer"], result: "i32" },
  asp_run_sync: { args: ["buffer", "u32", "buffer", "u32", "buffer", "buffer"], result: "i32" },
  asp_sync_take: { args: ["i32", "buffer", "u32"], result: "i32" },
  asp_sync_free: { args: [], result: "i32" },
  asp_dup: { args: ["i32"], result: "i32" },
  asp_shutdown: { args: ["i32", "i32"], result: "i32" },
  asp_socketpair: { args: ["buffer", "i32"], result: "i32" },
  asp_send_fds: { args: ["i32", "buffer", "u32", "buffer", "u32"], result: "i32" },
  asp_recv_fds: { args: ["i32", "buffer", "u32", "buffer", "u32", "buffer"], result: "i32" },
  asp_accept: { args: ["i32"], result: "i32" },
} as const;

export type Symbols = typeof symbols;
export type SymbolName = keyof Symbols;
export type NativeType = "i32" | "u32" | "buffer";

type JsType<T> = T extends "buffer" ? Uint8Array : number;
type JsArgs<A extends readonly unknown[]> = { [K in keyof A]: JsType<A[K]> };

/** A table in this notation: libaspawn.so's is `symbols`; bench/ binds its C floors with one too. */
export type Table = Record<string, { readonly args: readonly NativeType[]; readonly result: NativeType }>;

/** A loaded table: one synchronous function per entry. */
export type Bound<T extends Table> = {
  [K in keyof T]: (...args: JsArgs<T[K]["args"]>) => number;
};

/** The loaded library. */
export type Native = Bound<Symbols>;
