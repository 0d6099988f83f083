/** The native backend: the request of plan.ts, started by asp_spawn. */
import { Out } from "../ffi/abi.ts";
import { type Channel, getChannel } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import type { Native } from "../ffi/symbols.ts";
import type { Backend, ChildRequest } from "./child.ts";
import type { Options } from "./options.ts";
import { commandLine, SpawnError } from "./errors.ts";
import { optionalPath } from "./check.ts";
import { NativeChild, type NativeChildInit } from "./native-child.ts";
import { plan, type Plan } from "./plan.ts";
import { closePty, openPty, ptyOptions, type PtyRequest, ptyRequest } from "./pty.ts";
import { stepName } from "./steps.ts";

/** stdin, stdout, stderr and the socketpairs of stdio[3+]. */
const OUT_SLOTS = Out.MAX;
const out = new Int32Array(OUT_SLOTS);
const outBytes = new Uint8Array(out.buffer);

/** The library and this context's reactor channel; failing to get them for
 * want of fds is a SpawnError EMFILE like any other failure to create the
 * child. */
function channelFor(file: string, args: readonly string[]): Channel {
  try {
    loadNative();
    return getChannel();
  } catch (e) {
    throw asSpawnError(e, file, args);
  }
}

/** @internal The library (runSync() needs no channel), failing as channelFor does. */
export function nativeFor(file: string, args: readonly string[]): Native {
  try {
    return loadNative();
  } catch (e) {
    throw asSpawnError(e, file, args);
  }
}

function asSpawnError(e: unknown, file: string, args: readonly string[]): unknown {
  const errno = (e as { errno?: unknown }).errno;
  return typeof errno === "number" ? new SpawnError(errno, "spawn", commandLine(file, args)) : e;
}

/** @internal A failure at a step of plan `p`, naming the path that step worked on (cwd, cgroup, a `{ file }`). */
export function planError(errno: number, p: Plan, step: number, detail: number, line: string, file: string, options: Options): SpawnError {
  const paths = { cwd: optionalPath(options.cwd, "cwd"), cgroup: options.cgroup, opened: p.paths[step] };
  return new SpawnError(errno, stepName(p.steps, step, detail), line, file, paths);
}

export const nativeBackend: Backend & { start(request: ChildRequest, pty?: NativeChildInit["pty"]): NativeChild } = {
  name: "native",
  check(request: ChildRequest): void {
    const { file, args, options, defaults } = request;
    plan(file, args, ptyRequest(options) ? { ...options, pty: undefined } : options, defaults);
  },
  start(request: ChildRequest, pty?: NativeChildInit["pty"]): NativeChild {
    const { file, args, options, defaults } = request;
    const terminal = pty ? undefined : ptyRequest(options);
    if (terminal) return startOnPty(request, terminal);
    return startPlanned(request, plan(file, args, options, defaults), pty);
  },
};

/**
 * @internal Start a child from its Plan: a fresh one, or one kept whole by
 * spawn-cache.ts for the same call again (never a terminal's: its slave fd
 * is in the request).
 */
export function startPlanned(request: ChildRequest, p: Plan, pty?: NativeChildInit["pty"]): NativeChild {
  const { file, args, options } = request;
  const channel = channelFor(file, args); // before the spawn: want of fds for it is the spawn's failure
  const native = loadNative();
  // A pipe of ours handed to this child: make it blocking, as stdio is.
  for (const reader of p.handovers) native.asp_set_nonblock(reader.fd, 0);
  // The spawn watches the child's pidfd in the same call. Its status pipe is
  // watched only once someone waits for the exec (NativeChild.reportSpawn),
  // else read at the exit: one wake-up less for a child that is awaited.
  const exitWatch = channel.reserve();
  const r = native.asp_spawn_watch(p.request, p.request.length, outBytes, OUT_SLOTS, channel.number, 0, exitWatch);
  if (r < 0) {
    // The stream we were handed is still its owner's: non-blocking again.
    for (const reader of p.handovers) native.asp_set_nonblock(reader.fd, 1);
    throw planError(-r, p, out[Out.STEP]!, out[Out.DETAIL]!, commandLine(file, args), file, options);
  }
  if (request.killAtOnce) native.asp_kill(out[Out.PIDFD]!, out[Out.PID]!, request.killAtOnce);
  // The child has the pipes it was handed (asp_spawn duplicated them when
  // it shares our fd table): ours go, so the writer sees EOF/EPIPE from the
  // reader child alone.
  for (const reader of p.handovers) reader.close();
  return new NativeChild({
    pid: out[Out.PID]!,
    pidfd: out[Out.PIDFD]!,
    statusFd: out[Out.STATUS]!,
    exitWatch,
    watchErrno: -out[Out.DETAIL]!,
    pipes: p.pipes.map((childFd, i) => [childFd, out[Out.PIPES + i]!]),
    file,
    args,
    steps: p.steps,
    paths: p.paths,
    cgroup: options.cgroup,
    // steps.ts checked it: a string is kept as it is (a URL becomes its path).
    cwd: typeof options.cwd === "string" ? options.cwd : optionalPath(options.cwd, "cwd"),
    pty,
  });
}

/** `pty`: the pair is opened before the request is made (the slave's fd is in it); the parent keeps the master. */
function startOnPty(request: ChildRequest, req: PtyRequest): NativeChild {
  const { file, args } = request;
  // The channel first: the pair is then owned by this context (a Worker
  // terminated with the terminal open leaves no fd behind).
  channelFor(file, args);
  const native = loadNative();
  const pair = openPty(native, req, file, args);
  try {
    return nativeBackend.start({ ...request, options: ptyOptions(request.options, req, pair.slave) }, { pair, slots: req.slots });
  } catch (e) {
    closePty(native, pair);
    throw e;
  } finally {
    // The child has its copies (or there is no child): only the master is ours.
    if (pair.slave >= 0) native.asp_close(pair.slave);
    pair.slave = -1;
  }
}
