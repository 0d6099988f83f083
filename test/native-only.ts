/**
 * What only the native backend has: the only reasons a case may not run on
 * the portable backend (test/adapter.ts, nativeTest), and on which runtimes
 * each holds. An option here is a TypeError on the portable backend —
 * test/cases/portable.test.ts checks each with the values below; a
 * behaviour is the runtime's own, which the portable backend cannot change.
 * Imports no test runner (fixtures use it).
 */
import type { Options } from "../src/index.ts";
import type { RuntimeName } from "../src/ffi/runtime.ts";

const all: readonly RuntimeName[] = ["node", "bun", "deno"];

export const nativeOnly = {
  // Options: a TypeError on the portable backend.
  cgroup: all,
  processGroup: all,
  umask: all,
  nice: all,
  rlimits: all,
  groups: all,
  deathSignal: all,
  noNewPrivileges: all,
  signalMask: all,
  seccomp: all,
  pty: all,
  /** Deno.Command has no argv0, and gives the child the resolved path as argv[0]. */
  argv0: ["deno"],
  "stdio fd numbers": ["deno"],
  /** stdio's `{ file }`: opened in the child, a TypeError there. */
  "stdio files": all,
  /** stdio's "stdout", "stderr" and { child: n }: a dup2 in the child, a TypeError there. */
  "stdio merges": all,
  /** "pipe" on an fd above 2: the runtimes give it no stream (Deno cannot pass it), a TypeError there. */
  "extra pipes": all,
  // Behaviours.
  /** Stages are connected through JavaScript, not by one kernel pipe. */
  "kernel pipes": all,
  /** libuv and Bun enter cwd before changing credentials; Deno's error does not say it was chdir. */
  "cwd after credentials": all,
  /** `cleanup` is an exit handler there, not a death signal: a signal or SIGKILL that ends us spares the children. */
  "cleanup by the kernel": all,
  /** The portable backend walks /proc from JavaScript, which Deno allows only with --allow-all. */
  "tree kill without --allow-all": ["deno"],
  /** The runtimes' sync spawns send killSignal once at a timeout (no SIGKILL after forceKillAfter) and wait for every holder of the pipes. */
  "runSync escalation": all,
  /** The runtimes' sync APIs keep stdout and stderr apart: runSync's `all` is a TypeError there. */
  "runSync all": all,
  /** Deno's outputSync() takes no input and no timeout (TypeErrors), and collects until the exit whatever maxBuffer says. */
  "runSync input, timeout and maxBuffer": ["deno"],
  /** A script without "#!": Bun.spawn refuses it (ENOEXEC), so aspawn/child_process over it cannot run it under /bin/sh as Node does. */
  "sh fallback": ["bun"],
  /** aspawn's own API refuses a script without "#!" (ENOEXEC); Node's child_process and Deno.Command, under the portable backend, run it under /bin/sh. */
  "no sh fallback": ["node", "deno"],
  /** Deno.Command keeps an exited child's unread stdout open until it is read to its end or collected (one read at the exit does not end it). */
  "unread output released at exit": ["deno"],
  /** Bun.spawn reads a child's stdout ahead of its reader, into memory, for as long as the child writes. */
  "no read-ahead": ["bun"],
  /** Node's and Bun's streams over a child's pipe keep the process alive until the pipe's end, read or not: one left to a descendant, as long as the descendant lives. */
  "a pipe nobody waits on lets the process exit": ["node", "bun"],
  /** A signal aborted before the call: the native child dies before its exec (its signals are blocked until then); the runtimes' children are killed once started, and a fast program may have run by then. */
  "abort before exec": all,
  /** The test reaps the child itself through the library's bindings; on the portable backend the runtime reaps it. */
  "status reaped elsewhere": all,
  /** Node and Deno pass on their own fds that lack FD_CLOEXEC (a test runner's IPC channel). */
  "unnamed fds closed": ["node", "deno"],
} as const satisfies Record<string, readonly RuntimeName[]>;

export type NativeOnly = keyof typeof nativeOnly;

/** Per native-only option: options that use it, and the name its TypeError starts with. */
export const nativeOnlyOptions: Partial<Record<NativeOnly, { options: Options; named: string }>> = {
  cgroup: { options: { cgroup: "/sys/fs/cgroup" }, named: "cgroup" },
  processGroup: { options: { processGroup: true }, named: "processGroup" },
  umask: { options: { umask: 0o22 }, named: "umask" },
  nice: { options: { nice: 1 }, named: "nice" },
  rlimits: { options: { rlimits: { nofile: 64 } }, named: "rlimits" },
  groups: { options: { groups: [0] }, named: "groups" },
  deathSignal: { options: { deathSignal: "SIGTERM" }, named: "deathSignal" },
  noNewPrivileges: { options: { noNewPrivileges: true }, named: "noNewPrivileges" },
  signalMask: { options: { signalMask: ["SIGUSR1"] }, named: "signalMask" },
  seccomp: { options: { seccomp: new Uint8Array(8) }, named: "seccomp" },
  pty: { options: { pty: true }, named: "pty" },
  argv0: { options: { argv0: "renamed" }, named: "argv0" },
  "stdio fd numbers": { options: { stdout: 2 }, named: "stdout" },
  "stdio files": { options: { stdin: { file: "/etc/hostname" } }, named: "stdin" },
  "stdio merges": { options: { stdio: ["ignore", "pipe", { child: 1 }] }, named: "stdio[2]" },
  "extra pipes": { options: { stdio: ["ignore", "inherit", "inherit", "pipe"] }, named: "stdio[3]" },
};
