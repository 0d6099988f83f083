/** Buffered and line-wise reading of a child's stdout. */
import type { PipeReader } from "./child.ts";
import { outputDecoder } from "./text.ts";

export const MiB = 1024 * 1024;

/** @internal Keeps a stream's bytes up to a limit (run(), chains of `$`, the helpers of spawn()). */
export class Collector {
  chunks: Uint8Array[] = [];
  size = 0;
  exceeded = false;
  /** `all`: the chunks kept here also go there, in the order they arrive (run()'s `all`). */
  constructor(
    /** The limit, in bytes (for messages). */
    readonly max: number,
    private readonly onExceeded: (c: Collector) => void,
    private readonly all?: Interleaved,
  ) {
    all?.from(this);
  }
  add = (chunk: Uint8Array) => {
    chunk = this.take(chunk);
    if (!chunk.length) return;
    this.chunks.push(chunk);
    this.all?.add(this, chunk);
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

/**
 * `all`: the bytes of several streams in the order they were read. A
 * UTF-8 character that a read cut short waits for the rest of it, so that
 * another stream's bytes never land inside it (text decoded from `all`
 * would show neither). runSync()'s `all` is made the same way (sync.c).
 */
export class Interleaved {
  readonly #chunks: Uint8Array[] = [];
  #size = 0;
  /** By stream: the start of a character its last read cut short. */
  readonly #cuts = new Map<object, Uint8Array>();
  readonly #order: object[] = [];

  /** A stream of it, in the order a character still cut short at the end is added (sync.c: stdout, then stderr). */
  from(stream: object): void {
    if (!this.#order.includes(stream)) this.#order.push(stream);
  }

  add(from: object, chunk: Uint8Array): void {
    let held = this.#cuts.get(from);
    this.#cuts.delete(from);
    if (held && chunk.length < 3) {
      // A short read: whether it ends the character shows only with the bytes before it.
      chunk = concat([held, chunk], held.length + chunk.length);
      held = undefined;
    }
    const tail = utf8Cut(chunk);
    if (held) this.#push(held);
    this.#push(chunk.subarray(0, chunk.length - tail));
    if (tail) this.#cuts.set(from, chunk.slice(chunk.length - tail));
  }

  /** All of it; a character still cut short is kept as it came. */
  bytes(): Uint8Array {
    for (const stream of this.#order) {
      const held = this.#cuts.get(stream);
      if (held) this.#push(held);
    }
    this.#cuts.clear();
    return concat(this.#chunks, this.#size);
  }

  #push(bytes: Uint8Array): void {
    if (!bytes.length) return;
    this.#chunks.push(bytes);
    this.#size += bytes.length;
  }
}

/** How many bytes at the end of `b` start a UTF-8 character they do not finish (0-3). */
function utf8Cut(b: Uint8Array): number {
  const n = b.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const c = b[n - k]!;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const need = c >= 0xf8 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
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
export async function* readLines(reader: PipeReader, limit?: Collector): AsyncGenerator<string, void, undefined> {
  const decoder = outputDecoder();
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
    // No terminator: a "\r" at its end is the line's own, as `$`'s lines() keeps it.
    if (pending) yield pending;
  } finally {
    // A consumer that stops early: stop reading, as a cancelled stream does
    // (the child gets EPIPE/SIGPIPE instead of blocking on a full pipe).
    reader.close();
  }
}
