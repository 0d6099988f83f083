/**
 * THE table of pre-exec steps: what the child does between clone and exec,
 * one descriptor per option, in the order the child runs them. Each says
 * which option it reads, how it is checked (a TypeError before anything is
 * spawned), how it is encoded, its name in a SpawnError, and the rules of
 * its place in the order — data that test/cases/steps.test.ts checks, along
 * with the README's order sentence and the C side's op table (lib/c/program.h).
 *
 * Adding a step: CONTRIBUTING.md, "Adding a pre-exec step".
 */
import { Op, type OpCode, Req, Step } from "../ffi/abi.ts";
import type { RequestWriter } from "../ffi/request.ts";
import { bool, describe, int, noNul, optionalPath } from "./check.ts";
import type { Options, RlimitName, RlimitValue } from "./options.ts";
import { controllingFd, type PtyMarked, wantsPty } from "./pty.ts";
import { killSignalNumber, signalNumber } from "./signals.ts";
import type { FileOpen } from "./files.ts";
import { type FdMap, fdMap, type StdioDefaults } from "./stdio.ts";

/**
 * `cleanup` (the default): the child gets `killSignal` when the thread that
 * spawned it ends — the process, or the Worker — however it ends, SIGKILL
 * included. A daemon is left alone unless `cleanup: true` says otherwise: a
 * new session or a process group of its own says the child is meant to
 * outlive us, as `cleanup: false` does.
 */
function cleanupSignal(o: Options): number | undefined {
  const signal = () => killSignalNumber(o.killSignal);
  if (o.cleanup !== undefined) return bool(o.cleanup, "cleanup") ? signal() : undefined;
  // A terminal's session is ours to clean up (its setsid is not the user's).
  if ((o.setsid === true && (o as PtyMarked)[controllingFd] === undefined) || o.processGroup === true) return undefined;
  return signal();
}

export interface StepSpec<V> {
  /** The option it reads; the key the order rules use. */
  option: keyof Options;
  /** How the README's order sentence names it, when not `option`. */
  label?: string;
  /** Its name in SpawnError.step. */
  name: string;
  /** The native ops it may encode. */
  ops: readonly OpCode[];
  /** Changes uid or gid: asp_spawn guards the parent's dumpable flag (ASP_OPF_CREDS). */
  changesIds?: true;
  /** Prepared by asp_spawn before clone, so placed before every step (ASP_OPF_PARENT). */
  beforeClone?: true;
  /** Must be the last step. */
  last?: true;
  /** Options whose steps must run before this one, because `why`. */
  after?: readonly (keyof Options)[];
  why?: string;
  /**
   * The value to encode, or undefined for no step; throws TypeError. Reads
   * options (and the values of the steps before it: one parse of stdio
   * serves the fd map, the file opens and the merges), writes nothing.
   */
  check(o: Options, defaults: StdioDefaults, earlier: readonly unknown[]): V | undefined;
  /** Append the step(s). Reads only `v`. */
  encode(w: RequestWriter, v: V): void;
  /**
   * One name per step appended, when not just `name` (default); `paths`
   * (aligned with `out`) holds the path a step's SpawnError message names.
   */
  names?(v: V, out: string[], paths: (string | undefined)[]): void;
}

/** A step as plan() reads it: every field present, in one order. */
export interface Step {
  readonly option: keyof Options;
  readonly label: string | undefined;
  readonly name: string;
  readonly ops: readonly OpCode[];
  readonly changesIds: boolean;
  readonly beforeClone: boolean;
  readonly last: boolean;
  readonly after: readonly (keyof Options)[];
  readonly why: string | undefined;
  readonly check: (o: Options, defaults: StdioDefaults, earlier: readonly unknown[]) => unknown;
  readonly encode: (w: RequestWriter, v: unknown) => void;
  readonly names: ((v: unknown, out: string[], paths: (string | undefined)[]) => void) | undefined;
}

/** One object shape for every step, so that plan()'s loop reads each field
 * at one known offset (specs of mixed shapes made it measurably slower). */
