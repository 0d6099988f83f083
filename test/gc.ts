/**
 * The JS engine's garbage collector, for tests that measure memory: a full
 * collection on every runtime, and the flags that keep V8's own growth out
 * of what they measure.
 */
import { createRequire } from "node:module";

declare const Bun: { gc(sync: boolean): void; shrink?(): void } | undefined;

let gcFn: ((options?: object) => void) | null | undefined;

/**
 * A full garbage collection if the runtime lets us; false if it does not.
 * `release`: also hand back to the OS what the engine keeps for reuse (V8's
 * pooled pages and young generation, JSC's free blocks), as it does under
 * memory pressure — without it V8's RSS swings by ~10 % (Deno: 48 <-> 54 MB
 * anonymous every 10 000 spawns, live objects flat), which is no leak of
 * anybody's.
 */
export function gc(release = false): boolean {
  if (typeof Bun !== "undefined") {
    Bun.gc(true);
    if (release) Bun.shrink?.();
    return true;
  }
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    gcFn = typeof g === "function" ? g : null;
    if (!gcFn) {
      try {
        // Node (and Deno's node:v8) without --expose-gc: enable it now.
        const req = createRequire(import.meta.url);
        req("node:v8").setFlagsFromString("--expose-gc");
        const f = req("node:vm").runInNewContext("gc");
        if (typeof f === "function") gcFn = f;
      } catch {
        gcFn = null;
      }
    }
  }
  if (!gcFn) return false;
  gcFn(release ? { type: "major", execution: "sync", flavor: "last-resort" } : undefined);
  return true;
}

/** V8 grows its young generation with the allocation rate and keeps the
 * pages (node:child_process shows the same +40 % RSS over 30 000 spawns):
 * measuring fixtures pin it (--min/--max-semi-space-size), and
 * warmYoungGeneration touches all of it once, so that what is measured is ours. */
export const V8_FLAGS = ["--expose-gc", "--min-semi-space-size=16", "--max-semi-space-size=16"];

/** Returns the last object made, so that no engine can skip making them. */
export function warmYoungGeneration(): unknown {
  let last: unknown;
  for (let i = 0; i < 3_000_000; i++) last = { i, a: [i, i + 1] };
  return last;
}
