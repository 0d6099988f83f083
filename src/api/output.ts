/** Buffered and line-wise reading of a child's stdout. */
import type { FdReader } from "./fd-reader.ts";

export const MiB = 1024 * 1024;

/** @internal Keeps a stream's bytes up to a limit (run(), chains of `$`, the helpers of spawn()). */
export class Collector {
  chunks: Uint8Array[] = [];
  size = 0;
  exceeded = false;
  /** `all`: the chunks kept here also go there, in the order they arrive (run()'s `all`). */
  constructor(
    private readonly max: number,
    private readonly onExceeded: (c: Collector) => void,
    private readonly all?: Uint8Array[],
  ) {}
  add = (chunk: Uint8Array) => {
    chunk = this.take(chunk);
    if (!chunk.length) return;
    this.chunks.push(chunk);
    this.all?.push(chunk);
  };
  /** The part of `chunk` within the limit, counted (not kept). */
  take(chunk: Uint8Array): Uint8Array {
    if (this.exceeded) return chunk.subarray(0, 0);
    if (this.size + chunk.length > this.max) {
      this.exceeded = true;
      this.onExceeded(this);
      chunk = chunk.subarray(0, this.max - this.size);
    }
    this.size += chunk.length;
    return chunk;
  }
  bytes(): Uint8Array {
    return concat(this.chunks, this.size);
  }
}

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

export async function readBytes(reader: FdReader): Promise<Uint8Array> {
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
export async function* readLines(reader: FdReader, limit?: Collector): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let pending = "";
  const strip = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
  try {
    for (let end = false; !end;) {
      let chunk = await reader.read();
      // Past the limit: the rest is not read (the child is being stopped).
      if (chunk && limit) {
        const kept = limit.take(chunk);
        end = kept.length < chunk.length;
        chunk = kept;
      }
      end ||= !chunk;
      pending += chunk ? decoder.decode(chunk, { stream: !end }) : decoder.decode();
      let start = 0, nl: number;
      while ((nl = pending.indexOf("\n", start)) >= 0) {
        yield strip(pending.slice(start, nl));
        start = nl + 1;
      }
      pending = pending.slice(start);
    }
    if (pending) yield strip(pending);
  } finally {
    // A consumer that stops early: stop reading, as a cancelled stream does
    // (the child gets EPIPE/SIGPIPE instead of blocking on a full pipe).
    reader.close();
  }
}
