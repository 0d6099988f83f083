/**
 * The two message encodings of Node's IPC channel, each with the framing
 * that splits the socket's bytes into messages (a Parser for Connection).
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { runtime } from "../ffi/runtime.ts";
import type { Parser } from "../worker/connection.ts";
import { Kind, type Frame } from "../worker/protocol.ts";

export interface Codec {
  encode(message: unknown): Uint8Array;
  decode(body: Uint8Array): unknown;
  parser(): Parser;
}

/** A message's bytes as a Connection frame: its "JSON" part, whatever the encoding. */
const frameOf = (body: Uint8Array): Frame => ({ kind: Kind.MESSAGE, id: 0, aux: 0, json: body, attachments: [] });
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Newline-delimited: a line may arrive in pieces, and a read may hold several. */
class LineParser implements Parser {
  #parts: Uint8Array[] = [];

  get partial(): boolean {
    return this.#parts.length > 0;
  }

  *push(chunk: Uint8Array): Iterable<Frame> {
    let at = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, at)) {
      const piece = chunk.subarray(at, nl);
      at = nl + 1;
      if (this.#parts.length) {
        this.#parts.push(piece);
        const line = Buffer.concat(this.#parts);
        this.#parts = [];
        yield frameOf(line);
      } else yield frameOf(piece.slice());
    }
    if (at < chunk.length) this.#parts.push(chunk.slice(at));
  }
}

const json: Codec = {
  encode: (message) => utf8.encode(`${JSON.stringify(message)}\n`),
  decode: (body) => JSON.parse(fromUtf8.decode(body)),
  parser: () => new LineParser(),
};

/** u32 big-endian size, then that many bytes. */
class SizedParser implements Parser {
  #buf = new Uint8Array(0);

  get partial(): boolean {
    return this.#buf.length > 0;
  }

  *push(chunk: Uint8Array): Iterable<Frame> {
    let buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    while (buf.length >= 4) {
      const size = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
      if (buf.length < 4 + size) break;
      yield frameOf(buf.slice(4, 4 + size));
      buf = buf.subarray(4 + size);
    }
    this.#buf = buf.slice();
  }
}

/** Node tags each host object: an ArrayBufferView (0) or another object, sent as a plain copy (1). */
const VIEW = 0, OTHER = 1;

type V8 = typeof import("node:v8");
let v8: V8 | undefined;

function advanced(): Codec {
  // Bun's node:v8 writes JavaScriptCore's format, and Deno's V8 a newer
  // wire version than Node's V8 reads: only a Node parent speaks it to a Node child.
  if (runtime !== "node") {
    throw new TypeError(`serialization: "advanced" needs node:v8's serializer as Node has it, and this is ${runtime}; use "json"`);
  }
  v8 ??= createRequire(import.meta.url)("node:v8") as V8;
  const { DefaultSerializer, DefaultDeserializer } = v8;
  class Serializer extends DefaultSerializer {
    _writeHostObject(object: object): void {
      if (ArrayBuffer.isView(object)) {
        this.writeUint32(VIEW);
        // deno-lint-ignore no-explicit-any
        return (DefaultSerializer.prototype as any)._writeHostObject.call(this, object);
      }
      this.writeUint32(OTHER);
      this.writeValue({ ...object });
    }
  }
  class Deserializer extends DefaultDeserializer {
    _readHostObject(): unknown {
      const tag = this.readUint32();
      // deno-lint-ignore no-explicit-any
      if (tag === VIEW) return (DefaultDeserializer.prototype as any)._readHostObject.call(this);
      return this.readValue();
    }
  }
  return {
    encode(message) {
      const s = new Serializer();
      s.writeRawBytes(Buffer.alloc(4)); // the size, filled in below
      s.writeHeader();
      s.writeValue(message);
      const out = s.releaseBuffer();
      out.writeUInt32BE(out.length - 4, 0);
      return out;
    },
    decode(body) {
      const d = new Deserializer(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      d.readHeader();
      return d.readValue();
    },
    parser: () => new SizedParser(),
  };
}

export function codecFor(serialization: string): Codec {
  return serialization === "advanced" ? advanced() : json;
}
