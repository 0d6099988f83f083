/** bun:ffi translation of the symbol table. */
import { requireHere } from "./runtime.ts";
import { type Bound, type NativeType, type Symbols, symbols, type Table } from "./symbols.ts";

export function openBun<T extends Table = Symbols>(path: string, table: T = symbols as unknown as T): Bound<T> {
  // Loaded on demand so that this module can be imported on every runtime;
  // through requireHere(), as a CommonJS bundle has no import.meta.require.
  const { dlopen, FFIType } = requireHere()("bun:ffi");
  const type = (t: NativeType | "void") =>
    t === "buffer" ? FFIType.ptr : t === "u32" ? FFIType.u32 : t === "void" ? FFIType.void : FFIType.i32;
  const decl: Record<string, { args: unknown[]; returns: unknown }> = {};
  for (const [name, s] of Object.entries(table)) {
    decl[name] = { args: s.args.map(type), returns: type(s.result) };
  }
  return dlopen(path, decl).symbols as Bound<T>;
}
