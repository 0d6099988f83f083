/**
 * Bun and Deno: their module loaders cannot be asked to resolve a builtin
 * elsewhere (Bun's plugins never see node: specifiers, and Bun.plugin's
 * module() refuses builtins; Deno has no loader hooks), but
 * node:child_process's exports object is one mutable object that require()
 * and the default import return. Its functions are replaced in place by
 * this package's. Both runtimes build a builtin's named ESM exports from
 * that object when something first imports it as ESM, so named imports
 * follow too, as long as nothing ESM-imported node:child_process before
 * this ran (this package reaches it only through require): load the
 * register first (--preload).
 */
import { createRequire } from "node:module";
import { exportsObject } from "./shared.ts";

export function install(ns: Record<string, unknown>, ownUrl: string): void {
  const builtin = createRequire(ownUrl)("node:child_process") as Record<string, unknown>;
  Object.assign(builtin, exportsObject(ns));
}
