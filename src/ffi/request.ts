/**
 * Encodes spawn requests in the format of lib/c/include/aspawn.h (its
 * numbers: abi.ts). It is the C contract, not API: src/api/steps.ts decides
 * what goes in, in which order. One writer
 * is reused for every spawn of this JS context: after warm-up a spawn
 * allocates nothing here (the C side copies the bytes before returning).
 * A buffer grown past 1 MiB by a large request is given up after a while
 * (see src/api/plan.ts).
 */
import { Abi, Fdmap, Op, Req, ReqHeader } from "./abi.ts";

const encoder = new TextEncoder();
const INITIAL_SIZE = 4096;
/** Larger than any ordinary request (a few KiB of environment and arguments). */
const SHRINK_ABOVE = 1 << 20;
/** Strings up to this long are copied by #ascii when they are ASCII. */
const ASCII_LOOP_MAX = 256;

/** Strings in the request's encoding, to be appended later with rawStrings(). */
export function encodeStrings(strings: readonly string[]): Uint8Array {
  const w = new RequestWriter();
  w.begin("", false);
  for (const s of strings) w.env(s);
  const all = w.end();
  return all.slice(ReqHeader.SIZE + 8); // drop the header and the empty file name
}

export class RequestWriter {
  #buf = new Uint8Array(INITIAL_SIZE);
  #view = new DataView(this.#buf.buffer);
  #len = 0;
  #argc = 0;
  #envc = 0;
  #nsteps = 0;
  #stepsOffset = 0;
  #flags = 0;

  /**
   * Back to a small buffer when a large request grew it: the bytes of the
   * last one stay valid in the view end() returned.
   */
  shrink(): void {
    if (this.#buf.length <= SHRINK_ABOVE) return;
    this.#buf = new Uint8Array(INITIAL_SIZE);
    this.#view = new DataView(this.#buf.buffer);
    this.#len = 0;
  }

  /** Grown past what ordinary requests need (see shrink()). */
  get large(): boolean {
    return this.#buf.length > SHRINK_ABOVE;
  }

  /** The request written needed a grown buffer. */
  get largeRequest(): boolean {
    return this.#len > SHRINK_ABOVE / 2;
  }

  /** Bytes of the request being (or last) written. */
  get size(): number {
    return this.#len;
  }

  /** Bytes the buffer holds. */
  get capacity(): number {
    return this.#buf.length;
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  #u32(v: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.#len, v >>> 0, true);
    this.#len += 4;
  }

  #i32(v: number): void {
    this.#ensure(4);
    this.#view.setInt32(this.#len, v | 0, true);
    this.#len += 4;
  }

