/** Bytes in tests: reading a whole stream, decoding, reproducible data, comparing. */
import { concat } from "../src/api/output.ts";

export async function readAll(stream: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of stream!) {
    chunks.push(c);
    size += c.length;
  }
  return concat(chunks, size);
}

export const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** xorshift bytes: the same `seed` gives the same data on every runtime. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
