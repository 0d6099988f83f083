/** Which JavaScript runtime we are on, and the few facts we need from it. */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

declare const Bun: unknown;
declare const Deno: {
  build: { os: string; arch: string };
  version: { deno: string };
  env: { get(name: string): string | undefined };
  permissions: { querySync(d: { name: "env"; variable: string } | { name: "read"; path?: string }): { state: string } };
} | undefined;

export type RuntimeName = "bun" | "deno" | "node";

export const runtime: RuntimeName = typeof Bun !== "undefined"
  ? "bun"
  : typeof Deno !== "undefined"
  ? "deno"
  : "node";

/** "linux", "darwin", ... */
export function platform(): string {
  return runtime === "deno" ? Deno!.build.os : process.platform;
}

/** Node's spelling: "x64", "arm64", ... */
/**
 * Why this Deno cannot run the native backend, or undefined. Deno 2.0 to
 * 2.7 have no `new net.Socket({ fd })` ("Not implemented"), through which
 * this context is woken when the reactor has news (waker.ts): every async
 * spawn failed there, and only runSync() worked.
 */
export function denoWithoutFdSockets(v = runtime === "deno" ? Deno!.version.deno : undefined): string | undefined {
  if (v === undefined) return undefined;
  const [major, minor] = v.split(".").map(Number) as [number, number];
  return major === 2 && minor < 8 ? `Deno ${v} cannot make a net.Socket of an fd, which the native backend needs (Deno 2.8 or later)` : undefined;
}

export function arch(): string {
  if (runtime !== "deno") return process.arch;
  const a = Deno!.build.arch;
  return a === "x86_64" ? "x64" : a === "aarch64" ? "arm64" : a;
}

/**
 * An environment variable, or undefined. On Deno it is read only when
 * --allow-env already grants it: reading must never prompt or throw.
 */
export function env(name: string): string | undefined {
  if (runtime !== "deno") return process.env[name];
  try {
    if (Deno!.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
    return Deno!.env.get(name);
  } catch {
    return undefined;
  }
}

/** Deno: whether reading any file, or the files under `path`, is granted already (asking would prompt or throw). */
export function denoReadsFiles(path?: string): boolean {
  try {
    return Deno!.permissions.querySync(path === undefined ? { name: "read" } : { name: "read", path }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * This module's URL. In a CommonJS bundle (esbuild --format=cjs)
 * import.meta is empty: the bundle's own file name stands in.
 */
export function moduleUrl(): string | undefined {
  const url = import.meta.url as string | undefined;
  if (url) return url;
  return typeof __filename === "string" ? pathToFileURL(__filename).href : undefined;
}

/**
 * require() for Node's own modules and koffi: one resolving from this
 * module, or CommonJS's own where this code was bundled into CommonJS.
 */
export function requireHere(): NodeJS.Require {
  const url = moduleUrl();
  return url ? createRequire(url) : require;
}
