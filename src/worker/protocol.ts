/**
 * The frames of a worker's channel (a stream socket), version 2.
 *
 *   offset  size
 *   0       u32   size: the bytes after this field (12 + body), little-endian
 *   4       u8    VERSION
 *   5       u8    kind (Kind)
 *   6       u16   0 (reserved)
 *   8       u32   id: the call a CALL, RESULT or ERROR belongs to; 0 otherwise
 *   12      u32   aux: FD: the number of fds it announces (1-253)
 *   16      body
 *
 * A body that carries a value (HELLO, CALL, RESULT, ERROR, MESSAGE):
 *   u32 json bytes, the JSON (UTF-8), u32 n, n × u32 attachment sizes,
 *   then the attachments' bytes (codec.ts).
 *
 * The child sends HELLO (its exports' names) once its module is loaded, or
 * FAIL (an Error) when it could not be; then the parent sends CALLs (body:
 * [name, args]) and the child answers each with RESULT or ERROR of the same
 * id. MESSAGE and FD go either way at any time. After HELLO the parent sends
 * one WARM (a value like a call's), which the child sends back as it came:
 * the path of a call is compiled in both processes before the first call
 * (a warm pool's first call would otherwise pay it). A frame with an unknown
 * version or kind, a size over the limit, or a body that does not decode is
 * a ProtocolError: the receiver gives up on the channel. The limit is the
 * parent's `maxFrameSize`, the same both ways: the child is told it in
 * MAX_FRAME_ENV. A sender checks a frame against it before writing
 * anything: a value too large is that frame's error (a call's, a reply's),
 * never the channel's.
 *
 * fds travel on a second socket (the side socket: the child's fd is named
 * in its argv), each batch as one message of one byte with the fds
 * attached (SCM_RIGHTS), sent before the FD frame that announces them on
 * the channel; the receiver of the frame reads that one message. So the
 * channel itself carries bytes only, and may be read by the runtime's own
 * loop, whose reads drop fds (version 1 sent them on the channel: every
 * read had to be a recvmsg). fds that come on the channel anyway are
 * closed; fewer or more than announced are a ProtocolError (and closed).
 */
import { CodecError, decode, encode } from "./codec.ts";
import { shortAscii } from "../api/text.ts";

export const VERSION = 2;
export const HEADER = 16;
/** Larger frames are refused (a 64 MiB payload fits with room to spare). */
export const DEFAULT_MAX_FRAME = 256 * 2 ** 20;
/** The largest limit: the size field's (u32, counting the 4 bytes of that field). */
export const MAX_FRAME_LIMIT = 2 ** 32;
/** The variable that tells the host the parent's maxFrameSize (the host removes it from its environment). */
export const MAX_FRAME_ENV = "ASPAWN_WORKER_MAX_FRAME";

export const Kind = {
  HELLO: 1,
  FAIL: 2,
  CALL: 3,
  RESULT: 4,
  ERROR: 5,
  MESSAGE: 6,
  FD: 7,
  WARM: 8,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];
const KINDS = new Set<number>(Object.values(Kind));

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON up to this many UTF-16 units is encoded through `scratch` (at most 3 bytes each), not a buffer of its own. */
const DIRECT_JSON = 4096;
const scratch = new Uint8Array(3 * DIRECT_JSON);

function le32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/**
 * A frame as the parts to write in order (attachments are not copied). A
 * frame over `max` bytes is a CodecError, found before its bytes are made
 * where the value's size tells (the attachments, the JSON's length).
 */
