/**
 * The server side of RFC 6455 over node:http's "upgrade" event, for Node,
 * which has no WebSocket server of its own (Bun and Deno do). Only what a
 * terminal needs: the handshake, text and binary messages (fragmented or
 * not), ping, close. Frames from the browser are masked (the RFC requires
 * it); ours are not.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9;
/** Keystrokes and resizes are small: a larger message is refused (close 1009), not buffered. */
const MAX_MESSAGE = 1 << 20;

export interface NodeWebSocket {
  /** Sends a binary message; resolves once the kernel took it (backpressure). */
  send(bytes: Uint8Array): Promise<void> | void;
  close(): void;
}

export interface Handlers {
  message(text: string): void;
  /** Once, however the connection ends. */
  closed(): void;
}

function frame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n])
    : n < 0x10000 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
    : Buffer.concat([Buffer.from([0x80 | opcode, 127]), u64(n)]);
  return Buffer.concat([head, payload]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Completes the handshake on `socket` and calls `on` for each message. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, on: Handlers): NodeWebSocket {
  const key = String(req.headers["sec-websocket-key"] ?? "");
  const accept = createHash("sha1").update(key + GUID).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);

  let pending: Buffer = Buffer.alloc(0);
  let message: Buffer[] = [];
  let size = 0;
  let ended = false;
  const end = (code?: number) => {
    if (ended) return;
    ended = true;
    if (code !== undefined) socket.end(frame(CLOSE, Buffer.from([code >> 8, code & 0xff])));
    else socket.end();
    on.closed();
  };

  // One frame from the front of `pending`, or false until more bytes come.
  const next = (): boolean => {
    if (pending.length < 2) return false;
    const opcode = pending[0]! & 0x0f, fin = pending[0]! & 0x80, masked = pending[1]! & 0x80;
    let len = pending[1]! & 0x7f, at = 2;
    if (len === 126) {
      if (pending.length < 4) return false;
      len = pending.readUInt16BE(2), at = 4;
    } else if (len === 127) {
      if (pending.length < 10) return false;
      const big = pending.readBigUInt64BE(2);
      len = big > BigInt(MAX_MESSAGE) ? MAX_MESSAGE + 1 : Number(big), at = 10;
    }
    if (!masked) return end(1002), false; // a client must mask
    if (size + len > MAX_MESSAGE) return end(1009), false;
    if (pending.length < at + 4 + len) return false;
    const mask = pending.subarray(at, at + 4);
    const payload = Buffer.from(pending.subarray(at + 4, at + 4 + len));
    for (let i = 0; i < len; i++) payload[i]! ^= mask[i & 3]!;
    pending = pending.subarray(at + 4 + len);
    if (opcode === CLOSE) return end(payload.length >= 2 ? payload.readUInt16BE(0) : 1000), false;
    if (opcode === PING) socket.write(frame(0xa, payload));
    else if (opcode === TEXT || opcode === BINARY || opcode === 0) { // 0: a continuation
      message.push(payload), size += len;
      if (fin) {
        const text = Buffer.concat(message).toString("utf8");
        message = [], size = 0;
        on.message(text);
      }
    } // else a pong, or an opcode we do not know: ignored
    return !ended;
  };

  socket.on("data", (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (next());
  });
  socket.on("error", () => end());
  socket.on("close", () => end());

  return {
    send(bytes) {
      if (ended || socket.write(frame(BINARY, bytes))) return;
      return new Promise<void>((resolve) => {
        const done = () => (socket.off("drain", done), socket.off("close", done), resolve());
        socket.on("drain", done).on("close", done);
      });
    },
    close: () => end(1000),
  };
}
