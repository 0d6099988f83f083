/**
 * From checked options to what a runtime's spawn API takes. Every input is
 * checked as for the native backend (plan.ts: the same TypeErrors); then a
 * step the portable backend cannot honour is a TypeError naming the option
 * and why — never ignored. The step table decides: a new native step is
 * refused here until this file learns it.
 */
import type { ChannelRequest, ChildRequest, PipeReader } from "../api/child.ts";
import { commandLine } from "../api/errors.ts";
import { optionalPath } from "../api/check.ts";
import type { Options } from "../api/options.ts";
import { plan } from "../api/plan.ts";
import { ptyRequest } from "../api/pty.ts";
import { steps } from "../api/steps.ts";
import { stdOf } from "../api/stdio.ts";
import { stdioShorthand } from "../api/files.ts";

const deathSignalIndex = steps.findIndex((s) => s.option === "deathSignal");
import { readerOf } from "../api/streams.ts";

/** A child fd: a pipe to us, one of our fds by number, /dev/null, or closed (null). */
export type PortableStdio = "pipe" | "ignore" | number | null;

export interface PortablePlan {
  file: string;
  args: readonly string[];
  argv0: string | undefined;
  cwd: string | undefined;
  /** The whole environment, or undefined to inherit ours unchanged. */
  env: Record<string, string> | undefined;
  /** By child fd, at least 0 to 2. */
  stdio: PortableStdio[];
  /** Another child's output, pumped into stdin (stdio[0] is then "pipe"). */
  stdinFrom: PipeReader | undefined;
  setsid: boolean;
  /** `cleanup`'s signal (cleanup.ts), or undefined. */
  cleanup: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  command: string;
  /** A worker's channel: its fd is "pipe" in `stdio`, its end goes to `take`. */
  channel: ChannelRequest | undefined;
}

/** What one runtime's spawn API can express beyond the common ground. */
export interface RuntimeSupport {
  /** "Node", "Bun", "Deno" — for messages. */
  name: string;
  argv0: boolean;
  /** Our fds by number as the child's (stdout: 2, stdio[4]: 7). */
  fdNumbers: boolean;
  /** An extra "pipe" whose end the runtime gives us: a worker's channel (ChannelRequest). */
  channel: boolean;
}

/**
 * Steps the portable backend honours, by option, with the values it can:
 * the runtimes set the fd map, cwd, uid and gid, start a new session
 * (detached), clear the supplementary groups with uid/gid as we do, and
 * start every child with no signal blocked.
 */
const honoured: Partial<Record<keyof Options, (v: unknown) => boolean>> = {
  stdio: () => true,
  cwd: () => true,
  uid: () => true,
  gid: () => true,
  setsid: () => true,
  groups: (v) => v === null,
  signalMask: (v) => v === 0n,
  rlimits: (v) => (v as unknown[]).length === 0,
  // `cleanup` (the default) is kept by an exit handler (cleanup.ts); an
  // explicit deathSignal (PR_SET_PDEATHSIG) is not.
  deathSignal: () => true,
};

const stdNames = ["stdin", "stdout", "stderr"] as const;

/** The backend as messages name it: "the portable backend (Deno; darwin-arm64: …)". */
export function portableWhere(rt: RuntimeSupport, why: string): string {
  return `the portable backend (${rt.name}; ${why})`;
}

/** The TypeError for a stdio form only the native library has, naming the fd as the user did (stdout, or stdio[1]). */
function stdioRefused(o: ChildRequest["options"], fd: number, what: string, where: string): TypeError {
  const name = fd > 2 || (Array.isArray(o.stdio) && o.stdio[fd] !== undefined) ? `stdio[${fd}]` : stdNames[fd]!;
  return new TypeError(`${name}: ${what} is not available on ${where}: it needs the native library`);
}