export function frame(kind: KindCode, id: number, value?: unknown, aux = 0, max = MAX_FRAME_LIMIT): Uint8Array[] {
  const hasValue = kind !== Kind.FD;
  const { json, attachments } = hasValue ? encode(value) : { json: "", attachments: [] };
  let fixed = HEADER + (hasValue ? 8 + 4 * attachments.length : 0);
  for (const a of attachments) fixed += a.length;
  const direct = json.length <= DIRECT_JSON;
  // Large JSON is not encoded to be refused: it is at least one UTF-8 byte per UTF-16 unit.
  if (!direct && fixed + json.length > max) throw tooLarge(fixed + json.length, max, true);
  // Small JSON (most frames) is encoded into scratch: one allocation per frame, the frame's own.
  const jsonBytes = direct ? scratch.subarray(0, utf8.encodeInto(json, scratch).written) : utf8.encode(json);
  if (fixed + jsonBytes.length > max) throw tooLarge(fixed + jsonBytes.length, max, false);
  const head = HEADER + (hasValue ? 8 + jsonBytes.length + 4 * attachments.length : 0);
  const first = new Uint8Array(head);
  le32(first, 0, fixed + jsonBytes.length - 4);
  first[4] = VERSION;
  first[5] = kind;
  le32(first, 8, id);
  le32(first, 12, aux);
  if (hasValue) {
    le32(first, 16, jsonBytes.length);
    first.set(jsonBytes, 20);
    let at = 20 + jsonBytes.length;
    le32(first, at, attachments.length);
    for (const a of attachments) le32(first, (at += 4), a.length);
  }
  if (attachments.length === 0) return [first];
  return [first, ...attachments.filter((a) => a.length > 0)];
}

function tooLarge(size: number, max: number, atLeast: boolean): CodecError {
  return new CodecError(`cannot send a frame of ${atLeast ? "at least " : ""}${size} bytes: it exceeds maxFrameSize (${max} bytes)`);
}

/** The value a whole frame body carries (tests; frames from FrameParser come split already). */
export function bodyValue(body: Uint8Array): unknown {
  const b = new BodyReader(body.length);
  let at = 0;
  while (at < body.length) {
    const t = b.target()!;
    const n = Math.min(t.length, body.length - at);
    t.set(body.subarray(at, at + n));
    at += n;
    b.filled(n);
  }
  if (!b.done) throw new ProtocolError("frame body truncated");
  return frameValue(b);
}

/** The value a frame carries. */
export function frameValue(f: { json: Uint8Array; attachments: Uint8Array[] }): unknown {
  try {
    return decode(shortAscii(f.json) ?? fromUtf8.decode(f.json), f.attachments);
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError(e instanceof CodecError ? e.message : `bad frame body: ${(e as Error).message}`);
  }
}

const VALUE_KINDS = new Set<number>([Kind.HELLO, Kind.FAIL, Kind.CALL, Kind.RESULT, Kind.ERROR, Kind.MESSAGE, Kind.WARM]);

/**
 * Reads one frame body of a known size, in the order it comes: the JSON
 * length, the JSON and the attachment count, the sizes, then each
 * attachment straight into a buffer of its own (the decoded value keeps
 * it: a 64 MiB payload is copied once, from the socket, never again).
 * target() is where the next bytes go; filled(n) says n of them came.
 */
class BodyReader {
  readonly json: Uint8Array = new Uint8Array(0);
  readonly attachments: Uint8Array[] = [];
  #left: number;
  #stage = 0;
  #buf: Uint8Array;
  #have = 0;
  #sizes: number[] = [];
  #next = 0;

  constructor(size: number, hasValue = true) {
    this.#left = size;
    // A body without a value (FD): its bytes, whatever they are, are skipped.
    this.#stage = hasValue ? 0 : 4;
    if (hasValue && size < 4) throw new ProtocolError("frame body truncated");
    this.#buf = new Uint8Array(hasValue ? 4 : size);
    this.#check();
  }

  get done(): boolean {
    return this.#stage === 5;
  }

  target(): Uint8Array | undefined {
    return this.done ? undefined : this.#buf.subarray(this.#have);
  }

