/**
 * A child of the native backend: it owns the child's pidfd, status pipe and
 * our ends of its pipes; the reactor wakes it when the status pipe reports,
 * when the child exits and when a pipe is ready.
 */
import { Event, StatusTake, WaitResult } from "../ffi/abi.ts";
import { type Channel, getChannel, watchError, type WatchTarget } from "../ffi/channel.ts";
import { loadNative } from "../ffi/load.ts";
import { type Child, childExited, type ChildEvents, childSpawned } from "./child.ts";
import { EAGAIN, errnoCode } from "./errno.ts";
import { commandLine, SpawnError } from "./errors.ts";
import { decodeExit } from "./exit-status.ts";
import { ExtraPipes } from "./extra-pipes.ts";
import { FdReader } from "./fd-reader.ts";
import { FdWriter } from "./fd-writer.ts";
import { FdGroup } from "./pipe-end.ts";
import { type Pty, type PtyPair, ptyEnds } from "./pty.ts";
import { SIGKILL } from "./signals.ts";
import { type StatusHolder, statusRead, statusUnread } from "./status-sweep.ts";
import { stepName } from "./steps.ts";
import { cgroupArg } from "./tree.ts";

export interface NativeChildInit {
  pid: number;
  pidfd: number;
  statusFd: number;
  /** The pidfd's watch, made by the spawn (asp_spawn_watch) unless watchErrno says why not. */
  exitWatch: number;
  watchErrno: number;
  /** Our ends of the child's pipes: [child fd, our fd]. */
  pipes: [number, number][];
  file: string;
  args: readonly string[];
  steps: string[];
  /** By step index: the path a file open works on. */
  paths: (string | undefined)[];
  cgroup?: string | undefined;
  cwd?: string | undefined;
  /** The terminal (`pty`): its master reads as stdout (or stderr), writes as stdin. */
  pty?: { pair: PtyPair; slots: number } | undefined;
}

const NO_FDS: readonly [number, number, number] = [-1, -1, -1];
const waitResult = new Uint8Array(WaitResult.SIZE);
const waitView = new DataView(waitResult.buffer);
const taken = new Int32Array(StatusTake.SIZE / 4);
const takenBytes = new Uint8Array(taken.buffer);
const recordBytes = takenBytes.subarray(StatusTake.err);

/**
 * Many of these can be alive at once (a server's children), so a child
 * holds little: no closure per watch (it is its channel's watch target),
 * the library and channel from their modules.
 *
 * The status pipe is read when the child exits, unless someone waits for
 * the exec (reportSpawn()): an awaited child then wakes this thread once
 * (its exit) instead of twice. One that runs on has it read by the next
 * sweep (status-sweep.ts). The spawn's details a SpawnError names are kept
 * until the pipe is read.
 */
export class NativeChild implements Child, WatchTarget, StatusHolder {
  readonly pid: number;
  /** Our ends of the child's stdin, stdout and stderr: undefined until first asked for (see #makeEnds). */
  #stdin: FdWriter | null | undefined;
  #stdout: FdReader | null | undefined;
  #stderr: FdReader | null | undefined;
  /** Our fds of those pipes (-1: none), while their ends are not made; then undefined. */
  #fds: [number, number, number] | undefined;
  readonly #channel: Channel;
  /** The socketpairs of stdio[3+] given "pipe". */
  readonly extra: ExtraPipes | undefined;
  readonly pty: Pty | undefined;
  /** What a SpawnError would name: kept until the status pipe has reported. */
  #init: NativeChildInit | undefined;
  readonly #file: string;
  readonly #args: readonly string[];
  readonly #cgroup: string | undefined;
  #pidfd: number;
  #statusFd: number;
  #statusWatch = 0;
  #exitWatch = 0;
  #unref = false;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #events: ChildEvents | undefined;

