/** The portable backend on Bun: Bun.spawn. */
import { errnoNumber } from "../api/errno.ts";
import { isStartError, PortableChild, startError } from "./child.ts";
import type { PortablePlan, RuntimeSupport } from "./plan.ts";
import { type Sink, StreamReader, StreamWriter } from "./pipes.ts";
import { webSource } from "./web.ts";

export const support: RuntimeSupport = { name: "Bun", argv0: true, fdNumbers: true };

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
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
  kill(signal?: number | string): void;
  ref(): void;
  unref(): void;
  resourceUsage(): { cpuTime: { user: bigint; system: bigint } } | undefined;
}

declare const Bun: { spawn(options: Record<string, unknown>): BunProcess };

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
    let proc: BunProcess;
    try {
      proc = Bun.spawn({
        cmd: [plan.file, ...plan.args],
        argv0: plan.argv0,
        cwd: plan.cwd,
        // Bun's default is the environment it started with, not process.env now.
        env: plan.env ?? { ...process.env },
        stdio: plan.stdio.map((v, fd) => (v === fd ? "inherit" : v)),
        detached: plan.setsid,
        uid: plan.uid,
        gid: plan.gid,
      });
    } catch (e) {
      if (!isStartError(e)) throw e;
      const error = startError(e, plan);
      if (error.step === "spawn") throw error;
      this.failed(error, plan);
      return;
    }
    this.#proc = proc;
    this.pid = proc.pid;
    const pipe = (s: unknown) => (s instanceof ReadableStream ? new StreamReader(webSource(s)) : null);
    const stdin = typeof proc.stdin === "object" && proc.stdin !== null ? new StreamWriter(sink(proc.stdin)) : null;
    this.pipes(plan, stdin, pipe(proc.stdout), pipe(proc.stderr));
    queueMicrotask(() => this.reportSpawned());
    proc.exited.then((code) => {
      const cpu = proc.resourceUsage()?.cpuTime;
      const signal = proc.signalCode;
      this.reportExited({
        exitCode: signal ? null : code,
        signal,
        success: !signal && code === 0,
        rusage: { userMs: Number(cpu?.user ?? 0n) / 1000, systemMs: Number(cpu?.system ?? 0n) / 1000 },
      });
    });
  }

  protected signalPid(pid: number, signal: number): number {
    try {
      const sig = PortableChild.signalFor(signal);
      if (pid === this.pid) this.#proc!.kill(sig);
      else process.kill(pid, sig);
      return 0;
    } catch (e) {
      return -(errnoNumber(String((e as { code?: unknown }).code)) ?? 3);
    }
  }

  setRef(ref: boolean): void {
    ref ? this.#proc?.ref() : this.#proc?.unref();
  }
}

export function start(plan: PortablePlan): PortableChild {
  return new BunChild(plan);
}
