/**
 * Node streams over the library's pipe ends: a Readable pulls the next
 * chunk only when Node asks for one (the pipe stays the buffer, so a slow
 * consumer slows the child as with Node's sockets), a Writable resolves each
 * write once it is in the pipe, and a Duplex joins an extra pipe's two web
 * streams.
 */
import { Buffer } from "node:buffer";
import { Duplex, Readable, Writable } from "node:stream";
import type { PipeReader, PipeWriter } from "../api/child.ts";
import { EPIPE } from "../api/errno.ts";
import type { ExtraPipe } from "../api/extra-pipes.ts";
import { asNodeError, errnoError } from "./node-errors.ts";

const noop = () => {};
const asBuffer = (c: Uint8Array) => Buffer.from(c.buffer, c.byteOffset, c.byteLength);

/** A Buffer (or string) chunk Node handed to _write, as bytes. */
function bytesOf(chunk: unknown, encoding: BufferEncoding): Uint8Array {
  return typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk as Uint8Array;
}

/** A Node Socket's ref() or unref() over a stream's setRef(): it returns the stream. */
function refd<T extends { setRef(ref: boolean): void }>(stream: T, ref: boolean): T {
  stream.setRef(ref);
  return stream;
}

export class PipeReadable extends Readable {
  readonly #reader: PipeReader;
  /** Settles once the child's `spawn` (or `error`) was emitted: no data comes before it, as in Node. */
  #gate: Promise<unknown> | undefined;
  /** _read() came before the gate opened: the pull waits for it. */
  #deferred = false;
  /** A read started before the gate opened (readNow), for the first pull. */
  #early: Promise<Uint8Array | null> | undefined;
  /** The gate itself, kept after _read took it: readNow() holds the loop until it opens. */
  readonly #opened: Promise<unknown>;
  /** readNow()'s caller, told when a read finds the end. */
  #onEnd: (() => void) | undefined;

  /** What `close` waits for: the child's `exit`, when it is still to come (see _destroy). */
  readonly #beforeClose: (() => Promise<void> | undefined) | undefined;

  /** `first`: what to push first, a read exec's tap (output-tap.ts) had under way. */
  constructor(reader: PipeReader, gate: Promise<unknown>, beforeClose?: () => Promise<void> | undefined, first?: Promise<Uint8Array | null>) {
    super();
    this.#reader = reader;
    this.#gate = gate;
    this.#early = first;
    this.#opened = gate;
    this.#beforeClose = beforeClose;
    // This module drains it after the exit as Node does (#flushStdio), or
    // lends its fd to another child (kIsUsedAsStdio): not read out at the exit.
    reader.keepAtExit();
  }

  override _read(): void {
    const gate = this.#gate;
    if (!gate) return this.#pull();
    // The native read starts after the gate too: the spawn call itself
    // stays as short as it can be.
    this.#gate = undefined;
    this.#deferred = true;
    void gate.then(() => this.#pull());
  }

  #pull(): void {
    const next = this.#early ?? this.#reader.read();
    this.#early = undefined;
    this.#deferred = false;
    next.then(
      (chunk) => {
        if (chunk) return void this.push(asBuffer(chunk));
        this.#atEnd();
        this.push(null);
        // As a Node socket at EOF: `end` now if nothing is left unread, whether or not anyone reads.
        this.read(0);
      },
      (e: Error) => this.destroy(asNodeError(e) as Error),
    );
  }

