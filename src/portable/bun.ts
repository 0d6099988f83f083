/** The portable backend on Bun: Bun.spawn. */
import { exitStatus, isStartError, killResult, PortableChild, signalFor, startError } from "./child.ts";
import type { SyncOutcome, SyncRequest } from "../api/child.ts";
import type { PortablePlan, RuntimeSupport } from "./plan.ts";
import { syncOutcome } from "./sync.ts";
import { type Sink, StreamReader, StreamWriter } from "./pipes.ts";
import { webSource } from "./web.ts";

export const support: RuntimeSupport = { name: "Bun", argv0: true, fdNumbers: true, channel: true };

interface FileSink {
  write(chunk: Uint8Array): number | Promise<number>;
  flush(): number | Promise<number>;
  end(): unknown;
  ref?(): void;
  unref?(): void;
}

interface BunProcess {
  readonly pid: number;
  readonly stdin: FileSink | number | undefined;
  readonly stdout: ReadableStream<Uint8Array> | number | undefined;
  readonly stderr: ReadableStream<Uint8Array> | number | undefined;
  /** By child fd; an extra "pipe" is our end's fd (a socketpair). */
  readonly stdio: readonly unknown[];
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  /** A number for a signal Bun has no name for (a real-time one). */
  readonly signalCode: string | number | null;
  kill(signal?: number | string): void;
  ref(): void;
  unref(): void;
  resourceUsage(): { cpuTime: { user: bigint; system: bigint } } | undefined;
}

interface BunSyncResult {
  exitCode: number | null;
  signalCode: string | number | null;
  stdout: Uint8Array | undefined;
  stderr: Uint8Array | undefined;
  exitedDueToTimeout?: boolean;
  exitedDueToMaxBuffer?: boolean;
  resourceUsage?: { cpuTime: { user: bigint; system: bigint } };
}

declare const Bun: {
  spawn(options: Record<string, unknown>): BunProcess;
  spawnSync(options: Record<string, unknown>): BunSyncResult;
};

function spawnOptions(plan: PortablePlan): Record<string, unknown> {
  return {
    cmd: [plan.file, ...plan.args],
    argv0: plan.argv0,
    cwd: plan.cwd,
    // Bun's default is the environment it started with, not process.env now.
    env: plan.env ?? { ...process.env },
    stdio: plan.stdio.map((v, fd) => (v === fd ? "inherit" : v)),
    detached: plan.setsid,
    uid: plan.uid,
    gid: plan.gid,
  };
}

const rusage = (cpu: { user: bigint; system: bigint } | undefined) => ({
  userMs: Number(cpu?.user ?? 0n) / 1000,
  systemMs: Number(cpu?.system ?? 0n) / 1000,
});

function sink(s: FileSink): Sink {
  return {
    async write(chunk) {
      await s.write(chunk);
      await s.flush(); // resolves when the pipe took it: the backpressure
    },
    close() {
      try {
        void Promise.resolve(s.end()).catch(() => {});
      } catch {
        // already closed by the child's exit
      }
    },
    setRef: (ref) => (ref ? s.ref?.() : s.unref?.()),
  };
}

class BunChild extends PortableChild {
  #proc: BunProcess | undefined;

  constructor(plan: PortablePlan) {
    super();
    const proc = this.launch(plan, () => Bun.spawn(spawnOptions(plan)));
    if (!proc) return;
    this.#proc = proc;
    this.pid = proc.pid;
    const pipe = (s: unknown) => (s instanceof ReadableStream ? new StreamReader(webSource(s)) : null);
    const stdin = typeof proc.stdin === "object" && proc.stdin !== null ? new StreamWriter(sink(proc.stdin)) : null;
    this.pipes(plan, stdin, pipe(proc.stdout), pipe(proc.stderr));
    const end = plan.channel && proc.stdio[plan.channel.fd];
    if (typeof end === "number") plan.channel!.take(end);
    queueMicrotask(() => this.reportSpawned());
    proc.exited.then((code) => this.reportExited(exitStatus(code, proc.signalCode, rusage(proc.resourceUsage()?.cpuTime))));
  }

  protected signalPid(pid: number, signal: number): number {
    const sig = signalFor(signal);
    // Bun's Subprocess.kill() takes numbers below 32 only: a real-time signal goes by pid.
    return killResult(() => (pid === this.pid && typeof sig === "string" ? this.#proc!.kill(sig) : process.kill(pid, sig)));
  }

  setRef(ref: boolean): void {
    ref ? this.#proc?.ref() : this.#proc?.unref();
  }
}

export function start(plan: PortablePlan): PortableChild {
  return new BunChild(plan);
}

/** runSync() by Bun.spawnSync, which kills at the timeout and at maxBuffer itself. */
export function runSync(plan: PortablePlan, r: SyncRequest): SyncOutcome {
  const { stdio, ...options } = spawnOptions(plan) as { stdio: unknown[] };
  let out: BunSyncResult;
  try {
    out = Bun.spawnSync({
      ...options,
      // The whole array: stdio[3+] (fd numbers) too.
      stdio: [r.input ?? stdio[0], ...stdio.slice(1)],
      timeout: r.timeout,
      killSignal: signalFor(r.killSignal),
      maxBuffer: r.maxBuffer,
    });
  } catch (e) {
    if (!isStartError(e)) throw e;
    throw startError(e, plan);
  }
  const status = exitStatus(out.exitCode, out.signalCode, rusage(out.resourceUsage?.cpuTime));
  return syncOutcome(r, out.stdout, out.stderr, status, out.exitedDueToTimeout === true, out.exitedDueToMaxBuffer === true);
}
