/**
 * `node --import aspawn/register`: every `require` and `import` of
 * child_process / node:child_process, in the program and its dependencies,
 * gets aspawn/child_process. Node 20 has two module systems to cover:
 *
 * - import (ESM, and import() from CommonJS): a resolve hook
 *   (module.register) sends the specifier to a small facade module that
 *   re-exports the one shared exports object;
 * - require (CommonJS, which Node 20's hooks do not see): Module._load,
 *   the function every require() and createRequire() goes through, returns
 *   that object; process.getBuiltinModule() too.
 *
 * This package's own files (dist/ and src/ of its root) are left alone:
 * the portable backend and the worker host spawn with the real module.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { CHILD_PROCESS_KEY, exportsObject, isChildProcessId, resolveHook } from "./shared.ts";

interface NodeModule {
  _load(request: string, parent: { filename?: string | null } | null | undefined, isMain: boolean): unknown;
  register(specifier: string, options?: { data?: unknown }): void;
}

/** Installs the redirect to `ns`, the aspawn/child_process namespace. */
export function install(ns: Record<string, unknown>, ownUrl: string): void {
  // Loaded twice (--import twice, or NODE_OPTIONS and the command line): once is enough.
  if (CHILD_PROCESS_KEY in globalThis) return;
  const require = createRequire(ownUrl);
  const Module = require("node:module") as NodeModule;
  const root = pathToFileURL(require.resolve("aspawn/package.json")).href.replace(/package\.json$/, "");
  const own = [`${root}dist/`, `${root}src/`];
  const object = exportsObject(ns);
  // Where the facade finds the object: a symbol, so no global name appears
  // (Node's own tests fail on a leaked global), and not enumerable.
  Object.defineProperty(globalThis, CHILD_PROCESS_KEY, { value: object, configurable: true });

  const ownFile = (filename: string | null | undefined) =>
    typeof filename === "string" && own.some((p) => pathToFileURL(filename).href.startsWith(p));
  const load = Module._load;
  Module._load = function (this: unknown, request, parent, isMain) {
    if (isChildProcessId(request) && !ownFile(parent?.filename)) return object;
    return load.call(this, request, parent, isMain);
  };
  const proc = process as unknown as { getBuiltinModule?: (id: string) => unknown };
  const getBuiltin = proc.getBuiltinModule;
  if (getBuiltin) proc.getBuiltinModule = (id: string) => (isChildProcessId(id) ? object : getBuiltin.call(process, id));

  const names = Object.keys(object).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
  const facade = [
    `const m = globalThis[Symbol.for(${JSON.stringify(CHILD_PROCESS_KEY.description)})];`,
    "export default m;",
    `export const { ${names.join(", ")} } = m;`,
  ].join("\n");
  const hooks = `${resolveHook}\nexport { initialize, resolve };`;
  Module.register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
    data: { own, facade: `data:text/javascript,${encodeURIComponent(facade)}` },
  });
}