  /** A read found the pipe's end: tell readNow()'s caller, unless this stream was destroyed (its close ends reads too). */
  #atEnd(): void {
    if (!this.destroyed) this.#onEnd?.();
  }

  /**
   * @internal unref() of the child: Node's socket reads, and so holds the
   * loop, from the start. Ours starts its read now, but delivers nothing
   * before the gate, which the unref'd child no longer holds the loop for:
   * a child that wrote and ended at once left a read already done and no
   * pending one, and the process exited without its data, `exit` and
   * `close`. So the loop is held until the gate opens (the status pipe
   * reports at the child's exec, soon); the reads hold it after that, and
   * `onEnd` is told when a read (this one, or one of the read-ahead after
   * it) finds the end: nothing reads this stream to its `end` event before
   * the exit, so that is when the child's exit is most likely on the way.
   * The early read's failure is the stream's `error` once it is read (at
   * the exit, if nobody does before), not an unhandled rejection now.
   */
  readNow(onEnd: () => void): void {
    if (!(this.#gate || this.#deferred) || this.#early || this.destroyed) return;
    this.#onEnd = onEnd;
    const early = (this.#early = this.#reader.read());
    early.then((chunk) => chunk || this.#atEnd(), noop);
    const hold = setTimeout(noop, 0x7fffffff);
    void this.#opened.then(() => clearTimeout(hold));
  }

  /**
   * `close` after the child's `exit` (exitCode set), in Node's order: a
   * child's EOF comes a moment before the kernel reports its exit, and
   * Node's socket closes a loop turn later, by when it has reaped it. A
   * child that lives on after closing its output is waited for a little only.
   */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#reader.close();
    const exit = this.readableEnded ? this.#beforeClose?.() : undefined; // at EOF, not destroyed early
    if (exit) void exit.then(() => cb(err));
    else cb(err);
  }

  /** @internal for ref()/unref() of the child */
  setRef(ref: boolean): void {
    this.#reader.setRef(ref);
  }

  /** @internal Another child reads this pipe as its stdio from lend(true) to lend(false): ours waits. */
  lend(on: boolean): void {
    this.#reader.lend(on);
  }

  /** As a Node Socket's: while reading, this stream keeps the event loop alive (the default). */
  ref(): this {
    return refd(this, true);
  }

  /** As a Node Socket's: a read under way no longer keeps the event loop alive. */
  unref(): this {
    return refd(this, false);
  }

  /** The pipe's fd while open (-1 after): passed as is when the stream is another child's stdio. */
  get fd(): number {
    return this.#reader.fd;
  }
}

export class PipeWritable extends Writable {
  readonly #writer: PipeWriter & { readonly fd?: number };
  /** Whether the child's program ran (its `spawn`), until known: a write before then waits for it to say. */
  #ran: Promise<boolean> | undefined;

  /** `closed`: made after the child's exit closed the pipe: destroyed already, and it emits no `close` to come. */
  constructor(writer: PipeWriter, ran: Promise<boolean>, closed = false) {
    super({ decodeStrings: false, emitClose: !closed });
    this.#writer = writer;
    this.#ran = ran;
    void ran.then((started) => started && (this.#ran = undefined));
    if (closed) this.destroy();
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const wrote = this.#writer.write(bytesOf(chunk, encoding));
    const ran = this.#ran;
    if (!ran) return void wrote.then(() => cb(), (e: Error) => cb(asNodeError(e) as Error));
    // Node knows at spawn() whether the program ran, and a write to the
    // stdin of one that did not fails (EPIPE). Ours went into a pipe the
    // child held until its exec failed: lost, and said so.
    Promise.all([wrote, ran]).then(([, started]) => cb(started ? undefined : errnoError(EPIPE, "write")), (e: Error) => cb(asNodeError(e) as Error));
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#writer.close();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#writer.close();
    cb(err);
  }

  setRef(ref: boolean): void {
    this.#writer.setRef(ref);
  }

  /** As a Node Socket's: a write waiting for room keeps the event loop alive (the default). */
  ref(): this {
    return refd(this, true);
  }

  /** As a Node Socket's: a write waiting for room no longer keeps the event loop alive. */
  unref(): this {
    return refd(this, false);
  }

  /** Node's stdin is a Socket: write-only, it says readable false. */
  get readable(): boolean {
    return false;
  }

  get fd(): number {
    return this.#writer.fd ?? -1;
  }
}

/** An extra pipe (stdio[3+] "pipe"): the child reads and writes the same fd, a socket. */
export class PipeDuplex extends Duplex {
  readonly #pipe: ExtraPipe;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;

  constructor(pipe: ExtraPipe) {
    super({ decodeStrings: false, allowHalfOpen: false });
    this.#pipe = pipe;
  }

  override _read(): void {
    (this.#reader ??= this.#pipe.readable.getReader()).read().then(
      (r) => this.push(r.done ? null : asBuffer(r.value)),
      (e: Error) => this.destroy(asNodeError(e) as Error),
    );
  }

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    (this.#writer ??= this.#pipe.writable.getWriter()).write(bytesOf(chunk, encoding)).then(() => cb(), (e: Error) => cb(asNodeError(e) as Error));
  }

  override _final(cb: (err?: Error | null) => void): void {
    (this.#writer ??= this.#pipe.writable.getWriter()).close().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    void this.#reader?.cancel().catch(() => {});
    // No writer yet: the second fd was never made (extra-pipes.ts), nothing to close.
    if (this.#writer) void this.#writer.abort().catch(() => {});
    if (!this.#reader) void this.#pipe.readable.cancel().catch(() => {});
    cb(err);
  }
}
