/**
 * A bigger parent: ArrayBuffers filled with non-zero bytes, so every page
 * is touched and mapped (a zeroed buffer may stay unbacked and cost a fork
 * nothing). Held here until released.
 */
const CHUNK = 256 * 1024 * 1024;
const held: Uint8Array[] = [];
let size = 0;

/** Grow the held buffers to `bytes` in total. */
export function growTo(bytes: number): void {
  while (size < bytes) {
    const n = Math.min(CHUNK, bytes - size);
    held.push(new Uint8Array(n).fill(0x5a));
    size += n;
  }
}

export function release(): void {
  held.length = 0;
  size = 0;
}
