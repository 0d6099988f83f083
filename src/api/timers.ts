/** Timers that never keep the process alive by themselves. */
import { runtime } from "../ffi/runtime.ts";

declare const Deno: { unrefTimer(id: number): void };

/** Run fn after ms unless cancelled; returns the cancel function. */
export function unrefTimeout(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms) as unknown;
  if (runtime === "deno") Deno.unrefTimer(t as number);
  else (t as { unref(): void }).unref();
  return () => clearTimeout(t as number);
}
