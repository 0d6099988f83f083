/** Timers that never keep the process alive by themselves. */
import { runtime } from "../ffi/runtime.ts";

declare const Deno: { unrefTimer(id: number): void; refTimer(id: number): void };
type Handle = { ref(): void; unref(): void };

/** Cancels an unrefTimeout(); its ref() makes the timer keep the process alive after all, unref() undoes that. */
export interface CancelTimeout {
  (): void;
  ref(): void;
  unref(): void;
}

/** Run fn after ms unless cancelled; returns the cancel function. */
export function unrefTimeout(fn: () => void, ms: number): CancelTimeout {
  const t = setTimeout(fn, ms) as unknown;
  const cancel = (() => clearTimeout(t as number)) as CancelTimeout;
  cancel.ref = () => (runtime === "deno" ? Deno.refTimer(t as number) : (t as Handle).ref());
  cancel.unref = () => (runtime === "deno" ? Deno.unrefTimer(t as number) : (t as Handle).unref());
  cancel.unref();
  return cancel;
}
