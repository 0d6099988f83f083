/** koffi translation of the symbol table (Node: no compile step for users). */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { installedPackage } from "./locate.ts";
import { moduleUrl, requireHere } from "./runtime.ts";
import { type Bound, type NativeType, type Symbols, symbols, type Table } from "./symbols.ts";

export function openNode<T extends Table = Symbols>(path: string, table: T = symbols as unknown as T): Bound<T> {
  const koffi = withPlainPrototype(requireKoffi);
  const lib = koffi.load(path);
  // A TypedArray passed as `void *` is handed to C as a pointer to its own
  // memory (no copy), which the output parameters rely on.
  const type = (t: NativeType) => (t === "buffer" ? "void *" : t === "u32" ? "uint32_t" : "int32_t");
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(table)) {
    out[name] = lib.func(name, type(s.result), s.args.map(type));
  }
  return out as Bound<T>;
}

/**
 * koffi, from here, else from the aspawn package a bundle runs beside: a
 * pnpm layout keeps koffi next to that package only (in node_modules/.pnpm),
 * out of the bundle's reach.
 */
function requireKoffi(): ReturnType<NodeJS.Require> {
  try {
    return requireHere()("koffi");
  } catch (e) {
    const url = moduleUrl();
    const pkg = (e as { code?: string } | null)?.code === "MODULE_NOT_FOUND" && url?.startsWith("file:")
      ? installedPackage(dirname(fileURLToPath(url)))
      : undefined;
    if (!pkg) throw e;
    try {
      return createRequire(`${pkg}/package.json`)("koffi");
    } catch {
      throw e; // the first error says where koffi was looked for
    }
  }
}

/**
 * koffi's bundle defines its exports with a for...in loop that also walks
 * enumerable keys a program added to Object.prototype, and its load then
 * throws ("Getter must be a function"). Such keys are set aside while it
 * loads (synchronously: no other code runs meanwhile) and put back after.
 */
function withPlainPrototype<T>(load: () => T): T {
  const proto = Object.prototype as Record<string, unknown>;
  const saved = Object.keys(proto).map((k) => [k, Object.getOwnPropertyDescriptor(proto, k)!] as const)
    .filter(([, d]) => d.configurable);
  for (const [k] of saved) delete proto[k];
  try {
    return load();
  } finally {
    for (const [k, d] of saved) Object.defineProperty(proto, k, d);
  }
}