export function portablePlan(r: ChildRequest, rt: RuntimeSupport, why: string): PortablePlan {
  const { file, args, options: o, defaults } = r;
  const where = portableWhere(rt, why);
  // Checked, then refused, before plan(): the fd map would refuse a "pty" slot without saying why.
  if (ptyRequest(o)) throw new TypeError(`pty is not available on ${where}: it needs the native library`);
  const checked = plan(file, args, o, defaults);
  steps.forEach((s, i) => {
    const v = checked.values[i];
    if (v === undefined || (honoured[s.option]?.(v) && !(s.option === "deathSignal" && o.deathSignal !== undefined))) return;
    // seccomp asks for no_new_privs by itself: name what the user wrote.
    const option = s.option === "noNewPrivileges" && o.noNewPrivileges !== true ? "seccomp" : s.option;
    // The stdio steps are keyed "stdout" and "stderr": name the fd the user gave.
    if (s.label === "file opens") throw stdioRefused(o, (v as { fd: number }[])[0]!.fd, "a file ({ file })", where);
    if (s.label === "merges") throw stdioRefused(o, (v as [number, number][])[0]![1], 'another of the child\'s fds ("stdout", "stderr", { child: n })', where);
    throw new TypeError(`${option} is not available on ${where}: it needs the native library`);
  });
  if (o.argv0 !== undefined && !rt.argv0) throw new TypeError(`argv0 is not available on ${where}`);

  const { out, stdinFrom } = portableStdio(r, rt, where);
  return {
    file,
    args: args.slice(),
    argv0: o.argv0,
    cwd: optionalPath(o.cwd, "cwd"),
    env: environment(o),
    stdio: out,
    stdinFrom,
    setsid: o.setsid === true,
    cleanup: o.deathSignal === undefined ? checked.values[deathSignalIndex] as number | undefined : undefined,
    uid: o.uid,
    gid: o.gid,
    command: commandLine(file, args),
    channel: r.channel,
  };
}

/**
 * Each child fd as the runtime's API takes it, refusing what it cannot do
 * (plan() checked the shorthand and the array): another child's output
 * as stdin only, no extra pipes but a worker's channel, fd numbers where
 * the runtime passes them.
 */
function portableStdio(r: ChildRequest, rt: RuntimeSupport, where: string): { out: PortableStdio[]; stdinFrom: PipeReader | undefined } {
  const { options: o, defaults } = r;
  const short = stdioShorthand(o.stdio);
  const stdio = short !== undefined ? [] : (o.stdio ?? []) as unknown[];
  const std = stdOf(o, defaults, short);
  const out: PortableStdio[] = [];
  let stdinFrom: PipeReader | undefined;
  for (let fd = 0; fd < Math.max(3, stdio.length); fd++) {
    const given = fd < stdio.length && stdio[fd] !== undefined;
    const v: unknown = given ? stdio[fd] : std[fd];
    const name = given || fd > 2 ? `stdio[${fd}]` : stdNames[fd]!;
    if (v instanceof ReadableStream) {
      const reader = readerOf(v)!;
      if (fd !== 0) throw new TypeError(`${name}: another child's output can only be stdin on ${where}`);
      // Its child exited without output (plan() checked the rest).
      if (reader.endedUnread) out.push("ignore");
      else {
        out.push("pipe");
        stdinFrom = reader;
      }
      continue;
    }
    // The runtimes give a child's extra pipes no stream here (Deno none at
    // all): refused, never dropped. A worker's channel is made by Node's and
    // Bun's extra "pipe" (a socketpair), its end handed to the worker.
    if (fd > 2 && v === "pipe" && r.channel?.fd === fd && rt.channel) {
      out.push("pipe");
      continue;
    }
    if (fd > 2 && v === "pipe") throw new TypeError(`${name}: a pipe on an fd above 2 is not available on ${where}: it needs the native library`);
    const src = v === "inherit" ? fd : v === "ignore" && fd > 2 ? null : (v ?? null) as PortableStdio;
    if (typeof src === "number" && (fd > 2 || src !== fd) && !rt.fdNumbers) {
      throw new TypeError(`${name}: ${fd > 2 ? "passing extra fds" : "an fd number"} is not available on ${where}`);
    }
    out.push(src);
  }
  return { out, stdinFrom };
}

/** env merged over ours (undefined removes), or only env with clearEnv. */
function environment(o: Options): Record<string, string> | undefined {
  if (o.env === undefined && o.clearEnv !== true) return undefined;
  const env: Record<string, string | undefined> = o.clearEnv === true ? {} : { ...process.env };
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env as Record<string, string>;
}
