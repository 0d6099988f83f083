/**
 * aspawn/register: this package's child_process module in place of
 * node:child_process for a whole program, loaded before it:
 *
 *   node --import aspawn/register app.js
 *   bun --preload aspawn/register app.js
 *   deno run --preload npm:aspawn/register app.js
 *
 * node.ts and in-place.ts say how each runtime is covered.
 */
import { moduleUrl, runtime } from "../ffi/runtime.ts";

// By the package's own name (a self-reference), so that the program's
// `import "aspawn/child_process"` and the redirected node:child_process are
// one module instance.
const ns = (await import("aspawn/child_process" as string)) as Record<string, unknown>;
const url = moduleUrl()!;
if (runtime === "node") (await import("./node.ts")).install(ns, url);
else (await import("./in-place.ts")).install(ns, url);
