/** Deno.dlopen translation of the symbol table. */
import { type Bound, type Symbols, symbols, type Table } from "./symbols.ts";

declare const Deno: {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: unknown };
};

export function openDeno<T extends Table = Symbols>(path: string, table: T = symbols as unknown as T): Bound<T> {
  const decl: Record<string, { parameters: string[]; result: string }> = {};
  for (const [name, s] of Object.entries(table)) {
    decl[name] = { parameters: [...s.args], result: s.result };
  }
  return Deno.dlopen(path, decl).symbols as Bound<T>;
}