  filled(n: number): void {
    this.#have += n;
    this.#left -= n;
    if (this.#have === this.#buf.length) this.#advance();
  }

  #take(n: number, what = "frame body truncated"): Uint8Array {
    if (n > this.#left) throw new ProtocolError(what);
    this.#have = 0;
    return (this.#buf = new Uint8Array(n));
  }

  #advance(): void {
    const view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    switch (this.#stage) {
      case 0: // the JSON's length: then the JSON and the attachment count
        this.#stage = 1;
        this.#take(view.getUint32(0, true) + 4);
        break;
      case 1: {
        (this as { json: Uint8Array }).json = this.#buf.subarray(0, this.#buf.length - 4);
        const n = view.getUint32(this.#buf.length - 4, true);
        this.#stage = 2;
        this.#take(4 * n);
        break;
      }
      case 2: {
        for (let i = 0; i < this.#buf.length; i += 4) this.#sizes.push(view.getUint32(i, true));
        let sum = 0;
        for (const s of this.#sizes) sum += s;
        if (sum > this.#left) throw new ProtocolError("frame body truncated");
        if (sum < this.#left) throw new ProtocolError("frame body has trailing bytes");
        this.#stage = 3;
        this.#nextAttachment();
        return;
      }
      case 3:
        this.attachments.push(this.#buf);
        this.#nextAttachment();
        return;
      case 4:
        this.#stage = 5;
        return;
    }
    this.#check();
  }

  #nextAttachment(): void {
    while (this.#next < this.#sizes.length && this.#sizes[this.#next] === 0) {
      this.attachments.push(new Uint8Array(0));
      this.#next++;
    }
    if (this.#next === this.#sizes.length) {
      this.#stage = 5;
      return;
    }
    this.#take(this.#sizes[this.#next++]!);
  }

  /** A stage with nothing to read completes at once. */
  #check(): void {
    if (this.#stage !== 5 && this.#buf.length === 0 && this.#have === 0) this.#advance();
  }
}

export interface Frame {
  kind: KindCode;
  id: number;
  aux: number;
  /** The JSON text of the value (empty for FD). */
  json: Uint8Array;
  /** The value's byte attachments, each in a buffer of its own. */
  attachments: Uint8Array[];
}

const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/**
 * The frame at `at` when all of it is in `chunk` and it is what most frames
 * are, a value without attachments: read in place, with the checks
 * BodyReader would make (a frame they fail is left to it, to name the fault).
 */
function wholeFrame(c: Uint8Array, at: number, max: number): Frame | undefined {
  const left = c.length - at;
  if (left < HEADER + 8) return undefined;
  const size = u32(c, at), kind = c[at + 5]!;
  if (size + 4 > left || size + 4 > max || c[at + 4] !== VERSION || !VALUE_KINDS.has(kind) || c[at + 6] || c[at + 7]) return undefined;
  const json = u32(c, at + 16);
  // Exactly the JSON and an attachment count of 0: nothing more, nothing less.
  if (size + 4 !== HEADER + 8 + json || u32(c, at + 20 + json) !== 0) return undefined;
  return { kind: kind as KindCode, id: u32(c, at + 8), aux: u32(c, at + 12), json: c.slice(at + 20, at + 20 + json), attachments: [] };
}

/**
 * Cuts a byte stream into frames. push() takes bytes as they arrive and
 * returns the frames completed; a frame's buffers are allocated as its
 * parts announce them (never more than the header's size, itself at most
 * maxFrame). A reader may also fill target() directly (a large attachment
 * then goes from the socket to its buffer with no copy) and call filled().
 */
export class FrameParser {
  readonly #max: number;
  #head = new Uint8Array(HEADER);
  #headLen = 0;
  #body: BodyReader | undefined;
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

  /** Where the next bytes of the stream go when at least `min` of them can (a large attachment), else undefined. */
  target(min: number): Uint8Array | undefined {
    const t = this.#body?.target();
    return t && t.length >= min ? t : undefined;
  }

  /** `n` bytes were written to target(): the frames that completes (one at most). */
  filled(n: number): Frame[] {
    this.#body!.filled(n);
    return this.#body!.done ? [this.#finish()] : [];
  }

  push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      const whole = this.#headLen === 0 ? wholeFrame(chunk, at, this.#max) : undefined;
      if (whole) {
        out.push(whole);
        at += HEADER + 8 + whole.json.length;
        continue;
      }
      if (this.#headLen < HEADER) {
        const n = Math.min(HEADER - this.#headLen, chunk.length - at);
        this.#head.set(chunk.subarray(at, at + n), this.#headLen);
        this.#headLen += n;
        at += n;
        if (this.#headLen < HEADER) break;
        this.#start();
        if (this.#body!.done) {
          out.push(this.#finish());
          continue;
        }
      }
      const body = this.#body!;
      const t = body.target()!;
      const n = Math.min(t.length, chunk.length - at);
      t.set(chunk.subarray(at, at + n));
      at += n;
      body.filled(n);
      if (body.done) out.push(this.#finish());
    }
    return out;
  }

  #finish(): Frame {
    const b = this.#body!;
    this.#headLen = 0;
    this.#body = undefined;
    return { kind: this.#kind, id: this.#id, aux: this.#aux, json: b.json, attachments: b.attachments };
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
    this.#body = new BodyReader(size + 4 - HEADER, VALUE_KINDS.has(kind));
  }
}
