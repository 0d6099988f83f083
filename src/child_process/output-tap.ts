/**
 * exec()'s output read straight from the pipe, without a Node stream.
 * exec() and execFile() collect stdout and stderr themselves; building a
 * Readable per pipe, setting its decoder and listening to it was a fifth
 * of the time the call holds the event loop (measured: 48 + 16 of 327 us
 * a call). The stream is still made when the program asks for
 * `child.stdout`: the tap then hands it the read under way and the UTF-8
 * bytes of a character not yet complete, and exec's listener moves to it.
 */
import { Buffer } from "node:buffer";
import type { PipeReader } from "../api/child.ts";
import { concat } from "../api/output.ts";

export type TapListener = (chunk: string | Buffer) => void;

/** What a stream made later starts with: the read under way, and bytes held back before it. */
export type TapHandover = Promise<Uint8Array | null> | undefined;

export class OutputTap {
  readonly #reader: PipeReader;
  /** Decode as UTF-8 (exec's default encoding); else hand over Buffers. */
  readonly utf8: boolean;
  readonly listener: TapListener;
  readonly #onEnd: (error?: Error) => void;
  #pending: Promise<Uint8Array | null> | undefined;
  /** The last bytes read, when they begin a UTF-8 character the next chunk completes. */
  #tail: Uint8Array | undefined;
  /** EOF, a failed read, stop(), or handed over: no more reads of ours. */
  #done = false;
  /** The failed read's error, for the stream made to report it. */
  error: Error | undefined;
  /** It read to EOF (not stopped, not failed). */
  ended = false;

  /** Reads once `gate` settles (the child's `spawn` or `error` was emitted: no data before it, as in Node). */
  constructor(reader: PipeReader, gate: Promise<unknown>, utf8: boolean, listener: TapListener, onEnd: (error?: Error) => void) {
    this.#reader = reader;
    this.utf8 = utf8;
    this.listener = listener;
    this.#onEnd = onEnd;
    void gate.then(() => this.#next());
  }

  /** Ended (EOF, a failed read or stop()) or handed over. */
  get done(): boolean {
    return this.#done;
  }

  /** exec's kill() destroys the streams first: the pipe is closed, unread. */
  stop(): void {
    if (this.#done) return;
    this.#finish();
    this.#reader.close();
    this.#onEnd();
  }

  /**
   * The stream takes over: what it reads first (the read under way, behind
   * the bytes held back), or undefined when nothing was read yet.
   */
  handOver(): TapHandover {
    const pending = this.#pending, tail = this.#tail;
    this.#finish();
    if (!tail) return pending;
    return (pending ?? Promise.resolve(null)).then((chunk) => (chunk ? concat([tail, chunk], tail.length + chunk.length) : tail));
  }

  #finish(): void {
    this.#done = true;
    this.#pending = undefined;
    this.#tail = undefined;
  }

  #next(): void {
    if (this.#done) return;
    const read = (this.#pending = this.#reader.read());
    read.then((chunk) => {
      if (this.#pending !== read) return; // handed over or stopped meanwhile
      this.#pending = undefined;
      if (chunk) {
        this.#deliver(chunk);
        return this.#next();
      }
      const tail = this.#tail;
      this.#finish();
      this.ended = true;
      if (tail) this.listener(Buffer.from(tail).toString("utf8"));
      this.#onEnd();
    }, (e: Error) => {
      if (this.#pending !== read) return;
      this.#finish();
      this.error = e;
      this.#onEnd(e);
    });
  }

  #deliver(chunk: Uint8Array): void {
    if (!this.utf8) return this.listener(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const held = this.#tail;
    const bytes = held ? concat([held, chunk], held.length + chunk.length) : chunk;
    const whole = bytes.length - incompleteTail(bytes);
    this.#tail = whole < bytes.length ? bytes.slice(whole) : undefined;
    // As a stream's decoder: a chunk of nothing but a partial character says nothing.
    if (whole > 0) this.listener(Buffer.from(bytes.buffer, bytes.byteOffset, whole).toString("utf8"));
  }
}

/**
 * How many bytes at the end begin a UTF-8 character that is not complete
 * (0-3). Only a lead byte starts what is held, so decoding the chunks apart
 * gives what decoding them together would (an invalid sequence included).
 */
export function incompleteTail(b: Uint8Array): number {
  const n = b.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const c = b[i]!;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    const need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    return need > n - i ? n - i : 0;
  }
  return 0;
}
