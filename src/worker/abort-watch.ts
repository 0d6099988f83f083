/**
 * One "abort" listener per AbortSignal, however many calls (of workers and
 * pools) wait on it. A listener per call is a leak while they run (Node
 * warns past 10: MaxListenersExceededWarning), and calls often share one
 * signal (`AbortSignal.timeout()` for a batch). The listener goes once no
 * call waits on its signal.
 */

interface Watch {
  readonly fns: Set<() => void>;
  readonly listener: () => void;
}

const watches = new WeakMap<AbortSignal, Watch>();

/** Run `fn` when `signal` aborts (once); returns what stops that. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let w = watches.get(signal);
  if (!w) {
    const fns = new Set<() => void>();
    const listener = () => {
      watches.delete(signal);
      const all = [...fns];
      fns.clear();
      for (const f of all) f();
    };
    w = { fns, listener };
    watches.set(signal, w);
    signal.addEventListener("abort", listener, { once: true });
  }
  const watch = w;
  watch.fns.add(fn);
  return () => {
    if (!watch.fns.delete(fn) || watch.fns.size) return;
    signal.removeEventListener("abort", watch.listener);
    if (watches.get(signal) === watch) watches.delete(signal);
  };
}
