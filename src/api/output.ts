/** Buffered and line-wise reading of a child's stdout. */
import type { PipeReader } from "./child.ts";

/** Chunks (of `size` bytes in all) as one array; a single chunk is returned as is. */
export function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export async function readBytes(reader: PipeReader): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  await reader.drain((c) => {
    chunks.push(c);
    size += c.length;
  });
  return concat(chunks, size);
}

/**
 * Lines without their terminator ("\n" or "\r\n"); a last line without one
 * is still a line; UTF-8 characters split across chunks are decoded whole.
 */
export async function* readLines(reader: PipeReader): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let pending = "";
  const strip = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
  try {
    for (;;) {
      const chunk = await reader.read();
      pending += chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
      let start = 0, nl: number;
      while ((nl = pending.indexOf("\n", start)) >= 0) {
        yield strip(pending.slice(start, nl));
        start = nl + 1;
      }
      pending = pending.slice(start);
      if (!chunk) break;
    }
    if (pending) yield strip(pending);
  } finally {
    // A consumer that stops early: stop reading, as a cancelled stream does
    // (the child gets EPIPE/SIGPIPE instead of blocking on a full pipe).
    reader.close();
  }
}
