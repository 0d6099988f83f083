/** Deno.dlopen translation of the symbol table. */
import { type Native, symbols } from "./symbols.ts";

declare const Deno: {
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): { symbols: unknown };
};

export function openDeno(path: string): Native {
  const decl: Record<string, { parameters: string[]; result: string }> = {};
  for (const [name, s] of Object.entries(symbols)) {
    decl[name] = { parameters: [...s.args], result: s.result };
  }
  return Deno.dlopen(path, decl).symbols as Native;
}
