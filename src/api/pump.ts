/**
 * Moves bytes between a child's pipes and the user's own streams (the
 * sources and sinks of stream-stdio.ts), one chunk at a time: the next chunk
 * is taken only once the last one is in the pipe (stdin) or accepted by the
 * sink (stdout, stderr), so a slow side slows the other down instead of
 * filling memory.
 *
 * Failures: a source that throws (or yields something that is not a chunk)
 * or a sink that errors stops its pump, our end of that pipe is closed (the
 * child sees EOF, or EPIPE/SIGPIPE), the child is sent killSignal — it must
 * not act on input cut short — and `exited` rejects with a StreamError once
 * the child is reaped. A child that stops reading its stdin (it exited or
 * closed it) is no error: the source is cancelled, as a consumer that stops
 * early cancels a stream.
 */
import { EPIPE } from "./errno.ts";
import type { PipeReader, PipeWriter } from "./child.ts";
import { describe } from "./check.ts";
import { chunkBytes, type NodeReadable, type NodeStream, type NodeWritable, type PumpSpec, type Sink, type Source } from "./stream-stdio.ts";

/** A stream given as stdin, stdout, stderr or input failed; `cause` is its error. */
export class StreamError extends Error {
  override name = "StreamError";
  /** The option that named the stream: "stdin", "stdout", "stderr", "stdio[n]" or "input". */
  readonly option: string;
  /** The command line, for messages. */
  readonly command: string;

  constructor(option: string, role: string, cause: unknown, command: string) {
    const why = cause instanceof Error ? cause.message : describe(cause);
    super(`The ${option} ${role} failed (${why}): ${command}`, { cause });
    this.option = option;
    this.command = command;
  }
}

const noop = () => {};
const proc = (globalThis as { process?: { stdin?: unknown; stdout?: unknown; stderr?: unknown } }).process;
/** This process's own stdio: never ended or destroyed because a child's output ended. */
const ours = (s: unknown) => s !== undefined && (s === proc?.stdin || s === proc?.stdout || s === proc?.stderr);

/** What Pull.next() gives at a source's end: not null, which a source may yield (a chunk that is none, a StreamError). */
const END = Symbol("end");

/** Chunks from a source; END at its end. */
interface Pull {
  next(): Promise<unknown>;
  /** Done with it: `cancel` when stopping before its end. */
  close(cancel: boolean): void;
}

function webPull(stream: ReadableStream): Pull {
  const reader = stream.getReader();
  return {
    next: async () => {
      const r = await reader.read();
      return r.done ? END : r.value;
    },
    close: (cancel) => {
      // cancel() also ends a read still pending (a source with nothing to say).
      if (cancel) reader.cancel().catch(noop);
      else reader.releaseLock();
    },
  };
}

function iterPull(it: Iterator<unknown> | AsyncIterator<unknown>): Pull {
  return {
    next: async () => {
      const r = await it.next();
      return r.done ? END : r.value;
    },
    close: (cancel) => {
      if (!cancel) return;
      try {
        Promise.resolve(it.return?.()).catch(noop);
      } catch {
        // its own cleanup failed: nothing of ours to undo
      }
    },
  };
}

/**
 * Events of a Node stream, listened to while we use it (a stream used for
 * many children must not collect listeners): its first error is kept — a
 * Node stream with no 'error' listener would throw it — and until(done)
 * waits through the events until done() holds, the stream fails or it is
 * destroyed.
 */