function step<V>(spec: StepSpec<V>): Step {
  return {
    option: spec.option,
    label: spec.label,
    name: spec.name,
    ops: spec.ops,
    changesIds: spec.changesIds === true,
    beforeClone: spec.beforeClone === true,
    last: spec.last === true,
    after: spec.after ?? [],
    why: spec.why,
    check: spec.check,
    encode: spec.encode as Step["encode"],
    names: spec.names as Step["names"],
  };
}

const ID_MAX = 0xfffffffe; // (uid_t)-1 means "unchanged" to the kernel

const rlimitNumbers: Record<RlimitName, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8,
  as: 9, locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14,
};
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

function limit(v: number | bigint | null, what: string): bigint {
  if (v === null || v === Infinity) return RLIM_INFINITY;
  if (typeof v === "bigint" && v >= 0n && v <= RLIM_INFINITY) return v;
  // Below 2 ** 64: the encoder would wrap larger values (2 ** 64 became 0).
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 64) return BigInt(v);
  throw new TypeError(`${what} must be a non-negative integer below 2 ** 64, Infinity or null, got ${describe(v)}`);
}

interface Rlimit {
  name: RlimitName;
  soft: bigint;
  hard: bigint;
}

function rlimits(v: unknown): Rlimit[] | undefined {
  if (v === undefined) return undefined;
  // A Map or an array has no limits as own keys: it would set none, or "0".
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map || v instanceof Set) {
    throw new TypeError(`rlimits must be an object of limits ({ nofile: 1024 }), got ${describe(v)}`);
  }
  const out: Rlimit[] = [];
  for (const [name, value] of Object.entries(v) as [RlimitName, RlimitValue | undefined][]) {
    // Own keys only: "constructor" or "toString" must not pass (as RLIMIT_CPU).
    if (!Object.hasOwn(rlimitNumbers, name)) {
      throw new TypeError(`unknown rlimit "${name}"; known: ${Object.keys(rlimitNumbers).join(", ")}`);
    }
    if (value === undefined) continue; // unset, like every other option
    if (Array.isArray(value) && value.length !== 2) {
      throw new TypeError(`rlimits.${name} must be a limit or [soft, hard], got an array of ${value.length}`);
    }
    const [s, h] = Array.isArray(value) ? value : [value, value];
    const soft = limit(s, `rlimits.${name}`), hard = limit(h, `rlimits.${name}`);
    if (soft > hard) throw new TypeError(`rlimits.${name}: soft limit ${soft} is above hard limit ${hard}`);
    out.push({ name, soft, hard });
  }
  return out;
}

/** groups: the list to set; null: clear them (when root), the default with uid/gid. */
function groups(o: Options): number[] | null | undefined {
  if (o.groups === undefined) return o.uid !== undefined || o.gid !== undefined ? null : undefined;
  const g: unknown = o.groups ?? [];
  if (!Array.isArray(g)) throw new TypeError("groups must be an array of group ids");
  if (g.length > Req.MAX_GROUPS) throw new TypeError(`groups must hold at most ${Req.MAX_GROUPS} ids, got ${g.length}`);
  // Array.from, not map: map skips a hole, which the encoder wrote as group 0 (root's).
  return Array.from(g, (id, i) => int(id, `groups[${i}]`, 0, ID_MAX));
}

function seccomp(v: unknown): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) throw new TypeError("seccomp must be a Uint8Array of struct sock_filter");
  if (v.length === 0 || v.length % 8 || v.length > 8 * Req.MAX_FILTERS) {
    throw new TypeError(`seccomp must hold 1 to ${Req.MAX_FILTERS} filters of 8 bytes, got ${v.length} bytes`);
  }
  return v;
}

const CREDENTIALS = ["groups", "gid", "uid"] as const;

/** How a SpawnError names a child fd: as the option that usually sets it. */
const fdName = (fd: number) => (fd <= 2 ? ["stdin", "stdout", "stderr"][fd]! : `stdio[${fd}]`);
/** The fd map's value, which the file and merge steps read from. */
const stdioOf = (earlier: readonly unknown[]) => earlier[fdMapIndex] as FdMap;

