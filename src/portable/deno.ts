/** The portable backend on Deno: Deno.Command. */
import { EINVAL, errnoNumber, ESRCH } from "../api/errno.ts";
import { nameOf } from "../api/signals.ts";
import { exitStatus, isStartError, PortableChild, startError } from "./child.ts";
import type { ExitStatus } from "../api/exit-status.ts";
import type { SyncOutcome, SyncRequest } from "../api/child.ts";
import type { PortablePlan, PortableStdio, RuntimeSupport } from "./plan.ts";
import { syncOutcome } from "./sync.ts";
import { StreamReader, StreamWriter } from "./pipes.ts";
import { webSink, webSource } from "./web.ts";
import { ownOptions } from "../api/own-options.ts";

/** Deno.Command has no argv0, takes no fd numbers and makes no extra pipes. */
export const support: RuntimeSupport = { name: "Deno", argv0: false, fdNumbers: false, channel: false };

interface DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal: string): void;
  ref(): void;
  unref(): void;
}

interface DenoOutput {
  code: number;
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

declare const Deno: {
  Command: new (file: string, options: Record<string, unknown>) => { spawn(): DenoChild; outputSync(): DenoOutput };
  kill(pid: number, signal: string): void;
};

/** plan.ts let through only what Deno can express: the fd's own number is "inherit". */
const stdioOf = (v: PortableStdio | undefined): string =>
  v === "pipe" ? "piped" : typeof v === "number" ? "inherit" : "null";

/**
 * Deno's refusal to run a program asks for --allow-run, this backend's
 * permission; the README asks for --allow-ffi, the native backend's (which
 * did not load, often for want of it): the error says both.
 */
function allowed<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    // (PermissionDenied is the OS's EACCES/EPERM on Deno 2: a SpawnError's, not a flag's.)
    if ((e as Error | null)?.name !== "NotCapable") throw e;
    // Deno's own error class (Deno.errors.NotCapable), so `instanceof` still holds.
    const Same = (e as Error).constructor as new (message: string, options: { cause: unknown }) => Error;
    throw new Same(
      `${(e as Error).message}: aspawn runs children through libaspawn.so with --allow-ffi, or, on its portable backend ` +
        "(which runs here: capabilities().reason says why), through Deno.Command with --allow-run",
      { cause: e },
    );
  }
}

function command(plan: PortablePlan) {
  // Prototype-less: Deno.Command reads an option left out (env) from
  // Object.prototype, which a program may have polluted.
  return new Deno.Command(plan.file, ownOptions({
    args: plan.args,
    cwd: plan.cwd,
    ...(plan.env ? { env: plan.env, clearEnv: true } : {}),
    stdin: stdioOf(plan.stdio[0]),
    stdout: stdioOf(plan.stdio[1]),
    stderr: stdioOf(plan.stdio[2]),
    detached: plan.setsid,
    uid: plan.uid,
    gid: plan.gid,
  }));
}

class DenoPortableChild extends PortableChild {
  #proc: DenoChild | undefined;

  constructor(plan: PortablePlan) {
    super();
    const proc = this.launch(plan, () => allowed(() => command(plan).spawn()));
    if (!proc) return;
    this.#proc = proc;
    this.pid = proc.pid;
    const piped = (fd: number) => plan.stdio[fd] === "pipe";
    this.pipes(
      plan,
      piped(0) ? new StreamWriter(webSink(proc.stdin)) : null,
      piped(1) ? new StreamReader(webSource(proc.stdout)) : null,
      piped(2) ? new StreamReader(webSource(proc.stderr)) : null,
    );
    queueMicrotask(() => this.reportSpawned());
    // Deno reports no rusage of a child.
    proc.status.then(({ code, signal }) => this.reportExited(exitStatus(code, signal)), (e) => this.reportExited(unnamedSignal(e)));
  }

  protected signalPid(pid: number, signal: number): number {
    const name = nameOf(signal);
    // Deno sends signals by name only, and has no name for the real-time ones.
    if (!name.startsWith("SIG") || /^SIG\d|SIGRT/.test(name)) {
      throw new TypeError(`${name}: Deno can only send the named signals (portable backend)`);
    }
    try {
      if (pid === this.pid) this.#proc!.kill(name);
      else Deno.kill(pid, name);
      return 0;
    } catch (e) {
      if (e instanceof TypeError && /terminated/.test(e.message)) return -ESRCH;
      return -(errnoNumber(String((e as { code?: unknown }).code)) ?? EINVAL);
    }
  }

  setRef(ref: boolean): void {
    ref ? this.#proc?.ref() : this.#proc?.unref();
  }
}

export function start(plan: PortablePlan): PortableChild {
  return new DenoPortableChild(plan);
}

/**
 * Deno rejects a child's status when a signal it has no name for ended it
 * (a real-time one: "Invalid signal: 35"): the exit, by the number it names.
 */
function unnamedSignal(e: unknown): ExitStatus {
  const n = /Invalid signal: (\d+)/.exec(String((e as Error)?.message))?.[1];
  if (n === undefined) throw e;
  return exitStatus(null, Number(n));
}

/**
 * runSync() by Deno.Command's outputSync(), which takes no input and no
 * timeout (TypeErrors, never ignored) and cannot stop at maxBuffer: the
 * output is cut there after the exit. A child a real-time signal ended
 * throws there ("Invalid signal"), its output with it: the exit is kept.
 */
export function runSync(plan: PortablePlan, r: SyncRequest, where: string): SyncOutcome {
  if (r.input !== undefined) throw new TypeError(`input is not available to runSync() on ${where}`);
  if (r.timeout !== undefined) throw new TypeError(`timeout is not available to runSync() on ${where}`);
  let out: DenoOutput;
  try {
    out = allowed(() => command({ ...plan, stdio: [plan.stdio[0] === "pipe" ? "ignore" : plan.stdio[0]!, ...plan.stdio.slice(1)] })
      .outputSync());
  } catch (e) {
    if (isStartError(e)) throw startError(e, plan);
    return syncOutcome(r, null, null, unnamedSignal(e), false, false);
  }
  const status = exitStatus(out.code, out.signal);
  const piped = (fd: number) => plan.stdio[fd] === "pipe";
  return syncOutcome(r, piped(1) ? out.stdout : null, piped(2) ? out.stderr : null, status, false, false);
}