  /** u32 length, UTF-8 bytes, NUL, zero padding to 4. */
  #string(s: string): void {
    this.#ensure(4 + s.length * 3 + 4);
    this.#close(this.#len, this.#text(s, this.#len + 4));
  }

  /** `s` as UTF-8 at `at` (room made by the caller): its length. */
  #text(s: string, at: number): number {
    return (s.length <= ASCII_LOOP_MAX && this.#ascii(s, at)) || encoder.encodeInto(s, this.#buf.subarray(at)).written;
  }

  /** The string of `written` bytes at `at` + 4: its length before it, a NUL after, padded to 4. */
  #close(at: number, written: number): void {
    this.#view.setUint32(at, written, true);
    const end = at + 4 + written;
    const padded = (end + 1 + 3) & ~3;
    this.#buf.fill(0, end, padded);
    this.#len = padded;
  }

  /**
   * A short ASCII string copied by hand: the encoder is a call into the
   * runtime and a view per string, which cost more than the copy for
   * the short strings most requests hold (cold, between spawns: ~3 us a
   * string). 0 (nothing written) for an empty or a non-ASCII string.
   */
  #ascii(s: string, at: number): number {
    const buf = this.#buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return 0;
      buf[at + i] = c;
    }
    return s.length;
  }

  /** `shFallback`: a script without "#!" runs under /bin/sh (Req.SH_FALLBACK). */
  begin(file: string, searchPath: boolean, shFallback = false): this {
    this.#len = ReqHeader.SIZE;
    this.#argc = this.#envc = this.#nsteps = this.#stepsOffset = 0;
    this.#flags = (searchPath ? Req.SEARCH_PATH : 0) | (shFallback ? Req.SH_FALLBACK : 0);
    this.#string(file);
    return this;
  }

  /** Start from this process's environment (env strings then set or, without "=", remove). */
  setInheritEnv(on: boolean): this {
    this.#flags = on ? this.#flags | Req.INHERIT_ENV : this.#flags & ~Req.INHERIT_ENV;
    return this;
  }

  arg(s: string): this {
    this.#string(s);
    this.#argc++;
    return this;
  }

  env(s: string): this {
    this.#string(s);
    this.#envc++;
    return this;
  }

  /** An env string `name=value`, written without making it (a 1 KiB value made a 1 KiB string per variable per spawn). */
  envPair(name: string, value: string): this {
    this.#ensure(4 + (name.length + 1 + value.length) * 3 + 4);
    const at = this.#len;
    let n = this.#text(name, at + 4);
    this.#buf[at + 4 + n++] = 0x3d; // "="
    n += this.#text(value, at + 4 + n);
    this.#close(at, n);
    this.#envc++;
    return this;
  }

  /** Append pre-encoded env strings (see encodeStrings). */
  rawStrings(bytes: Uint8Array, count: number): this {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    this.#envc += count;
    return this;
  }

  #step(op: number, size: number): void {
    if (!this.#stepsOffset) this.#stepsOffset = this.#len;
    this.#u32(op);
    this.#u32(size);
    this.#nsteps++;
  }

  fdMap(pairs: readonly (readonly [src: number, dst: number])[], flags: number = Fdmap.CLOSE_OTHERS): this {
    this.#step(Op.FD_MAP, 8 + 8 * pairs.length);
    this.#u32(pairs.length);
    this.#u32(flags);
    for (const [src, dst] of pairs) {
      this.#i32(src);
      this.#i32(dst);
    }
    return this;
  }

  empty(op: number): this {
    this.#step(op, 0);
    return this;
  }

  u32(op: number, v: number): this {
    this.#step(op, 4);
    this.#u32(v);
    return this;
  }

  i32(op: number, v: number): this {
    this.#step(op, 4);
    this.#i32(v);
    return this;
  }

  string(op: number, s: string): this {
    const at = this.#len;
    this.#step(op, 0);
    const start = this.#len;
    this.#string(s);
    this.#view.setUint32(at + 4, this.#len - start, true);
    return this;
  }

  list32(op: number, values: readonly number[]): this {
    this.#step(op, 4 + 4 * values.length);
    this.#u32(values.length);
    for (const v of values) this.#u32(v);
    return this;
  }

  rlimit(resource: number, soft: bigint, hard: bigint): this {
    this.#step(Op.RLIMIT, 24);
    this.#u32(resource);
    this.#u32(0);
    this.#ensure(16);
    this.#view.setBigUint64(this.#len, soft, true);
    this.#view.setBigUint64(this.#len + 8, hard, true);
    this.#len += 16;
    return this;
  }

  u64(op: number, v: bigint): this {
    this.#step(op, 8);
    this.#ensure(8);
    this.#view.setBigUint64(this.#len, v, true);
    this.#len += 8;
    return this;
  }

  bytes(op: number, count: number, data: Uint8Array): this {
    this.#step(op, 8 + data.length);
    this.#u32(count);
    this.#u32(0);
    this.#ensure(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  cgroup(path: string): this {
    const at = this.#len;
    this.#step(Op.CGROUP, 0);
    const start = this.#len;
    this.#i32(-1);
    this.#string(path);
    this.#view.setUint32(at + 4, this.#len - start, true);
    return this;
  }

  /** OPEN: path onto fd (flags: Open.*). */
  open(fd: number, flags: number, mode: number, path: string): this {
    const at = this.#len;
    this.#step(Op.OPEN, 0);
    const start = this.#len;
    this.#i32(fd);
    this.#u32(flags);
    this.#u32(mode);
    this.#string(path);
    this.#view.setUint32(at + 4, this.#len - start, true);
    return this;
  }

  /** An op whose payload is two i32 (DUP: src, dst). */
  pair(op: number, a: number, b: number): this {
    this.#step(op, 8);
    this.#i32(a);
    this.#i32(b);
    return this;
  }

  /** The steps written since begin(), as bytes rawSteps() can append to another request. */
  stepBytes(): { bytes: Uint8Array; count: number } {
    const from = this.#stepsOffset || this.#len;
    return { bytes: this.#buf.slice(from, this.#len), count: this.#nsteps };
  }

  /** Append steps taken with stepBytes() (a step holds no offset: they read the same anywhere). */
  rawSteps(bytes: Uint8Array, count: number): this {
    if (!count) return this;
    if (!this.#stepsOffset) this.#stepsOffset = this.#len;
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    this.#nsteps += count;
    return this;
  }

  /** The finished request: a view into the writer's buffer, valid until the next begin(). */
  end(): Uint8Array {
    if (!this.#stepsOffset) this.#stepsOffset = this.#len;
    const v = this.#view, H = ReqHeader;
    v.setUint32(H.magic, Req.MAGIC, true);
    v.setUint32(H.version, Abi.VERSION, true);
    v.setUint32(H.size, this.#len, true);
    v.setUint32(H.flags, this.#flags, true);
    v.setUint32(H.argc, this.#argc, true);
    v.setUint32(H.envc, this.#envc, true);
    v.setUint32(H.steps_offset, this.#stepsOffset, true);
    v.setUint32(H.nsteps, this.#nsteps, true);
    return this.#buf.subarray(0, this.#len);
  }
}
