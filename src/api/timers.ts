/** Timers that never keep the process alive by themselves. */
import { runtime } from "../ffi/runtime.ts";

declare const Deno: { unrefTimer(id: number): void; refTimer(id: number): void };

/** Cancels an unrefTimeout(); its ref() makes the timer keep the process alive after all. */
export interface CancelTimeout {
  (): void;
  ref(): void;
}

/** Run fn after ms unless cancelled; returns the cancel function. */
export function unrefTimeout(fn: () => void, ms: number): CancelTimeout {
  const t = setTimeout(fn, ms) as unknown;
  if (runtime === "deno") Deno.unrefTimer(t as number);
  else (t as { unref(): void }).unref();
  const cancel = (() => clearTimeout(t as number)) as CancelTimeout;
  cancel.ref = () => (runtime === "deno" ? Deno.refTimer(t as number) : (t as { ref(): void }).ref());
  return cancel;
}