  constructor(init: NativeChildInit) {
    const native = loadNative(), channel = getChannel();
    this.pid = init.pid;
    this.#init = init;
    this.#pidfd = init.pidfd;
    this.#statusFd = init.statusFd;
    this.#file = init.file;
    this.#args = init.args;
    this.#cgroup = init.cgroup;
    this.#channel = channel;
    const pipes = init.pipes;
    for (let i = 0; i < pipes.length; i++) {
      const childFd = pipes[i]![0], fd = pipes[i]![1];
      if (childFd <= 2) (this.#fds ??= [-1, -1, -1])[childFd] = fd;
      else (this.extra ??= new ExtraPipes(native, channel)).add(childFd, fd);
    }
    if (init.pty) {
      const { reader, writer, pty } = ptyEnds(native, channel, init.pty.pair);
      this.pty = pty;
      if (writer) this.#stdin = writer;
      if (init.pty.slots & 2) this.#stdout = reader;
      else this.#stderr = reader;
    }
  }

  get stdin(): FdWriter | null {
    if (this.#stdin === undefined) this.#makeEnds();
    return this.#stdin!;
  }

  get stdout(): FdReader | null {
    if (this.#stdout === undefined) this.#makeEnds();
    return this.#stdout!;
  }

  get stderr(): FdReader | null {
    if (this.#stderr === undefined) this.#makeEnds();
    return this.#stderr!;
  }

  /**
   * The ends of the stdio pipes, made when one is first asked for rather
   * than by spawn(): between two spawns this code is cold, and making
   * them was a third of the JavaScript the spawn call ran. All at once,
   * so that they share one FdGroup; nothing can collect the child's
   * Subprocess before it exits, and its exit asks for all three.
   */
  #makeEnds(): void {
    const fds = this.#fds, native = loadNative(), channel = this.#channel;
    this.#fds = undefined;
    const f = fds ?? NO_FDS, i = f[0], o = f[1], e = f[2];
    const group = (i >= 0 ? 1 : 0) + (o >= 0 ? 1 : 0) + (e >= 0 ? 1 : 0) > 1 ? new FdGroup(native) : undefined;
    this.#stdin ??= i >= 0 ? new FdWriter(native, channel, i, group) : null;
    this.#stdout ??= o >= 0 ? new FdReader(native, channel, o, group) : null;
    this.#stderr ??= e >= 0 ? new FdReader(native, channel, e, group) : null;
  }

  watch(events: ChildEvents): void {
    this.#events = events;
    const init = this.#init!;
    try {
      if (init.watchErrno) throw watchError(this.#pidfd, init.watchErrno);
      if (this.#pidfd >= 0) getChannel().adopt(this.#pidfd, (this.#exitWatch = init.exitWatch), this);
      else this.#pollTimer = setInterval(() => this.#onExit(), 10); // kernels without pidfds
      statusUnread(this);
    } catch (e) {
      this.#abandon();
      throw e;
    }
  }

  /**
   * Someone waits for the exec (`spawned`, a child_process 'spawn'): watch
   * the status pipe from now on. A pipe that cannot be watched (epoll
   * full) is still read at the exit, which then reports the exec too.
   */
  reportSpawn(): void {
    if (this.#statusFd < 0 || this.#statusWatch || !this.#events) return;
    try {
      this.#statusWatch = getChannel().watch(this.#statusFd, Event.IN, this, !this.#unref);
    } catch {
      // Reported at the exit instead.
    }
  }

  /** @internal The sweep of status pipes nobody waits on. */
  sweepStatus(): boolean {
    return this.#onStatus();
  }

  /** @internal The channel's report on the status pipe or the pidfd. */
  ready(_events: number, id: number): void {
    if (id === this.#statusWatch) this.#onStatus();
    else if (id === this.#exitWatch) this.#onExit();
  }

  kill(signal: number): number {
    return loadNative().asp_kill(this.#pidfd, this.pid, signal);
  }

  killGroup(pgid: number, signal: number): number {
    return loadNative().asp_killpg(pgid, signal);
  }

  killTree(signal: number): number {
    return loadNative().asp_kill_tree(this.#pidfd, this.pid, signal, cgroupArg(this.#cgroup));
  }

  setRef(ref: boolean): void {
    const channel = getChannel();
    this.#unref = !ref;
    if (this.#statusWatch) channel.setRef(this.#statusWatch, ref);
    if (this.#exitWatch) channel.setRef(this.#exitWatch, ref);
    const t = this.#pollTimer as unknown as { ref?(): void; unref?(): void } | undefined;
    if (t) ref ? t.ref?.() : t.unref?.();
  }

  /** The child could not be watched (epoll_ctl failed): nobody could ever
   * report on it, so it is killed, its fds closed, and the reactor reaps it. */
  #abandon(): void {
    const native = loadNative();
    native.asp_kill(this.#pidfd, this.pid, SIGKILL);
    if (this.#statusWatch) getChannel().unwatch(this.#statusWatch);
    native.asp_close(this.#statusFd);
    this.stdin?.close();
    this.stdout?.close();
    this.stderr?.close();
    this.extra?.close();
    if (this.#pidfd >= 0) native.asp_orphan(this.#pidfd);
  }

  /** Whether the status pipe has reported (it is closed then). */
  #onStatus(): boolean {
    if (this.#statusFd < 0) return true;
    // Closes the pipe unless it returns -EAGAIN.
    return this.#statusTaken(loadNative().asp_status_take(this.#statusFd, recordBytes));
  }

  /** The status pipe's read gave r (asp_status_take's result, its record in `taken`). */
  #statusTaken(r: number): boolean {
    if (r === -EAGAIN) {
      if (this.#statusWatch) getChannel().rearm(this.#statusWatch, Event.IN);
      return false;
    }
    const init = this.#init!;
    let error: SpawnError | undefined;
    if (r === 1) {
      const step = taken[StatusTake.step / 4]!;
      error = new SpawnError(
        taken[StatusTake.err / 4]!,
        stepName(init.steps, step, taken[StatusTake.detail / 4]!),
        commandLine(this.#file, this.#args),
        this.#file,
        { cwd: init.cwd, cgroup: init.cgroup, opened: init.paths[step] },
      );
    }
    this.#init = undefined;
    // The child exec'd or died: its copies of our fds are gone, and closing
    // the fd (asp_status_take did) is enough to leave epoll.
    getChannel().forget(this.#statusWatch);
    this.#statusWatch = 0;
    this.#statusFd = -1;
    statusRead(this);
    this.#events![childSpawned](error);
    return true;
  }

  #onExit(): void {
    // Closes the pidfd unless it returns -EAGAIN; then, the child gone, its
    // status pipe (if still unread) holds a record or EOF: the same call
    // reads and closes it.
    const status = this.#statusFd;
    const r = loadNative().asp_exit_take(this.#pidfd, this.pid, waitResult, status, takenBytes);
    if (r === -EAGAIN) {
      if (this.#exitWatch) getChannel().rearm(this.#exitWatch, Event.IN);
      return;
    }
    if (status >= 0) this.#statusTaken(taken[StatusTake.result / 4]!);
    if (this.#exitWatch) getChannel().forget(this.#exitWatch);
    this.#exitWatch = 0;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#pidfd = -1;
    this.pty?.childExited();
    // ECHILD: the status is lost (the library resets an inherited SIGCHLD
    // SIG_IGN; this is someone's waitpid(-1), or SIG_IGN set later): gone,
    // so never signalled again, and `exited` rejects saying so.
    this.#events![childExited](r < 0 ? lostStatus(-r, commandLine(this.#file, this.#args)) : decodeExit(waitView));
  }
}

/** @internal The child was reaped elsewhere: `exited` rejects with this (runSync() throws it). */
export function lostStatus(errno: number, command: string): Error {
  const code = errnoCode(errno);
  const why = "the child was reaped elsewhere (waitpid(-1), or SIGCHLD set to SIG_IGN after aspawn started)";
  return Object.assign(new Error(`Exit status lost (${code}): ${why}: ${command}`), { code });
}
