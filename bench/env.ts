/** Which runtime runs the harness, and the runtime facts it reports. */
import process from "node:process";
import { bun, deno } from "./globals.ts";

export type RuntimeName = "node" | "bun" | "deno";

export const runtime: RuntimeName = bun ? "bun" : deno ? "deno" : "node";

export const runtimeVersion: string = bun ? bun.version : deno ? deno.version.deno : process.versions.node;

/** Our own arguments, without the runtime and script. */
export const args: string[] = deno ? deno.args : process.argv.slice(2);

/**
 * Full collection when the runtime lets us force one (Bun always; Node and
 * Deno with --expose-gc), else false: memory numbers are then noisier.
 */
export function collect(): boolean {
  if (bun) {
    bun.gc(true);
    return true;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc(); // a second pass collects what the first one's finalizers freed
  return true;
}

/** How memory is measured here, for the results. */
export const gcMethod: string = bun ? "Bun.gc(true)" : `globalThis.gc (${runtime === "deno" ? "--v8-flags=--expose-gc" : "--expose-gc"})`;

export function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

export function rss(): number {
  return process.memoryUsage().rss;
}
