/**
 * One set of test cases, run by each runtime's own runner: vitest on Node,
 * `bun test`, `deno test`. Cases import { test, assert } from here.
 */
import { runtime } from "../src/ffi/runtime.ts";

declare const Deno: {
  test(t: { name: string; fn: () => unknown; sanitizeOps: boolean; sanitizeResources: boolean }): void;
} | undefined;

type Body = () => unknown | Promise<unknown>;
export type TestFn = (name: string, fn: Body, timeoutMs?: number) => void;

export const runtimeName = runtime;

async function pick(): Promise<TestFn> {
  if (runtimeName === "bun") {
    const { test } = await import("bun:test" as string);
    return (name, fn, t = 20000) => test(name, fn, t);
  }
  if (runtimeName === "deno") {
    // Our reactor channel (a socket over a pipe) lives as long as the
    // process, by design: Deno's leak sanitizers would flag it.
    return (name, fn) => Deno!.test({ name, fn, sanitizeOps: false, sanitizeResources: false });
  }
  const { test } = await import("vitest" as string);
  return (name, fn, t = 20000) => test(name, fn, t);
}

export const test: TestFn = await pick();
export { strict as assert } from "node:assert";