/** In the order the child runs them. */
export const steps: readonly Step[] = [
  step<string>({
    option: "cgroup",
    name: "cgroup",
    ops: [Op.CGROUP],
    beforeClone: true,
    check: (o) => o.cgroup === undefined ? undefined : noNul(o.cgroup, "cgroup"),
    encode: (w, path) => w.cgroup(path),
  }),
  step<FdMap>({
    option: "stdio",
    label: "fd map",
    name: "dup2",
    ops: [Op.FD_MAP],
    // Always: every fd it does not name is closed in the child.
    check: (o, defaults) => fdMap(o, defaults),
    encode: (w, map) => w.fdMap(map.pairs),
  }),
  step<true>({
    option: "setsid",
    name: "setsid",
    ops: [Op.SETSID],
    check: (o) => bool(o.setsid, "setsid") || undefined,
    encode: (w) => w.empty(Op.SETSID),
  }),
  step<number>({
    option: "pty",
    label: "controlling terminal",
    name: "ctty",
    ops: [Op.CTTY],
    after: ["stdio", "setsid"],
    why: "only a session leader takes a controlling terminal, from the fd the map gave it",
    // The native backend opened the pair and named the fd (pty.ts); -1 is
    // never encoded (only spawn() and run() open a terminal, and the
    // portable backend refuses any value).
    check: (o) => (o as PtyMarked)[controllingFd] ?? (wantsPty(o) ? -1 : undefined),
    encode: (w, fd) => w.i32(Op.CTTY, fd),
  }),
  step<number>({
    option: "processGroup",
    name: "setpgid",
    ops: [Op.SETPGID],
    after: ["setsid"],
    why: "setsid already makes the child the leader of a new group (processGroup: true is left out then: setpgid fails with EPERM in a session leader)",
    check: (o) => {
      const g = o.processGroup;
      if (g === undefined || g === false || (g === true && o.setsid === true)) return undefined;
      return g === true ? 0 : int(g, "processGroup", 1, 0x7fffffff);
    },
    encode: (w, pgid) => w.i32(Op.SETPGID, pgid),
  }),
  step<number>({
    option: "umask",
    name: "umask",
    ops: [Op.UMASK],
    check: (o) => o.umask === undefined ? undefined : int(o.umask, "umask", 0, 0o777),
    encode: (w, mask) => w.u32(Op.UMASK, mask),
  }),
  step<number>({
    option: "nice",
    name: "nice",
    ops: [Op.NICE],
    check: (o) => o.nice === undefined ? undefined : int(o.nice, "nice", -20, 19),
    encode: (w, nice) => w.i32(Op.NICE, nice),
  }),
  step<Rlimit[]>({
    option: "rlimits",
    name: "setrlimit",
    ops: [Op.RLIMIT],
    check: (o) => rlimits(o.rlimits),
    encode: (w, limits) => {
      for (const l of limits) w.rlimit(rlimitNumbers[l.name], l.soft, l.hard);
    },
    names: (limits, out) => {
      for (const l of limits) out.push(`setrlimit:${l.name}`);
    },
  }),
  step<number[] | null>({
    option: "groups",
    name: "setgroups",
    ops: [Op.SETGROUPS, Op.CLEAR_GROUPS],
    check: groups,
    // Clearing needs root; an unprivileged process keeps its own groups
    // (the only possible outcome: it may not call setgroups at all).
    encode: (w, ids) => ids === null ? w.empty(Op.CLEAR_GROUPS) : w.list32(Op.SETGROUPS, ids),
  }),
  step<number>({
    option: "gid",
    name: "setgid",
    ops: [Op.SETGID],
    changesIds: true,
    after: ["groups"],
    why: "the groups are set while we still have the privilege to",
    check: (o) => o.gid === undefined ? undefined : int(o.gid, "gid", 0, ID_MAX),
    encode: (w, gid) => w.u32(Op.SETGID, gid),
  }),
  step<number>({
    option: "uid",
    name: "setuid",
    ops: [Op.SETUID],
    changesIds: true,
    after: ["groups", "gid", "rlimits", "nice"],
    why: "they need privileges (CAP_SETGID, CAP_SYS_RESOURCE, CAP_SYS_NICE) that leaving root gives up",
    check: (o) => o.uid === undefined ? undefined : int(o.uid, "uid", 0, ID_MAX),
    encode: (w, uid) => w.u32(Op.SETUID, uid),
  }),
  step<string>({
    option: "cwd",
    name: "chdir",
    ops: [Op.CHDIR],
    after: CREDENTIALS,
    why: "the directory is checked against the new user, as Go and Rust do",
    check: (o) => optionalPath(o.cwd, "cwd"),
    encode: (w, dir) => w.string(Op.CHDIR, dir),
  }),
  // The next two read stdin/stdout/stderr/stdio like the fd map; each step
  // is keyed by one option (the order rules' key), so they take "stdout"
  // and "stderr", and their labels say what they are.
  step<FileOpen[]>({
    option: "stdout",
    label: "file opens",
    name: "open",
    ops: [Op.OPEN],
    after: ["cwd", "umask", ...CREDENTIALS],
    why: "a relative path is found from cwd, a new file gets the child's umask, and the file is opened as the child's user (as su user -c 'cmd > file' does): a privileged parent must not open for the child what the child could not open itself",
    check: (_o, _d, earlier) => {
      const opens = stdioOf(earlier).opens;
      return opens.length ? opens : undefined;
    },
    encode: (w, opens) => {
      for (const f of opens) w.open(f.fd, f.flags, f.mode, f.path);
    },
    names: (opens, out, paths) => {
      for (const f of opens) {
        paths[out.length] = f.path;
        out.push(`open ${fdName(f.fd)}`);
      }
    },
  }),
  step<[src: number, dst: number][]>({
    option: "stderr",
    label: "merges",
    name: "merge",
    ops: [Op.DUP],
    after: ["stdio", "stdout"],
    why: "a merge copies what its source fd ended up as: a pipe or inherited fd of the fd map, or an opened file",
    check: (_o, _d, earlier) => {
      const merges = stdioOf(earlier).merges;
      return merges.length ? merges : undefined;
    },
    encode: (w, merges) => {
      for (const [src, dst] of merges) w.pair(Op.DUP, src, dst);
    },
    names: (merges, out) => {
      for (const [, dst] of merges) out.push(`merge ${fdName(dst)}`);
    },
  }),
  step<number>({
    option: "deathSignal",
    name: "pdeathsig",
    ops: [Op.PDEATHSIG],
    after: CREDENTIALS,
    why: "changing credentials clears the death signal",
    check: (o) => o.deathSignal === undefined ? cleanupSignal(o) : signalNumber(o.deathSignal, "deathSignal"),
    encode: (w, sig) => w.u32(Op.PDEATHSIG, sig),
  }),
  step<true>({
    option: "noNewPrivileges",
    name: "no_new_privs",
    ops: [Op.NO_NEW_PRIVS],
    // Also for seccomp: the kernel installs a filter only under it (or CAP_SYS_ADMIN).
    check: (o) => bool(o.noNewPrivileges, "noNewPrivileges") || o.seccomp instanceof Uint8Array || undefined,
    encode: (w) => w.empty(Op.NO_NEW_PRIVS),
  }),
  step<bigint>({
    option: "signalMask",
    name: "sigmask",
    ops: [Op.SIGMASK],
    check: (o) => {
      if (o.signalMask === undefined) return undefined;
      if (!Array.isArray(o.signalMask)) throw new TypeError("signalMask must be an array of signals");
      let mask = 0n;
      for (const s of o.signalMask) mask |= 1n << BigInt(signalNumber(s, "signalMask entry") - 1);
      return mask;
    },
    encode: (w, mask) => w.u64(Op.SIGMASK, mask),
  }),
  step<Uint8Array>({
    option: "seccomp",
    name: "seccomp",
    ops: [Op.SECCOMP],
    last: true,
    after: ["noNewPrivileges"],
    why: "a filter may forbid the syscalls of any later step; the kernel installs one only under no_new_privs",
    check: (o) => seccomp(o.seccomp),
    encode: (w, filters) => w.bytes(Op.SECCOMP, filters.length / 8, filters),
  }),
];

export const fdMapIndex = steps.findIndex((s) => s.ops.includes(Op.FD_MAP));

/** The name of a failing step, from the plan's step names and the native record. */
export function stepName(names: readonly string[], index: number, detail: number): string {
  if (index === Step.EXEC) return "execve";
  const name = names[index];
  if (name === undefined) return "spawn";
  // The fd map's detail is the target fd it failed on.
  return name === steps[fdMapIndex]!.name ? `${name}:${detail}` : name;
}
