/** ASPAWN_TRACE=1: every native call, its arguments and result, on stderr. */
import type { Native } from "./symbols.ts";

function show(v: unknown): string {
  return v instanceof Uint8Array ? `<${v.byteLength} bytes>` : String(v);
}

export function traced(native: Native, write: (line: string) => void): Native {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(native) as [string, (...a: unknown[]) => number][]) {
    out[name] = (...args: unknown[]) => {
      const r = fn(...args);
      write(`aspawn: ${name}(${args.map(show).join(", ")}) = ${r}\n`);
      return r;
    };
  }
  return out as Native;
}
