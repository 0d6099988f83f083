/**
 * A WebSocket client by hand over node:net, for what a browser will not
 * send: a foreign Origin, fragments split where we choose, garbage. The
 * handshake uses RFC 6455's sample key (its answer is known); our frames are
 * masked, as a client's must be.
 */
import net from "node:net";
import { randomBytes } from "node:crypto";
import { sleep } from "./wait.ts";

export const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
export const TEXT = 0x1, CLOSE = 0x8, PING = 0x9, PONG = 0xa, CONTINUATION = 0x0;

export interface Frame {
  opcode: number;
  payload: Buffer;
}

export class HandSocket {
  /** The status line and headers of the answer. */
  head = "";
  readonly frames: Frame[] = [];
  /** The socket was closed by the server (or failed). */
  ended = false;
  #pending = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket) {}

  /** Connects and sends the upgrade request; resolves with the answer's head read. */
  static connect(port: number, origin: string, path = "/pty"): Promise<HandSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      const h = new HandSocket(s);
      s.on("data", (d: Buffer) => h.#data(d, resolve));
      s.on("close", () => ((h.ended = true), resolve(h)));
      s.on("error", reject);
    });
  }

  #data(d: Buffer, headRead: (h: HandSocket) => void): void {
    this.#pending = Buffer.concat([this.#pending, d]);
    if (!this.head) {
      const end = this.#pending.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.head = this.#pending.subarray(0, end).toString("latin1");
      this.#pending = this.#pending.subarray(end + 4);
      headRead(this);
    }
    for (;;) { // the server's frames are not masked
      const p = this.#pending;
      if (p.length < 2) return;
      let len = p[1]! & 0x7f, at = 2;
      if (len === 126) len = p.length < 4 ? Infinity : p.readUInt16BE(2), at = 4;
      else if (len === 127) len = p.length < 10 ? Infinity : Number(p.readBigUInt64BE(2)), at = 10;
      if (p.length < at + len) return;
      this.frames.push({ opcode: p[0]! & 0x0f, payload: p.subarray(at, at + len) });
      this.#pending = p.subarray(at + len);
    }
  }

  /** One masked frame. */
  send(opcode: number, payload: string | Buffer, fin = true): void {
    const data = Buffer.from(payload);
    const mask = randomBytes(4);
    const len = data.length < 126 ? Buffer.from([0x80 | data.length])
      : Buffer.from([0x80 | 126, data.length >> 8, data.length & 0xff]);
    for (let i = 0; i < data.length; i++) data[i]! ^= mask[i & 3]!;
    this.socket.write(Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), len, mask, data]));
  }

  /** What the binary and text frames carried, as text. */
  text(): string {
    return Buffer.concat(this.frames.filter((f) => f.opcode <= 2).map((f) => f.payload)).toString("utf8");
  }

  /** Until `cond` holds, or throws saying what was received. */
  async until(cond: () => boolean, what: string, ms = 60000): Promise<void> {
    for (const deadline = performance.now() + ms; !cond(); await sleep(20)) {
      if (performance.now() > deadline) throw new Error(`${what}: not after ${ms} ms; received ${JSON.stringify(this.text())}`);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
