/**
 * The frames of a worker's channel (a stream socket), version 1.
 *
 *   offset  size
 *   0       u32   size: the bytes after this field (12 + body), little-endian
 *   4       u8    VERSION
 *   5       u8    kind (Kind)
 *   6       u16   0 (reserved)
 *   8       u32   id: the call a CALL, RESULT or ERROR belongs to; 0 otherwise
 *   12      u32   aux: FD: the number of fds that came with this frame's first byte
 *   16      body
 *
 * A body that carries a value (HELLO, CALL, RESULT, ERROR, MESSAGE):
 *   u32 json bytes, the JSON (UTF-8), u32 n, n × u32 attachment sizes,
 *   then the attachments' bytes (codec.ts).
 *
 * The child sends HELLO (its exports' names) once its module is loaded, or
 * FAIL (an Error) when it could not be; then the parent sends CALLs (body:
 * [name, args]) and the child answers each with RESULT or ERROR of the same
 * id. MESSAGE and FD go either way at any time. A frame with an unknown
 * version or kind, a size over the limit, or a body that does not decode is
 * a ProtocolError: the receiver gives up on the channel.
 */
import { CodecError, decode, encode } from "./codec.ts";

export const VERSION = 1;
export const HEADER = 16;
/** Larger frames are refused (a 64 MiB payload fits with room to spare). */
export const DEFAULT_MAX_FRAME = 256 * 2 ** 20;

export const Kind = {
  HELLO: 1,
  FAIL: 2,
  CALL: 3,
  RESULT: 4,
  ERROR: 5,
  MESSAGE: 6,
  FD: 7,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];
const KINDS = new Set<number>(Object.values(Kind));

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export interface Frame {
  kind: KindCode;
  id: number;
  aux: number;
  body: Uint8Array;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A frame as the parts to write in order (attachments are not copied). */
export function frame(kind: KindCode, id: number, value?: unknown, aux = 0): Uint8Array[] {
  const hasValue = kind !== Kind.FD;
  const { json, attachments } = hasValue ? encode(value) : { json: "", attachments: [] };
  const jsonBytes = utf8.encode(json);
  const head = HEADER + (hasValue ? 8 + jsonBytes.length + 4 * attachments.length : 0);
  let size = head - 4;
  for (const a of attachments) size += a.length;
  if (size > 0xffffffff - 4) throw new CodecError("value too large to send");
  const first = new Uint8Array(head);
  const view = new DataView(first.buffer);
  view.setUint32(0, size, true);
  first[4] = VERSION;
  first[5] = kind;
  view.setUint32(8, id, true);
  view.setUint32(12, aux, true);
  if (hasValue) {
    view.setUint32(16, jsonBytes.length, true);
    first.set(jsonBytes, 20);
    let at = 20 + jsonBytes.length;
    view.setUint32(at, attachments.length, true);
    for (const a of attachments) view.setUint32((at += 4), a.length, true);
  }
  return [first, ...attachments.filter((a) => a.length > 0)];
}

/** The value a frame's body carries. */
export function bodyValue(body: Uint8Array): unknown {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const need = (n: number, at: number) => {
    if (at + n > body.length) throw new ProtocolError("frame body truncated");
  };
  try {
    need(4, 0);
    const jsonLen = view.getUint32(0, true);
    need(jsonLen + 4, 4);
    const json = fromUtf8.decode(body.subarray(4, 4 + jsonLen));
    let at = 4 + jsonLen;
    const n = view.getUint32(at, true);
    at += 4;
    need(4 * n, at);
    const sizes: number[] = [];
    for (let i = 0; i < n; i++) sizes.push(view.getUint32(at + 4 * i, true));
    at += 4 * n;
    const attachments: Uint8Array[] = [];
    for (const s of sizes) {
      need(s, at);
      attachments.push(body.subarray(at, at + s));
      at += s;
    }
    if (at !== body.length) throw new ProtocolError("frame body has trailing bytes");
    return decode(json, attachments);
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError(e instanceof CodecError ? e.message : `bad frame body: ${(e as Error).message}`);
  }
}

/**
 * Cuts a byte stream into frames. push() takes bytes as they arrive and
 * returns the frames completed; a frame's buffer is allocated once its
 * header is in (so at most maxFrame bytes per frame, whatever a header says).
 */
export class FrameParser {
  readonly #max: number;
  #head = new Uint8Array(HEADER);
  #headLen = 0;
  #body: Uint8Array | undefined;
  #bodyLen = 0;
  #kind: KindCode = Kind.HELLO;
  #id = 0;
  #aux = 0;

  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.#max = maxFrame;
  }

  /** Mid-frame: EOF now means a truncated frame. */
  get partial(): boolean {
    return this.#headLen > 0;
  }

  push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#headLen < HEADER) {
        const n = Math.min(HEADER - this.#headLen, chunk.length - at);
        this.#head.set(chunk.subarray(at, at + n), this.#headLen);
        this.#headLen += n;
        at += n;
        if (this.#headLen < HEADER) break;
        this.#start();
      }
      const body = this.#body!;
      const n = Math.min(body.length - this.#bodyLen, chunk.length - at);
      body.set(chunk.subarray(at, at + n), this.#bodyLen);
      this.#bodyLen += n;
      at += n;
      if (this.#bodyLen === body.length) {
        out.push({ kind: this.#kind, id: this.#id, aux: this.#aux, body });
        this.#headLen = 0;
        this.#body = undefined;
        this.#bodyLen = 0;
      }
    }
    return out;
  }

  #start(): void {
    const view = new DataView(this.#head.buffer);
    const size = view.getUint32(0, true);
    const version = this.#head[4]!, kind = this.#head[5]!;
    if (version !== VERSION) throw new ProtocolError(`frame of protocol version ${version}, expected ${VERSION}`);
    if (!KINDS.has(kind)) throw new ProtocolError(`frame of unknown kind ${kind}`);
    if (view.getUint16(6, true) !== 0) throw new ProtocolError("frame with reserved bits set");
    if (size < HEADER - 4) throw new ProtocolError(`frame of ${size} bytes is shorter than its header`);
    if (size + 4 > this.#max) throw new ProtocolError(`frame of ${size + 4} bytes exceeds the limit of ${this.#max}`);
    this.#kind = kind as KindCode;
    this.#id = view.getUint32(8, true);
    this.#aux = view.getUint32(12, true);
    this.#body = new Uint8Array(size + 4 - HEADER);
  }
}
