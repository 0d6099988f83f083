/**
 * One set of test cases, run by each runtime's own runner: vitest on Node,
 * `bun test`, `deno test`. Cases import { test, assert } from here.
 *
 * With ASPAWN_BACKEND=portable the cases run against the portable backend
 * (scripts/test-portable.sh). A case that needs what only the native
 * backend has (native-only.ts) is declared with nativeTest(): there it is
 * reported as skipped, naming what it needs.
 */
import { env, runtime, type RuntimeName } from "../src/ffi/runtime.ts";
import { nativeOnly, type NativeOnly } from "./native-only.ts";

export { nativeOnly, type NativeOnly };

declare const Deno: {
  test(t: { name: string; fn: () => unknown; sanitizeOps: boolean; sanitizeResources: boolean; ignore?: boolean }): void;
} | undefined;

type Body = () => unknown | Promise<unknown>;
export type TestFn = (name: string, fn: Body, timeoutMs?: number) => void;

export const runtimeName = runtime;

/** The cases run against the portable backend. */
export const portable = env("ASPAWN_BACKEND") === "portable";

async function pick(): Promise<{ test: TestFn; skip: TestFn }> {
  if (runtimeName === "bun") {
    const { test } = await import("bun:test" as string);
    return { test: (name, fn, t = 20000) => test(name, fn, t), skip: (name, fn) => test.skip(name, fn) };
  }
  if (runtimeName === "deno") {
    // Our reactor channel (a socket over a pipe) lives as long as the
    // process, by design: Deno's leak sanitizers would flag it.
    const define = (ignore: boolean): TestFn => (name, fn) =>
      Deno!.test({ name, fn, sanitizeOps: false, sanitizeResources: false, ignore });
    return { test: define(false), skip: define(true) };
  }
  const { test } = await import("vitest" as string);
  return { test: (name, fn, t = 20000) => test(name, fn, t), skip: (name, fn) => test.skip(name, fn) };
}

const runner = await pick();

/** The runtimes' spawn APIs are slower (Node forks): the portable backend's cases get more time. */
const slack = portable ? 3 : 1;

export const test: TestFn = (name, fn, timeoutMs = 20000) => runner.test(name, fn, timeoutMs * slack);

/** Whether `needs` rules a case out here. */
export function nativeOnlyHere(needs: readonly NativeOnly[]): NativeOnly[] {
  if (!portable) return [];
  return needs.filter((n) => (nativeOnly[n] as readonly RuntimeName[]).includes(runtime));
}

/** A case that uses what only the native backend has: skipped on the portable one, saying why. */
export function nativeTest(needs: readonly NativeOnly[], name: string, fn: Body, timeoutMs?: number): void {
  const missing = nativeOnlyHere(needs);
  if (missing.length) runner.skip(`${name} [native only: ${missing.join(", ")}]`, fn);
  else test(name, fn, timeoutMs);
}

export { strict as assert } from "node:assert";
