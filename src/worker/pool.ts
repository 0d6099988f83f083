/**
 * pool(): up to `size` workers (worker.ts) of one module, calls queued FIFO
 * while all are busy. `min` workers are started ahead and kept (the warm
 * template: a first call does not pay a runtime start), the others close
 * after `idleTimeout`; a worker is recycled after `maxCallsPerWorker` calls,
 * and replaced when it dies (a crash, an rlimit, a call's timeout or abort,
 * which kill it: nothing else stops a function that does not return).
 */
import * as os from "node:os";
import { duration } from "../api/spawn.ts";
import { unrefTimeout } from "../api/timers.ts";
import { loadNative } from "../ffi/load.ts";
import { type CallOptions, type CheckedCallOptions, checkCall, STARTED_AT, watchCall } from "./call-options.ts";
import { ownOptions } from "../api/own-options.ts";
import { checkWorker, Worker, workerFdsRefused, type WorkerOptions } from "./worker.ts";
import { WorkerError } from "./worker-error.ts";
import { copyFds } from "./fd-copies.ts";
import { closedFd } from "./fd-check.ts";

export interface PoolOptions extends WorkerOptions {
  /** The most workers at once (default: the number of CPUs). */
  size?: number;
  /** Workers started at once and kept running, also when idle (default 0). */
  min?: number;
  /** Milliseconds a worker beyond `min` may stay idle before it is closed (default 10 000): an integer up to 2147483647, or `Infinity` (never). */
  idleTimeout?: number;
  /** Calls after which a worker is closed and replaced (default: no limit). */
  maxCallsPerWorker?: number;
  /** Calls one worker runs at once (default 1; more for modules whose functions await). */
  concurrencyPerWorker?: number;
}

interface Slot {
  readonly worker: Worker;
  /** Calls running on it now. */
  active: number;
  /** Calls it was given in all. */
  calls: number;
  /** No more calls: it closes once the running ones are done. */
  retiring: boolean;
  cancelIdle: (() => void) | undefined;
}

interface Job {
  name: string;
  args: readonly unknown[];
  options: CheckedCallOptions;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Stops watching the signal and timeout while queued. */
  unwatch(): void;
  /** Closes the copies of the caller's fds a queued call holds (none: a no-op). */
  release(): void;
}

function count(v: unknown, what: string, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (v === Infinity && what !== "size") return Infinity;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new TypeError(`${what} must be an integer of at least ${min}, got ${typeof v === "number" ? v : typeof v}`);
  }
  return v;
}

function defaultSize(): number {
  return os.availableParallelism?.() ?? Math.max(1, os.cpus().length);
}

export class Pool {
  readonly #module: string | URL;
  readonly #workerOptions: WorkerOptions;
  readonly #size: number;
  readonly #min: number;
  readonly #idleTimeout: number;
  readonly #maxCalls: number;
  readonly #concurrency: number;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  /** Workers closing or killed whose exit is not seen yet: close() and terminate() wait for them. */
  readonly #leaving = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #terminated = false;
  #drained: (() => void) | undefined;
  /** Calls given to workers and not settled yet. */
  #inFlight = 0;
  #allSettled: (() => void) | undefined;

