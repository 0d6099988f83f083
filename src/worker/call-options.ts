/** The options of a single call, to a worker or a pool, checked before anything is sent. */
import { abortSignal, everyElement } from "../api/check.ts";
import { ownOptions } from "../api/own-options.ts";
import { MAX_TIMER_MS } from "../api/spawn.ts";
import { onAbort } from "./abort-watch.ts";

export interface CallOptions {
  /**
   * Aborting it ends the call: the worker running it is killed (SIGKILL;
   * nothing else can stop a function that does not return) and, in a pool,
   * replaced; a call still queued in a pool just leaves the queue. The call
   * rejects with a WorkerError whose `aborted` is true and `cause` the
   * signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds from the call until it must be settled; then it ends as
   * an abort does, with a WorkerError whose `timedOut` is true. At most
   * 2147483647 (what a timer holds); `Infinity`: none.
   */
  timeout?: number;
  /**
   * Open fds of ours sent with the call (SCM_RIGHTS), just before it: the
   * function takes them with `parent.receiveFd()`, in order. Ours stay
   * open and ours to close, even as soon as call() returns (fds that must
   * wait, in a pool's queue or behind other frames, are sent from copies
   * the library makes and closes). In a pool, they go to the worker that runs the
   * call (with concurrencyPerWorker 1, the function's receiveFd() is sure
   * to get its own). Without the native library (the portable backend
   * where it cannot load) no fds travel: the call rejects with a TypeError.
   */
  fds?: readonly number[];
}

/** @internal pool(): when the call was made (its timeout runs from then, queueing included). */
export const STARTED_AT: unique symbol = Symbol("aspawn.call.startedAt") as never;

export interface CheckedCallOptions extends CallOptions {
  startedAt: number;
}

/** A call's name, args and options, checked before anything is sent: the options, or the TypeError to reject with. */
export function checkCall(name: unknown, args: unknown, o: unknown): CheckedCallOptions | TypeError {
  try {
    return check(name, args, o);
  } catch (e) {
    return e as TypeError;
  }
}

/** A call without options: no timeout, so its start time is never read (one object for all such calls). */
const NO_OPTIONS: CheckedCallOptions = Object.freeze(ownOptions<CheckedCallOptions>({ startedAt: 0 }));

function check(name: unknown, args: unknown, o: unknown): CheckedCallOptions {
  if (typeof name !== "string") throw new TypeError("call(): name must be a string");
  if (!Array.isArray(args)) throw new TypeError("call(): args must be an array");
  // Prototype-less: an option left out must not be read from Object.prototype.
  if (o === undefined) return NO_OPTIONS;
  if (o === null || typeof o !== "object") throw new TypeError(`call(): options must be an object, got ${o === null ? "null" : typeof o}`);
  const { signal, timeout, fds } = ownOptions(o as CallOptions);
  if (fds !== undefined && (!Array.isArray(fds) || fds.length > 253 || !everyElement(fds, (fd) => Number.isInteger(fd) && fd! >= 0 && fd! <= 0x7fffffff))) {
    throw new TypeError("call(): fds must be an array of at most 253 open fds (non-negative integers)");
  }
  abortSignal(signal, "call(): signal");
  // Past what a timer holds it would fire at once; Infinity is none, as spawn's timeout has it.
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout > 0) || (timeout > MAX_TIMER_MS && timeout !== Infinity))) {
    throw new TypeError(`call(): timeout must be a positive number of milliseconds up to ${MAX_TIMER_MS}, or Infinity, got ${typeof timeout === "number" ? timeout : typeof timeout}`);
  }
  const at = (o as { [STARTED_AT]?: number })[STARTED_AT];
  return ownOptions<CheckedCallOptions>({
    signal,
    timeout: timeout === Infinity ? undefined : timeout,
    fds,
    startedAt: typeof at === "number" ? at : Date.now(),
  });
}

/** Why a call was given up: for its WorkerError. */
export interface GiveUp {
  timedOut: boolean;
  aborted: boolean;
  cause: unknown;
  /** "timed out after 50 ms" / "was aborted" */
  text: string;
}

/**
 * Watch a call's signal and deadline; `onGiveUp` runs at most once. Returns
 * the function that stops watching (when the call settles first).
 */
export function watchCall(o: CheckedCallOptions, onGiveUp: (why: GiveUp) => void): () => void {
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unlisten: (() => void) | undefined;
  const stop = () => {
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    unlisten?.();
  };
  const give = (why: GiveUp) => {
    if (done) return;
    stop();
    onGiveUp(why);
  };
  const aborted = () => give({ timedOut: false, aborted: true, cause: o.signal!.reason, text: "was aborted" });
  if (o.signal?.aborted) {
    aborted();
    return stop;
  }
  // Calls sharing a signal share its one listener (abort-watch.ts).
  if (o.signal) unlisten = onAbort(o.signal, aborted);
  if (o.timeout !== undefined) {
    // A timer that keeps the process alive: the call itself does.
    timer = setTimeout(
      () => give({ timedOut: true, aborted: false, cause: undefined, text: `timed out after ${o.timeout} ms` }),
      Math.max(0, o.timeout - (Date.now() - o.startedAt)),
    );
  }
  return stop;
}
