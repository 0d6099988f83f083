/** spawn(): Node's checks, then a ChildProcess; `timeout` and `signal` as Node applies them. */
import { forSpawn, normalizedCall } from "./call-cache.ts";
import { ChildProcess } from "./child-process.ts";
import { AbortError } from "./node-errors.ts";
import { killSignalOf, validateAbortSignal, validateTimeout } from "./validate.ts";

/** ChildProcess#spawn as this module made it (a wrapper put in its place is called all the same). */
const ownSpawn = ChildProcess.prototype.spawn;

export function spawn(file: string, args?: readonly string[] | object, options?: object): ChildProcess {
  const o = normalizedCall(file, args, options);
  validateTimeout(o.timeout);
  validateAbortSignal(o.signal, "options.signal");
  const killSignal = killSignalOf(o.killSignal);
  const child = new ChildProcess();
  child.spawn(forSpawn(o, child.spawn === ownSpawn));
  if (o.timeout && o.timeout > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      timer = undefined;
      try {
        child.kill(killSignal);
      } catch (e) {
        child.emit("error", e);
      }
    }, o.timeout);
    child.once("exit", () => clearTimeout(timer));
  }
  const signal = o.signal;
  if (signal) {
    const onAbort = () => abortChild(child, killSignal, signal.reason);
    // Node emits `spawn` first (it queued that tick already): ours comes
    // when the child reached exec, and the abort follows it. A child that
    // never ran has nothing to abort (Node's kill() finds no process either).
    if (signal.aborted) child.once("spawn", () => process.nextTick(onAbort));
    else {
      signal.addEventListener("abort", onAbort, { once: true });
      child.once("exit", () => signal.removeEventListener("abort", onAbort));
    }
  }
  return child;
}

/** Node kills the child and, when the signal was sent, emits an AbortError. */
function abortChild(child: ChildProcess, killSignal: number | undefined, reason: unknown): void {
  try {
    if (child.kill(killSignal)) child.emit("error", new AbortError(undefined, { cause: reason }));
  } catch (e) {
    child.emit("error", e);
  }
}
