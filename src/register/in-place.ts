/**
 * Bun and Deno: their module loaders cannot be asked to resolve a builtin
 * elsewhere (Bun's plugins never see node: specifiers; Deno has no hooks),
 * but node:child_process's exports object is one mutable object that
 * require() and the default import return. Its functions are replaced
 * in place by this package's. Bun's named imports are live bindings of
 * that object, so they follow; Deno's are not (see the README).
 */
import { createRequire } from "node:module";
import { exportsObject } from "./shared.ts";

export function install(ns: Record<string, unknown>, ownUrl: string): void {
  const builtin = createRequire(ownUrl)("node:child_process") as Record<string, unknown>;
  Object.assign(builtin, exportsObject(ns));
}
