/** koffi translation of the symbol table (Node: no compile step for users). */
import { requireHere } from "./runtime.ts";
import { type Native, type NativeType, symbols } from "./symbols.ts";

export function openNode(path: string): Native {
  const koffi = requireHere()("koffi");
  const lib = koffi.load(path);
  // A TypedArray passed as `void *` is handed to C as a pointer to its own
  // memory (no copy), which the output parameters rely on.
  const type = (t: NativeType) => (t === "buffer" ? "void *" : t === "u32" ? "uint32_t" : "int32_t");
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(symbols)) {
    out[name] = lib.func(name, type(s.result), s.args.map(type));
  }
  return out as Native;
}
