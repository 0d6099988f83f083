/** The portable backend on Node: node:child_process. */
import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { requireHere } from "../ffi/runtime.ts";
import { exitStatus, killResult, PortableChild, signalFor, startError } from "./child.ts";
import type { SyncOutcome, SyncRequest } from "../api/child.ts";
import type { PortablePlan, RuntimeSupport } from "./plan.ts";
import { syncOutcome } from "./sync.ts";
import { type Sink, type Source, StreamReader, StreamWriter } from "./pipes.ts";

// A worker's channel is a socketpair on fd 3: Unix only (Windows gives a named pipe there).
export const support: RuntimeSupport = { name: "Node", argv0: true, fdNumbers: true, channel: process.platform !== "win32" };

const noop = () => {};

/** Pulls from a paused Node stream: nothing is read ahead beyond its own buffer. */
function source(s: Readable): Source {
  let ended = false, error: Error | undefined, wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  s.on("readable", poke);
  s.on("end", () => ((ended = true), poke()));
  s.on("close", () => ((ended = true), poke()));
  s.on("error", (e) => ((error = e), poke()));
  return {
    async read() {
      for (;;) {
        const c = s.read() as Buffer | null;
        if (c !== null) return new Uint8Array(c.buffer, c.byteOffset, c.length);
        if (error) throw error;
        if (ended || s.destroyed) return null;
        await new Promise<void>((r) => (wake = r));
      }
    },
    cancel() {
      s.destroy();
      poke();
    },
    setRef(ref) {
      const sock = s as unknown as { ref?(): void; unref?(): void };
      ref ? sock.ref?.() : sock.unref?.();
    },
  };
}

function sink(s: Writable): Sink {
  s.on("error", noop); // reported to the write that failed
  return {
    write: (chunk) => new Promise<void>((resolve, reject) => void s.write(chunk, (e) => (e ? reject(e) : resolve()))),
    close: () => void s.end(),
    setRef(ref) {
      const sock = s as unknown as { ref?(): void; unref?(): void };
      ref ? sock.ref?.() : sock.unref?.();
    },
  };
}

const childProcess = () => requireHere()("node:child_process") as typeof import("node:child_process");

/**
 * Node's permission model refuses child_process without
 * --allow-child-process, this backend's permission; the library, which
 * did not load (often for want of --allow-addons), needs none: the error
 * says both, keeping Node's code.
 */
function permitted<T>(spawn: () => T): T {
  try {
    return spawn();
  } catch (e) {
    const denied = e as (Error & { code?: string; permission?: string }) | null;
    if (denied?.code !== "ERR_ACCESS_DENIED") throw e;
    throw Object.assign(
      new Error(
        `${denied.message}: aspawn runs children through libaspawn.so, which Node's permission model loads with --allow-addons ` +
          "(and --allow-fs-read for the package), or, on its portable backend (which runs here: capabilities().reason says why), " +
          "through child_process with --allow-child-process",
        { cause: e },
      ),
      { code: denied.code, permission: denied.permission },
    );
  }
}

function spawnOptions(plan: PortablePlan) {
  return {
    argv0: plan.argv0 ?? plan.file,
    cwd: plan.cwd,
    env: plan.env,
    stdio: plan.stdio.map((v, fd) => (v === fd ? "inherit" : v ?? "ignore")),
    detached: plan.setsid,
    uid: plan.uid,
    gid: plan.gid,
  };
}

class NodeChild extends PortableChild {
  #proc: ChildProcess | undefined;

  constructor(plan: PortablePlan) {
    super();
    const proc = this.launch(plan, () => permitted(() => childProcess().spawn(plan.file, plan.args, spawnOptions(plan))));
    if (!proc) return;
    this.#proc = proc;
    this.pid = proc.pid ?? 0;
    const [i, o, e] = proc.stdio as unknown as [Writable | null, Readable | null, Readable | null];
    this.pipes(plan, i && new StreamWriter(sink(i)), o && new StreamReader(source(o)), e && new StreamReader(source(e)));
    for (const s of proc.stdio.slice(3)) (s as Readable | null)?.on("error", noop);
    const end = plan.channel && proc.stdio[plan.channel.fd];
    if (end) plan.channel!.take(end as Socket);
    proc.once("spawn", () => this.reportSpawned());
    proc.on("error", (err) => {
      // After the spawn an error is a failed kill(), which kill() reports.
      if (this.pid === 0 || !proc.pid) this.reportSpawned(startError(err, plan));
    });
    // Node reports no rusage of a child.
    proc.once("exit", (code, signal) => this.reportExited(exitStatus(code, signal)));
  }

  protected signalPid(pid: number, signal: number): number {
    const sig = signalFor(signal) as NodeJS.Signals | number;
    // process.kill(), not the ChildProcess's kill(), which reports EPERM as false.
    return killResult(() => process.kill(pid, sig));
  }

  setRef(ref: boolean): void {
    ref ? this.#proc?.ref() : this.#proc?.unref();
  }
}

export function start(plan: PortablePlan): PortableChild {
  return new NodeChild(plan);
}

/** runSync() by spawnSync: ETIMEDOUT is the timeout, ENOBUFS maxBuffer. */
export function runSync(plan: PortablePlan, r: SyncRequest): SyncOutcome {
  const out = permitted(() => childProcess().spawnSync(plan.file, plan.args, {
    ...spawnOptions(plan),
    input: r.input,
    timeout: r.timeout,
    killSignal: signalFor(r.killSignal) as NodeJS.Signals | number,
    maxBuffer: r.maxBuffer,
  }));
  const code = (out.error as { code?: string } | undefined)?.code;
  // EPIPE: a child that ran and did not read all its input, no error of
  // ours (the native runSync, and run(), say nothing either).
  const ran = out.status !== null || out.signal !== null;
  if (out.error && code !== "ETIMEDOUT" && code !== "ENOBUFS" && !(code === "EPIPE" && ran)) throw startError(out.error, plan);
  return syncOutcome(r, out.stdout, out.stderr, exitStatus(out.status, out.signal), code === "ETIMEDOUT", code === "ENOBUFS");
}
