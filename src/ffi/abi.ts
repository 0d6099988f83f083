/**
 * The mirror of lib/c/include/aspawn.h: every number TypeScript and C must
 * agree on, and nothing else. test/cases/abi.test.ts parses the header and
 * fails when a value here differs from its C twin, or one has none: the C
 * name ASP_<GROUP>_<NAME> is <Group>.<NAME> here (ASP_OUT_PIPES is
 * Out.PIPES), struct asp_<name> is its PascalCase name with each field's
 * byte offset and the record's SIZE.
 */

export const Abi = {
  VERSION: 2,
} as const;

/** Request encoding: limits and header flags. */
export const Req = {
  MAGIC: 0x4e505341,
  /** Larger requests fail with E2BIG. */
  MAX_SIZE: 64 << 20,
  /** Entries of one FD_MAP. */
  MAX_FDS: 4096,
  /** fd numbers in an FD_MAP are below it. */
  MAX_FD: 1 << 20,
  MAX_GROUPS: 65536,
  MAX_FILTERS: 4096,
  /** file has no "/": search the environment's PATH. */
  SEARCH_PATH: 0x1,
  /** Start from this process's environ; env strings set or (without "=") remove. */
  INHERIT_ENV: 0x2,
  /** A file execve refuses with ENOEXEC (no "#!") runs under /bin/sh, as execvp does. */
  SH_FALLBACK: 0x4,
} as const;

export const ReqHeader = {
  magic: 0,
  version: 4,
  size: 8,
  flags: 12,
  argc: 16,
  envc: 20,
  steps_offset: 24,
  nsteps: 28,
  SIZE: 32,
} as const;

/** Pre-exec operations (enum asp_op); each step's payload is documented there. */
export const Op = {
  FD_MAP: 1,
  CHDIR: 2,
  SETSID: 3,
  SETPGID: 4,
  SETGROUPS: 5,
  SETGID: 6,
  SETUID: 7,
  UMASK: 8,
  NICE: 9,
  RLIMIT: 10,
  PDEATHSIG: 11,
  NO_NEW_PRIVS: 12,
  SECCOMP: 13,
  SIGMASK: 14,
  CGROUP: 15,
  CLEAR_GROUPS: 16,
  OPEN: 17,
  DUP: 18,
  CTTY: 19,
  MAX: 19,
} as const;
export type OpCode = (typeof Op)[Exclude<keyof typeof Op, "MAX">];

/** FD_MAP sources below zero ask asp_spawn for a new resource. */
export const Fd = {
  DEVNULL: -1,
  /** A pipe the child reads (stdin). */
  PIPE_READ: -2,
  /** A pipe the child writes (stdout, stderr). */
  PIPE_WRITE: -3,
  /** A socketpair: both sides read and write (extra fds). */
  SOCKETPAIR: -4,
} as const;

export const Fdmap = {
  CLOSE_OTHERS: 0x1,
} as const;

/** OPEN flags: none is O_RDONLY; WRITE is O_WRONLY|O_CREAT|O_TRUNC, O_APPEND with APPEND. */
export const Open = {
  WRITE: 0x1,
  APPEND: 0x2,
} as const;

export const Status = {
  MAGIC: 0x54535341,
} as const;

/** Failing-step markers of a status record, besides step indexes. */
export const Step = {
  EXEC: -1,
  SETUP: -2,
} as const;

export const StatusRecord = { err: 0, step: 4, detail: 8, magic: 12, SIZE: 16 } as const;
/** asp_exit_take's status half: asp_status_take's result, then the record's fields. */
export const StatusTake = { result: 0, err: 4, step: 8, detail: 12, SIZE: 16 } as const;

/** asp_spawn's int32 output slots. */
export const Out = {
  PID: 0,
  PIDFD: 1,
  STATUS: 2,
  /** On a synchronous failure: the step, and its detail (FD_MAP: the target fd). */
  STEP: 3,
  DETAIL: 4,
  /** Our ends of the FD_MAP pipes, in entry order. */
  PIPES: 5,
  MAX_PIPES: 64,
  MAX: 5 + 64,
} as const;

/** asp_capabilities() bits. */
export const Cap = {
  CLONE3: 0x01,
  CLONE_VM: 0x02,
  VFORK: 0x04,
  FORK: 0x08,
  PIDFD: 0x10,
  INTO_CGROUP: 0x20,
  CLOSE_RANGE: 0x40,
  SIGNALS_BY_PROC: 0x80,
} as const;

/** struct asp_wait_result's si_code. */
export const Wait = {
  EXITED: 1,
  KILLED: 2,
  DUMPED: 3,
} as const;

export const WaitResult = { code: 0, si_code: 4, user_us: 8, system_us: 16, max_rss_kib: 24, SIZE: 32 } as const;

/** Reactor record event bits (epoll's). */
export const Event = {
  IN: 0x1,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  /** struct asp_event */
  id: 0,
  events: 4,
  SIZE: 8,
} as const;

/** asp_read_arm's flags (fused.c), and its result when arming failed: -(ARM_FAILED | errno). */
export const Read = { ARM: 0x1, WATCHED: 0x2, END: 0x4, FIRED: 0x8, MORE: 0x10, ARM_FAILED: 0x10000, EOF: 0x40000000 } as const;

/** asp_run_sync: option and result flags, and the streams of asp_sync_take. */
export const Sync = {
  /** opts: signal the child's process group, which it leads. */
  GROUP: 0x1,
  /** opts: wait as on a kernel without pidfds (tests). */
  NO_PIDFD: 0x2,
  /** opts: also keep what is kept of both, interleaved as read (ALL). */
  KEEP_ALL: 0x4,
  /** opts: the read (up to 64 KiB) that passes max_buffer is kept whole, as Node's spawnSync keeps it. */
  KEEP_READ: 0x8,
  /** result: the timeout elapsed. */
  TIMED_OUT: 0x1,
  STDOUT: 1,
  STDERR: 2,
  /** A stream of asp_sync_take only: with KEEP_ALL. */
  ALL: 3,
} as const;

export const SyncOpts = {
  timeout_ms: 0,
  force_kill_after_ms: 8,
  max_buffer: 16,
  kill_signal: 24,
  flags: 28,
  stdin_pipe: 32,
  stdout_pipe: 36,
  stderr_pipe: 40,
  pty_stream: 44,
  pty_master: 48,
  pty_slave: 52,
  reserved: 56,
  SIZE: 64,
} as const;

/** Begins as WaitResult does (decodeExit reads it). */
export const SyncResult = {
  code: 0,
  si_code: 4,
  user_us: 8,
  system_us: 16,
  max_rss_kib: 24,
  pid: 32,
  flags: 36,
  err: 40,
  step: 44,
  detail: 48,
  exceeded: 52,
  wait_err: 56,
  reserved: 60,
  stdout_len: 64,
  stderr_len: 72,
  all_len: 80,
  SIZE: 88,
} as const;
