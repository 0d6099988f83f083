/**
 * stdin sources and stdout/stderr sinks of the runtime's own types — bytes,
 * Blobs, web streams, iterables, Node streams — recognised and checked
 * before anything is spawned; pump.ts moves their bytes. Node streams are
 * recognised by shape: importing node:stream here would load it on every
 * runtime for nothing (and Bun's and Deno's work the same way anyway).
 */
import { describe } from "./check.ts";
import { concat } from "./output.ts";
import type { NodeStreamLike, NodeWritableLike } from "./options.ts";

/** Where the bytes of a source come from, each read its own way by pump.ts. */
export type Source =
  | { kind: "bytes"; value: string | ArrayBufferView | ArrayBuffer }
  | { kind: "blob"; value: Blob }
  | { kind: "web"; value: ReadableStream }
  | { kind: "node"; value: NodeReadable }
  | { kind: "async"; value: AsyncIterable<unknown> }
  | { kind: "sync"; value: Iterable<unknown> };

export type Sink = { kind: "web"; value: WritableStream<Uint8Array> } | { kind: "node"; value: NodeWritable };

/** A child fd the library feeds or drains; `label` is the option the user wrote. */
export interface PumpSpec {
  fd: number;
  label: string;
  source?: Source;
  sink?: Sink;
}

/** What pump.ts uses of any Node stream. */
export interface NodeStream extends NodeStreamLike {
  readonly destroyed?: boolean;
  /** The error it was destroyed with (Node 18+, Bun, Deno): set at once, emitted a tick later. */
  readonly errored?: unknown;
}

export interface NodeReadable extends NodeStream {
  read(): unknown;
  pause?(): unknown;
  readonly readableEnded?: boolean;
}

export type NodeWritable = NodeStream & NodeWritableLike;

type Shape = Record<string | symbol, unknown>;
const encoder = new TextEncoder();

/** A chunk of a source as bytes: a view of its own memory, text as UTF-8. */
export function chunkBytes(chunk: unknown, label: string): Uint8Array {
  if (typeof chunk === "string") return encoder.encode(chunk);
  // Views of our own type: a Buffer goes to the native write as plain bytes.
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(`${label}: a chunk must be a string, an ArrayBufferView or an ArrayBuffer, got ${describe(chunk)}`);
}
const fn = (v: Shape, k: string | symbol) => typeof v[k] === "function";

function isNodeStream(v: Shape): boolean {
  return fn(v, "on") && fn(v, "off") && fn(v, "destroy") && fn(v, "pipe");
}

/** Transferred away (postMessage, structuredClone, transfer()): its bytes are gone. Node 20 has no `detached`. */
function detached(b: ArrayBufferLike): boolean {
  if (b.byteLength !== 0) return false;
  try {
    new Uint8Array(b);
    return false;
  } catch {
    return true;
  }
}

/** The source a stdin value (or `input`) names; undefined when it is none of them. */
export function sourceOf(v: unknown, label: string): Source | undefined {
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    if (detached(ArrayBuffer.isView(v) ? v.buffer : v)) {
      throw new TypeError(`${label}: the ArrayBuffer is detached (transferred away), its bytes are gone`);
    }
    return { kind: "bytes", value: v };
  }
  if (typeof v !== "object" || v === null) return undefined;
  if (typeof Blob === "function" && v instanceof Blob) return { kind: "blob", value: v };
  const o = v as Shape;
  if (fn(o, "getReader")) {
    if ((v as ReadableStream).locked) throw new TypeError(`${label}: the ReadableStream is locked (it is being read already)`);
    return { kind: "web", value: v as ReadableStream };
  }
  if (isNodeStream(o) && fn(o, "read")) {
    if (o.destroyed === true) throw new TypeError(`${label}: the Node stream was destroyed`);
    // A socket open for writing only (this process's stdout can be one).
    if (o.readable === false) throw new TypeError(`${label}: the Node stream is not readable (ended, or write-only)`);
    return { kind: "node", value: v as NodeReadable };
  }
  if (fn(o, Symbol.asyncIterator)) return { kind: "async", value: v as AsyncIterable<unknown> };
  if (fn(o, Symbol.iterator)) return { kind: "sync", value: v as Iterable<unknown> };
  return undefined;
}

/** The sink a stdout/stderr value names; undefined when it is none. */
export function sinkOf(v: unknown, label: string): Sink | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Shape;
  if (fn(o, "getWriter")) {
    if ((v as WritableStream).locked) throw new TypeError(`${label}: the WritableStream is locked (another writer has it)`);
    return { kind: "web", value: v as WritableStream<Uint8Array> };
  }
  if (isNodeStream(o) && fn(o, "write") && fn(o, "end")) {
    if (o.destroyed === true || o.writableEnded === true || o.writable === false) {
      const why = o.destroyed === true ? "was destroyed" : "is not writable (ended, or read-only)";
      throw new TypeError(`${label}: the Node stream ${why}`);
    }
    return { kind: "node", value: v as NodeWritable };
  }
  return undefined;
}

const SOURCES = "a Uint8Array (or other ArrayBufferView, ArrayBuffer), a Blob, a ReadableStream, a Node Readable or an iterable of chunks";

/** What a stdio value may be, for the TypeError when it is none of it. */
export function expected(fd: number, label: string, v: unknown): string {
  const words = `"pipe", "inherit", "ignore"`;
  const what = fd === 0
    ? `${words}, an fd number, { file }, another child's stdout, ${SOURCES}`
    : fd <= 2
    ? `${words}, "${fd === 1 ? "stderr" : "stdout"}", an fd number, { file }, a WritableStream or a Node Writable`
    : `${words}, null, an fd number, { file } or { child: n }`;
  // A string is a word here, never input: a typo must not become the child's stdin.
  const hint = fd === 0 && typeof v === "string" && label !== "input" ? " (text for the child's stdin goes in `input`)" : "";
  return `${label} must be ${what}, got ${describe(v)}${hint}`;
}

/**
 * The bytes of a source read without an event loop (runSync): bytes, or
 * an iterable of chunks taken now; the rest is a TypeError naming `label`.
 */
export function syncSourceBytes(s: Source, label: string): Uint8Array {
  if (s.kind === "bytes") return chunkBytes(s.value, label);
  if (s.kind !== "sync") {
    const what = { blob: "a Blob", web: "a ReadableStream", node: "a Node stream", async: "an async iterable" }[s.kind];
    throw new TypeError(`${label}: ${what} is read through the event loop; runSync() takes a string, bytes or an iterable of chunks (or use run())`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const c of s.value) {
    const bytes = chunkBytes(c, label);
    chunks.push(bytes);
    size += bytes.length;
  }
  return concat(chunks, size);
}

/** `input`: text or any stdin source. */
export function inputSource(v: unknown): Source {
  if (typeof v === "string") return { kind: "bytes", value: v };
  const s = sourceOf(v, "input");
  if (!s) throw new TypeError(`input must be a string, ${SOURCES}, got ${describe(v)}`);
  return s;
}