function listen(s: NodeStream, events: Record<string, () => void>, onError?: (e: unknown) => void) {
  let wake: (() => void) | undefined;
  let failed = false, error: unknown;
  const onWake = () => wake?.();
  const handlers: [string, (e?: unknown) => void][] = [
    ["error", (e) => {
      if (!failed) {
        [failed, error] = [true, e];
        onError?.(e);
      }
      onWake();
    }],
    ...Object.entries(events).map(([event, f]) => [event, () => (f(), onWake())] as [string, () => void]),
  ];
  for (const [event, f] of handlers) s.on(event, f);
  return {
    until: async (done: () => boolean): Promise<void> => {
      for (;;) {
        if (failed) throw error;
        if (done()) return;
        // destroy(error) inside read() or end() emits 'error' only on the next tick.
        if (s.destroyed) throw s.errored ?? new Error("the stream was destroyed");
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
    detach: () => {
      for (const [event, f] of handlers) s.off(event, f);
      // Its 'error' still to come, unheard, would be thrown: we had it (errored).
      if (s.destroyed && !failed) s.on("error", noop);
      onWake();
    },
  };
}

/**
 * A Node Readable in paused mode ('readable' and read()), not through its
 * async iterator: stopping must be possible while a read is pending, and
 * this process's own stdin must be left paused rather than destroyed.
 */
function nodePull(s: NodeReadable): Pull {
  let ended = false, closed = false, chunk: unknown = null;
  const events = listen(s, { readable: noop, end: () => (ended = true), close: noop });
  // done() reads: a chunk, the end, or our own close stop the wait.
  const ready = () => closed || (chunk = s.read()) != null || ended || s.readableEnded === true;
  return {
    next: async () => {
      await events.until(ready);
      return closed ? END : chunk ?? END;
    },
    close: (cancel) => {
      closed = true;
      events.detach();
      if (cancel && ours(s)) s.pause?.();
      else if (cancel) s.destroy(); // a file stream closes its fd
    },
  };
}

/**
 * Closed once: the first close says whether the source was cut short. A
 * source that fails as it is opened (an iterable whose [Symbol.asyncIterator]
 * throws) fails its first next(), as any failing source: the child is there.
 */
function pullFrom(src: Source): Pull {
  let pull: Pull;
  try {
    pull = open(src);
  } catch (e) {
    pull = { next: () => Promise.reject(e), close: noop };
  }
  let closed = false;
  return {
    next: () => pull.next(),
    close: (cancel) => {
      if (!closed) pull.close(cancel);
      closed = true;
    },
  };
}

function open(src: Source): Pull {
  switch (src.kind) {
    case "bytes": {
      let given = false;
      return { next: async () => (given ? END : ((given = true), src.value)), close: noop };
    }
    case "blob":
      return webPull(src.value.stream());
    case "web":
      return webPull(src.value);
    case "node":
      return nodePull(src.value);
    case "async":
      return iterPull(src.value[Symbol.asyncIterator]());
    case "sync":
      return iterPull(src.value[Symbol.iterator]());
  }
}

/** A sink, shared by every fd that names the same object. */
interface Push {
  /** Resolves once the sink can take more. */
  write(chunk: Uint8Array): Promise<void>;
  /** The end of the output: close the sink, resolving once it has everything. */
  end(): Promise<void>;
  /** Give up on it after a failure. */
  abort(reason: unknown): void;
  /**
   * `f` hears the sink's own failure when it happens, between writes too:
   * a write the sink takes and fails later (an async write, a Node stream
   * whose file cannot be opened) shows nowhere else until the next write.
   */
  onFailure(f: (e: unknown) => void): void;
}

function webPush(stream: WritableStream<Uint8Array>): Push {
  const w = stream.getWriter();
  // The sink's own error: close() of a stream it already errored rejects with a TypeError instead.
  let failure: unknown, onFailure: ((e: unknown) => void) | undefined;
  w.closed.catch((e) => {
    failure ??= e;
    onFailure?.(e);
  });
  // An abort rejects a pending `ready` at once, but not a pending close(),
  // which waits for a write in flight that may never end.
  let stopEnd: ((reason: unknown) => void) | undefined;
  return {
    write: async (chunk) => {
      await w.ready;
      // Not awaited: the sink's queue (its highWaterMark) is the buffer, as
      // pipeTo() uses it; a failure rejects the next ready or the close.
      w.write(chunk).catch(noop);
    },
    end: () => new Promise<void>((resolve, reject) => {
      stopEnd = reject;
      w.close().then(resolve, (e) => reject(failure ?? e));
    }),
    abort: (reason) => {
      stopEnd?.(reason);
      void w.abort(reason).catch(noop);
    },
    onFailure: (f) => (onFailure = f),
  };
}

function nodePush(s: NodeWritable): Push {
  let drained = true, finished = false, aborted = false, reason: unknown;
  let onFailure: (e: unknown) => void = noop;
  const events = listen(s, { drain: () => (drained = true), finish: () => (finished = true), close: noop }, (e) => onFailure(e));
  // A wait ends at the event or at abort() (this process's own stdout is never destroyed).
  const until = async (done: () => boolean) => {
    await events.until(() => aborted || done());
    if (aborted) throw reason;
  };
  return {
    write: async (chunk) => {
      if (!s.write(chunk)) drained = false;
      await until(() => drained);
    },
    end: async () => {
      try {
        if (ours(s)) return;
        s.end();
        await until(() => finished);
      } finally {
        events.detach();
      }
    },
    abort: (why) => {
      [aborted, reason] = [true, why];
      // Destroyed first: detach() then hears the 'error' a _destroy() may report.
      if (!ours(s)) s.destroy();
      events.detach();
    },
    onFailure: (f) => (onFailure = f),
  };
}

const pushTo = (sink: Sink): Push => (sink.kind === "web" ? webPush(sink.value) : nodePush(sink.value));

/** A sink's Push and its state, shared by the pumps of every fd that names it. */
interface Shared {
  push: Push;
  users: number;
  failed: boolean;
  /** Aborted by giveUpAfter(): no StreamError for it. */
  givenUp: boolean;
  /** Closed (or ended) after the output: it has everything, never given up. */
  ended: boolean;
}

/** The ends of a child's standard pipes, by child fd. */
export type PipeEnds = readonly [PipeWriter | null, PipeReader | null, PipeReader | null];

/** The pumps of one child: started with it, stopped and awaited when it exits. */
export class Pumps {
  readonly #command: string;
  readonly #onFail: () => void;
  #error: StreamError | undefined;
  #stdin: Pull | undefined;
  #exited = false;
  readonly #drains: Promise<void>[] = [];
  readonly #sinks: Shared[] = [];
  #giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Every drain has ended: nothing left to give up. */
  #drained = false;

  /** onFail: stop the child (a stream failed). */
  constructor(specs: readonly PumpSpec[], ends: PipeEnds, command: string, onFail: () => void) {
    this.#command = command;
    this.#onFail = onFail;
    // One Push per sink object: stdout and stderr may name the same one,
    // which is then closed after both ended.
    const pushes = new Map<unknown, Shared>();
    for (const spec of specs) {
      if (spec.source) {
        this.#stdin = pullFrom(spec.source); // takes the reader now: a second child sees it locked
        void this.#feed(this.#stdin, ends[0]!, spec.label);
      } else if (spec.sink) {
        let shared = pushes.get(spec.sink.value);
        if (!shared) {
          const s: Shared = { push: pushTo(spec.sink), users: 0, failed: false, givenUp: false, ended: false };
          pushes.set(spec.sink.value, (shared = s));
          this.#sinks.push(s);
          // Failed between writes: stop the child now, not at its next write or its exit.
          s.push.onFailure((e) => {
            if (s.failed) return; // our own abort
            s.failed = true;
            s.push.abort(e);
            this.#fail(spec.label, "sink", e);
          });
        }
        shared.users++;
        this.#drains.push(this.#drain(ends[spec.fd as 1 | 2]!, shared, spec.label));
      }
    }
  }

  #fail(label: string, role: string, cause: unknown): void {
    this.#error ??= new StreamError(label, role, cause, this.#command);
    this.#onFail();
  }

  async #feed(pull: Pull, w: PipeWriter, label: string): Promise<void> {
    let done = false;
    try {
      for (;;) {
        let chunk: Uint8Array;
        try {
          const c = await pull.next();
          if (c === END || this.#exited) return void (done = c === END);
          chunk = chunkBytes(c, label);
        } catch (e) {
          if (!this.#exited) this.#fail(label, "source", e);
          return;
        }
        try {
          await w.write(chunk);
        } catch (e) {
          // The child stopped reading (exited, or closed its stdin): no error.
          if ((e as { errno?: number }).errno !== EPIPE && !this.#exited) this.#fail(label, "pipe", e);
          return;
        }
      }
    } finally {
      w.close(); // EOF for the child
      pull.close(!done);
    }
  }

  async #drain(r: PipeReader, shared: Shared, label: string): Promise<void> {
    let role = "pipe";
    try {
      for (;;) {
        role = "pipe";
        const chunk = await r.read();
        if (!chunk) break;
        role = "sink";
        await shared.push.write(chunk);
      }
      role = "sink";
      if (--shared.users === 0 && !shared.failed) {
        await shared.push.end();
        shared.ended = true;
      }
    } catch (e) {
      r.close(); // the child gets EPIPE (or SIGPIPE) instead of a full pipe
      if (!shared.failed) shared.push.abort(e);
      shared.failed = true;
      // Given up: the timeout, abort or failure that stopped the child is the story.
      if (!shared.givenUp) this.#fail(label, role, e);
    }
  }

  /**
   * The child was stopped (timeout, abort, a failure) and has exited: a sink
   * that has not taken what its pipe held within `ms` is given up — aborted
   * (a Node stream destroyed), which ends the pump's wait, and its pipe
   * closed — so that a sink that never takes the output cannot keep
   * `exited` pending for ever.
   */
  giveUpAfter(ms: number): void {
    if (this.#drained || this.#giveUpTimer !== undefined || !Number.isFinite(ms)) return;
    // Not unref'd: whoever awaits `exited` must see it settle; it fires within ms.
    this.#giveUpTimer = setTimeout(() => {
      for (const shared of this.#sinks) {
        if (shared.failed || shared.ended) continue;
        shared.givenUp = shared.failed = true;
        shared.push.abort(new Error("the child was stopped, and its output not taken in time"));
      }
    }, ms);
  }

  /**
   * The child exited: stop feeding its stdin (the source is cancelled) and
   * wait until what it wrote is in the sinks. The first failure, if any.
   */
  async exited(): Promise<StreamError | undefined> {
    this.#exited = true;
    this.#stdin?.close(true);
    await Promise.all(this.#drains);
    this.#drained = true;
    clearTimeout(this.#giveUpTimer);
    return this.#error;
  }
}
