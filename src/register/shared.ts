/** What the register entries of every runtime share. */

/** The global (a symbol: no name appears) where a facade module finds the exports object. */
export const CHILD_PROCESS_KEY = Symbol.for("aspawn.child_process");

export function isChildProcessId(id: unknown): boolean {
  return id === "child_process" || id === "node:child_process";
}

/**
 * The object `require("child_process")` returns: a plain, writable object
 * like Node's (programs and tests patch its functions), one for CommonJS
 * and the default export of ESM alike, as Node's is.
 */
export function exportsObject(ns: Record<string, unknown>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ns)) if (k !== "default") object[k] = v;
  return object;
}

/**
 * Node's module customisation hooks, run on the loader thread (so a
 * string, registered as a data: URL: nothing of this package is loaded
 * there). `own` are URL prefixes of this package's files, which keep the
 * real module; `facade` is the module the others get.
 */
export const resolveHook = `
let own = [], facade = "";
function initialize(data) { own = data.own; facade = data.facade; }
async function resolve(specifier, context, next) {
  if ((specifier === "child_process" || specifier === "node:child_process") &&
      !(context.parentURL && own.some((p) => context.parentURL.startsWith(p)))) {
    return { url: facade, format: "module", shortCircuit: true };
  }
  return next(specifier, context);
}`;