  /** @internal use pool() */
  constructor(module: string | URL, options: PoolOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("pool(): options must be an object");
    options = ownOptions(options);
    const { size, min, idleTimeout, maxCallsPerWorker, concurrencyPerWorker, ...workerOptions } = options;
    this.#size = count(size, "size", 1, defaultSize());
    this.#min = count(min, "min", 0, 0);
    if (this.#min > this.#size) throw new TypeError(`min (${this.#min}) must not exceed size (${this.#size})`);
    this.#maxCalls = count(maxCallsPerWorker, "maxCallsPerWorker", 1, Infinity);
    this.#concurrency = count(concurrencyPerWorker, "concurrencyPerWorker", 1, 1);
    // A timer holds 2 ** 31 - 1 ms: more would fire at once, so Infinity means no timer.
    this.#idleTimeout = duration(idleTimeout, "idleTimeout", 10_000);
    // What worker() would refuse, refused now rather than at the first start.
    checkWorker(module, workerOptions);
    this.#module = module;
    this.#workerOptions = workerOptions;
    try {
      for (let i = 0; i < this.#min; i++) this.#start();
    } catch (e) {
      // A SpawnError (or the like) from pool() itself: nothing it started stays.
      for (const s of this.#slots) s.worker.kill("SIGKILL");
      throw e;
    }
  }

  /** Workers running now (busy or idle). */
  get workers(): number {
    return this.#slots.size;
  }

  /** Calls waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The process ids of the workers running now. */
  get pids(): number[] {
    return [...this.#slots].map((s) => s.worker.pid);
  }

  /**
   * Call the module's exported function `name` on a free worker, or on the
   * next one free (FIFO). Settles as Worker.call() does; with `signal` or
   * `timeout` (measured from this call, queueing included) the call is
   * given up: still queued, it leaves the queue; running, its worker is
   * killed and replaced. Either way it rejects with a WorkerError whose
   * `timedOut` or `aborted` is true.
   */
  call(name: string, args: readonly unknown[] = [], options?: CallOptions): Promise<unknown> {
    const o = checkCall(name, args, options);
    if (o instanceof TypeError) return Promise.reject(o);
    if (this.#closing) return Promise.reject(new WorkerError("the pool is closed", { pid: 0 }));
    if (o.fds?.length) {
      const closed = workerFdsRefused(`call("${name}")`) ?? closedFd(o.fds, (i) => `call("${name}"): fds[${i}]`);
      if (closed) return Promise.reject(closed);
    }
    return new Promise((resolve, reject) => {
      const job: Job = { name, args, options: o, resolve, reject, unwatch: noop, release: noop };
      // Queued first: a signal already aborted gives the call up at once, and
      // the watch rejects only a call it finds in the queue.
      this.#queue.push(job);
      if (o.signal || o.timeout !== undefined) {
        job.unwatch = watchCall(o, (why) => {
          const at = this.#queue.indexOf(job);
          if (at < 0) return;
          this.#queue.splice(at, 1);
          job.reject(new WorkerError(`call "${name}" ${why.text} while queued`, {
            pid: 0, cause: why.cause, timedOut: why.timedOut, aborted: why.aborted,
          }));
          this.#checkDrained();
        });
      }
      if (o.signal?.aborted) return; // given up already: the watch took it out of the queue and rejected it
      this.#pump();
      if (o.fds?.length && this.#queue.includes(job) && !holdFds(job)) {
        this.#queue.splice(this.#queue.indexOf(job), 1);
        job.unwatch();
      }
    });
  }

  #pumping = false;
  #pumpAgain = false;

  /**
   * Give queued calls to free workers, starting workers up to `size`. Not
   * re-entered: a worker that fails at once (its channel already closed when
   * the call is written) ends inside #run, and #lost's pump then took the
   * queue from under this one (a call given `undefined`, workers past `size`).
   */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#dispatch();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #dispatch(): void {
    while (this.#queue.length && !this.#terminated) {
      let best: Slot | undefined;
      for (const s of this.#slots) {
        if (s.retiring || s.active >= this.#concurrency) continue;
        if (!best || s.active < best.active) best = s;
      }
      if (!best) {
        if (this.#slots.size >= this.#size) return;
        try {
          best = this.#start();
        } catch (e) {
          // No process can be made now (EAGAIN, EMFILE): the oldest call fails with why.
          const job = this.#queue.shift()!;
          job.unwatch();
          job.reject(e);
          continue;
        }
      }
      this.#run(best, this.#queue.shift()!);
    }
  }

  #start(): Slot {
    const worker = new Worker(this.#module, this.#workerOptions);
    const slot: Slot = { worker, active: 0, calls: 0, retiring: false, cancelIdle: undefined };
    this.#slots.add(slot);
    worker.onEnd(() => this.#lost(slot));
    if (this.#slots.size > this.#min) this.#idle(slot);
    return slot;
  }

  #run(slot: Slot, job: Job): void {
    job.unwatch();
    slot.cancelIdle?.();
    slot.cancelIdle = undefined;
    slot.active++;
    this.#inFlight++;
    if (++slot.calls >= this.#maxCalls) slot.retiring = true;
    const { signal, timeout, fds, startedAt } = job.options;
    // The worker is free again before the caller hears of the result: a
    // call made then finds it free.
    const done = () => {
      slot.active--;
      if (--this.#inFlight === 0) this.#allSettled?.();
      this.#freed(slot);
    };
    slot.worker.call(job.name, job.args, { signal, timeout, fds, [STARTED_AT]: startedAt } as CallOptions).then(
      (v) => (done(), job.resolve(v)),
      (e) => (done(), job.reject(e)),
    );
    job.release(); // the channel sent the fds or holds its own copies
  }

  /** A call on `slot` settled. */
  #freed(slot: Slot): void {
    if (this.#slots.has(slot)) {
      if (slot.retiring && slot.active === 0) this.#retire(slot);
      else if (slot.active === 0 && this.#slots.size > this.#min) this.#idle(slot);
    }
    this.#pump();
    this.#checkDrained();
  }

  /** Close `slot`'s worker after idleTimeout without calls (only beyond min). */
  #idle(slot: Slot): void {
    if (this.#closing) return;
    slot.cancelIdle?.();
    if (this.#idleTimeout === Infinity) return;
    slot.cancelIdle = unrefTimeout(() => {
      slot.cancelIdle = undefined;
      if (slot.active === 0 && this.#slots.size > this.#min) this.#retire(slot);
    }, this.#idleTimeout);
  }

  /** Take `slot` out and close its worker gracefully. */
  #retire(slot: Slot): void {
    this.#remove(slot);
    this.#leave(slot.worker.close());
    this.#keepMin();
  }

  #remove(slot: Slot): void {
    slot.cancelIdle?.();
    slot.cancelIdle = undefined;
    this.#slots.delete(slot);
  }

  #leave(p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => this.#leaving.delete(q));
    this.#leaving.add(q);
  }

  /**
   * A worker's channel ended (crash, kill, timeout, or our close): out of
   * the pool. Its calls in flight reject on their own (WorkerError); one
   * that had loaded its module is replaced to keep `min`, and so is one a
   * call's timeout or abort killed before it had (one that could not load
   * is not: a module that fails would be restarted forever).
   */
  #lost(slot: Slot): void {
    if (!this.#slots.has(slot)) return;
    this.#remove(slot);
    this.#leave(slot.worker.exited);
    if (slot.worker.exports !== undefined || slot.worker.killedForCall) this.#keepMin();
    this.#pump();
  }

  #keepMin(): void {
    if (this.#closing) return;
    while (this.#slots.size < this.#min) {
      try {
        this.#start();
      } catch {
        return; // no process now; the next call tries again
      }
    }
  }

  #checkDrained(): void {
    if (!this.#drained || this.#queue.length) return;
    for (const s of this.#slots) if (s.active) return;
    this.#drained();
  }

  /**
   * Graceful: no new calls; the queued and running ones finish, then every
   * worker closes. Resolves once all have exited.
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      for (const s of this.#slots) {
        s.cancelIdle?.();
        s.cancelIdle = undefined;
      }
      await new Promise<void>((r) => {
        this.#drained = r;
        this.#checkDrained();
      });
      for (const s of [...this.#slots]) {
        this.#remove(s);
        this.#leave(s.worker.close());
      }
      await this.#settled();
    })());
  }

  /**
   * The hard way: queued calls reject, every worker is killed (SIGKILL;
   * their calls reject with a WorkerError). Resolves once all have exited.
   */
  async terminate(): Promise<void> {
    this.#terminated = true;
    const closing = this.close();
    for (const job of this.#queue.splice(0)) {
      job.unwatch();
      job.reject(new WorkerError(`call "${job.name}" was queued when the pool was terminated`, { pid: 0 }));
    }
    for (const s of [...this.#slots]) {
      this.#remove(s);
      s.worker.kill("SIGKILL");
      this.#leave(s.worker.exited);
    }
    this.#drained?.();
    await closing;
  }

  /** Until every worker that left has exited and every call given to one has settled. */
  async #settled(): Promise<void> {
    while (this.#leaving.size) await Promise.all([...this.#leaving]);
    if (this.#inFlight) await new Promise<void>((r) => (this.#allSettled = r));
  }
}

const noop = () => {};

/**
 * A pool of workers running `module` (see Pool and the README). Throws a
 * TypeError for bad options before anything is started, and an Error (a
 * SpawnError) only when no process can be created at all for the `min`
 * workers (EMFILE, EAGAIN). Workers that fail in the child (a bad `cwd`, a
 * runtime not found) do not make pool() throw: each call then rejects with
 * a WorkerError "did not start" whose `cause` is the SpawnError.
 */
export function pool(module: string | URL, options: PoolOptions = {}): Pool {
  return new Pool(module, options);
}

/**
 * A queued call's fds are copied, so that the caller may close its own as
 * soon as call() returns (as with Worker.call()); the copies are closed
 * once the call is handed to a worker or leaves the queue failed. Copies
 * that cannot be made (out of fds) fail the call (false: it must leave the queue).
 */
function holdFds(job: Job): boolean {
  const native = loadNative();
  const copies = copyFds(native, job.options.fds!);
  if (copies instanceof Error) {
    job.reject(copies);
    return false;
  }
  job.options = ownOptions(job.options, { fds: copies });
  const reject = job.reject;
  job.release = () => {
    job.release = noop;
    for (const c of copies) native.asp_close(c);
  };
  job.reject = (e) => (job.release(), reject(e));
  return true;
}
