// The worker channel's frames and value codec (src/worker/protocol.ts,
// codec.ts): every type round-trips, and hostile input is a ProtocolError,
// never a crash, a hang or a huge allocation.
import { getChannel } from "../../src/ffi/channel.ts";
import { loadNative } from "../../src/ffi/load.ts";
import { runtime } from "../../src/ffi/runtime.ts";
import { spawn } from "../../src/index.ts";
import { CodecError, decode, encode } from "../../src/worker/codec.ts";
import { Connection } from "../../src/worker/connection.ts";
import { hostPath, moduleHref, workerArgs } from "../../src/worker/runtime-command.ts";
import { bodyValue, frame, FrameParser, frameValue, HEADER, Kind, ProtocolError, VERSION } from "../../src/worker/protocol.ts";
import { assert, test } from "../adapter.ts";
import { fixtureFor } from "../worker-kinds.ts";
import { runFixture } from "../fixtures.ts";

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

/** A value through frame() and FrameParser, fed one byte at a time when `bytewise`. */
function roundTrip(value: unknown, bytewise = false): unknown {
  const bytes = concat(frame(Kind.MESSAGE, 7, value));
  const parser = new FrameParser();
  const frames = bytewise ? [...bytes].flatMap((b) => parser.push(Uint8Array.of(b))) : parser.push(bytes);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.kind, Kind.MESSAGE);
  assert.equal(frames[0]!.id, 7);
  return frameValue(frames[0]!);
}

test("worker protocol: every value type round-trips", () => {
  const bytes = Uint8Array.of(0, 1, 2, 255);
  const value = {
    n: 1.5, s: "héllo \u0000 ☃", t: true, f: false, z: null, u: undefined, nan: NaN, inf: -Infinity, negz: -0,
    big: -(2n ** 100n), date: new Date(1700000000123), bad: new Date(NaN),
    map: new Map<unknown, unknown>([[1, "a"], [{ k: 1 }, new Set([1n])]]), set: new Set(["x", undefined]),
    u8: bytes, ab: bytes.slice().buffer, i32: Int32Array.of(-1, 2 ** 31 - 1), f64: Float64Array.of(Math.PI), dv: new DataView(bytes.slice().buffer),
    arr: [1, [2, [3]], undefined], nested: { "\u0000t": "looks like a tag", deep: { x: [new Date(0)] } },
    empty: new Uint8Array(0),
  };
  for (const bytewise of [false, true]) {
    const got = roundTrip(value, bytewise) as typeof value;
    // Node 20's deepEqual finds two invalid Dates different.
    assert.ok(got.bad instanceof Date && Number.isNaN(got.bad.getTime()));
    assert.deepEqual({ ...got, bad: null }, { ...value, bad: null });
    assert.ok(Object.is(got.negz, -0));
    assert.ok(got.u8 instanceof Uint8Array && got.u8.buffer.byteLength === 4, "a Uint8Array owns its own buffer");
    assert.ok(got.ab instanceof ArrayBuffer);
    assert.ok("u" in got && got.u === undefined);
  }
  // A subarray sends only its bytes.
  assert.deepEqual(roundTrip(Uint8Array.of(9, 8, 7, 6).subarray(1, 3)), Uint8Array.of(8, 7));
});

test("worker protocol: JSON-only values are sent as JSON.stringify says them, and arrive the same", () => {
  const value = { a: [1, "x", true, null, { b: 2.5, "": [] }], s: "NUL \u0000 in a string", e: {}, n: -1e-300 };
  assert.equal(encode(value).json, JSON.stringify(value));
  assert.deepEqual(roundTrip(value), value);
  // What JSON cannot say still takes the tagged path, wherever it is.
  for (const v of [[1, undefined, 3], { x: [{ y: -0 }] }, { z: NaN }, [new Date(0)], { "\u0000k": 1 }]) {
    assert.notEqual(encode(v).json, JSON.stringify(v), String(v));
    assert.deepEqual(roundTrip(v), v);
  }
  assert.ok(Object.is((roundTrip({ x: [{ y: -0 }] }) as { x: [{ y: number }] }).x[0].y, -0));
  // Multi-byte text, below and above the size written straight into the frame, in any chunking.
  for (const text of ["☃é".repeat(1000), "☃é\u{1F600}".repeat(3000), "\uD800 lone"]) {
    for (const bytewise of [false, true]) assert.deepEqual(roundTrip({ text }, bytewise), { text }); // JSON escapes a lone surrogate
  }
  // JSON.stringify would call a toJSON or read a getter a second time: such values take the walk, which reads each once.
  let reads = 0;
  const counted = { get x() { return ++reads; } };
  assert.deepEqual(roundTrip(counted), { x: 1 });
  const hidden = Object.defineProperty({ a: 1 }, "toJSON", { value: () => "replaced" });
  assert.deepEqual(roundTrip(hidden), { a: 1 });
  class Tagged extends Array {
    toJSON() {
      return "replaced";
    }
  }
  assert.deepEqual(roundTrip(Object.assign([1, 2], { toJSON: () => "replaced" })), [1, 2]);
  assert.deepEqual(roundTrip(Tagged.from([1, 2])), [1, 2]);
  // A hole arrives as undefined (JSON would say null).
  assert.ok(Object.hasOwn(roundTrip([1, , 3]) as unknown[], 1));
});

test("worker protocol: a toJSON a program put on Object.prototype or Array.prototype is not called, and is put back", () => {
  const value = { list: [1, [2, "x"]], nested: { d: new Date(0), u: undefined }, e: new TypeError("t") };
  const protos = [Object.prototype, Array.prototype] as Record<string, unknown>[];
  for (const proto of protos) {
    const polluted = function () {
      return "replaced";
    };
    proto.toJSON = polluted;
    try {
      const got = roundTrip(value) as typeof value;
      assert.deepEqual(got.list, [1, [2, "x"]]);
      assert.equal(got.nested.d.getTime(), 0);
      assert.ok(Object.hasOwn(got.nested, "u"));
      assert.equal(got.e.message, "t");
      assert.equal(proto.toJSON, polluted, "put back");
    } finally {
      delete proto.toJSON;
    }
  }
});

test("worker protocol: a toJSON that cannot be set aside is a CodecError, and one that could is left where it was", async () => {
  const r = await runFixture("codec-fixed-tojson");
  assert.equal(r.code, 0, r.stderr);
  const [kept, refused] = r.stdout.split("\n");
  assert.match(refused!, /cannot send while a toJSON that cannot be set aside/);
  assert.equal(kept, "true");
});

test("worker protocol: an error named after an Object.prototype member arrives as an Error of that name", () => {
  for (const name of ["constructor", "toString", "valueOf", "hasOwnProperty"]) {
    const e = decode(`{"\\u0000":"e","name":"${name}","message":"m"}`, []) as Error;
    assert.ok(e instanceof Error, name);
    assert.equal(e.name, name);
    assert.equal(e.message, "m");
  }
});

test("worker protocol: an own __proto__ key arrives as an own key, never as a prototype", () => {
  const own = JSON.parse('{"__proto__": {"x": 1}, "d": {"\\u0000": "u"}}') as Record<string, unknown>;
  for (const got of [roundTrip(own), roundTrip({ wrap: own })]) {
    const o = ("wrap" in (got as object) ? (got as { wrap: unknown }).wrap : got) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.ok(Object.hasOwn(o, "__proto__"));
    assert.deepEqual(Object.getOwnPropertyDescriptor(o, "__proto__")!.value, { x: 1 });
    assert.equal(o.x, undefined);
  }
  // Nor can an error's properties set the error's own prototype.
  for (const p of ['{"__proto__":{"\\u0000":"d","v":0}}', '{"__proto__":null}']) {
    const e = decode(`{"\\u0000":"e","name":"Error","message":"m","p":${p}}`, []) as Error;
    assert.ok(e instanceof Error && String(e) === "Error: m");
    assert.ok(Object.hasOwn(e, "__proto__"));
  }
  // A hostile peer's tagged object ("o") cannot set a prototype either.
  const hostile = decode('{"\\u0000":"o","v":[["__proto__",{"polluted":1}]]}', []) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(hostile), Object.prototype);
  assert.equal(hostile.polluted, undefined);
});

test("worker protocol: bytes travel as attachments, not JSON", () => {
  const big = new Uint8Array(1 << 20).fill(7);
  const { json, attachments } = encode({ big });
  assert.ok(json.length < 100, json);
  assert.equal(attachments[0]!.buffer, big.buffer, "not copied");
  const parts = frame(Kind.RESULT, 1, big);
  assert.equal(parts[1]!.buffer, big.buffer);
});

test("worker protocol: errors keep name, message, stack, cause and properties", () => {
  const cause = new RangeError("inner");
  const e = Object.assign(new TypeError("outer", { cause }), { code: "E_X", errno: 5 });
  const custom = new Error("custom");
  custom.name = "MyError";
  const [a, b] = roundTrip([e, custom]) as [TypeError & { code: string; errno: number }, Error];
  assert.ok(a instanceof TypeError);
  assert.equal(a.message, "outer");
  assert.equal(a.stack, e.stack);
  assert.equal(a.code, "E_X");
  assert.equal(a.errno, 5);
  assert.ok(a.cause instanceof RangeError && (a.cause as Error).message === "inner");
  assert.ok(b instanceof Error);
  assert.equal(b.name, "MyError");
  assert.equal(b.stack, custom.stack);
});

test("worker protocol: an error's unsendable properties are left out (a cyclic cause cut)", () => {
  const e = Object.assign(new RangeError("outer"), { code: "E_X", fn: () => 1, sym: Symbol("s") }) as unknown as RangeError & Record<string, unknown>;
  e.cause = e;
  const a = roundTrip(e) as RangeError & Record<string, unknown>;
  assert.ok(a instanceof RangeError);
  assert.equal(a.message, "outer");
  assert.equal(a.stack, e.stack);
  assert.equal(a.code, "E_X");
  assert.ok(!("fn" in a) && !("sym" in a) && !("cause" in a), Object.keys(a).join());
  // The bytes of a property dropped half-way are not sent for nothing.
  const half = Object.assign(new Error("half"), { part: { bytes: new Uint8Array(1 << 20), fn: () => 1 }, kept: new Uint8Array([7]) });
  const enc = encode(half);
  assert.deepEqual(enc.attachments.map((a) => a.length), [1]);
  assert.deepEqual((roundTrip(half) as unknown as { kept: Uint8Array }).kept, new Uint8Array([7]));
  // Only an error's own properties are forgiven: a function as a value is still refused.
  assert.throws(() => encode({ e, f: () => 1 }), /cannot send a function \(at value\.f\)/);
});

test("worker protocol: an AggregateError arrives as one, its errors own and not enumerable", () => {
  const inner = Object.assign(new Error("inner"), { f() {} });
  const agg = new AggregateError([inner, 2], "many", { cause: inner });
  const b = roundTrip(agg) as AggregateError;
  assert.ok(b instanceof AggregateError);
  assert.equal(b.message, "many");
  assert.equal(Object.getOwnPropertyDescriptor(b, "errors")?.enumerable, false);
  assert.equal(b.errors.length, 2);
  assert.ok(b.errors[0] instanceof Error && (b.errors[0] as Error).message === "inner" && !("f" in b.errors[0]));
  assert.equal(b.errors[1], 2);
  assert.equal((b.cause as Error).message, "inner");
});

test("worker protocol: a frame over the limit is a CodecError before its bytes are made", () => {
  assert.throws(() => frame(Kind.CALL, 1, ["f", [new Uint8Array(2000)]], 0, 1024), (e: unknown) =>
    e instanceof CodecError && /cannot send a frame of \d+ bytes: it exceeds maxFrameSize \(1024 bytes\)/.test(e.message));
  // Large JSON: its length alone says so (at least one byte a unit), before it is encoded.
  assert.throws(() => frame(Kind.MESSAGE, 0, "x".repeat(5000), 0, 1024), /frame of at least 50\d\d bytes/);
  // Multi-byte text found over the limit once encoded.
  assert.throws(() => frame(Kind.MESSAGE, 0, "☃".repeat(400), 0, 1024), /frame of 12\d\d bytes/);
  const parts = frame(Kind.MESSAGE, 0, "x".repeat(900), 0, 1024);
  assert.ok(concat(parts).length <= 1024);
  assert.equal(frame(Kind.MESSAGE, 0, "x".repeat(1024 - HEADER - 8 - 2), 0, 1024)[0]!.length, 1024, "exactly the limit goes");
});

test("worker protocol: what cannot be sent is a clear error before anything is sent", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => encode({ f: () => 1 }), /cannot send a function \(at value\.f\)/);
  assert.throws(() => encode([Symbol("s")]), /cannot send a symbol/);
  assert.throws(() => encode(cyclic), /circular/);
  // The same object twice is not a cycle.
  const shared = { a: 1 };
  assert.deepEqual(decode(encode([shared, shared]).json, []), [shared, shared]);
});

function header(size: number, opts: { version?: number; kind?: number; reserved?: number } = {}): Uint8Array {
  const h = new Uint8Array(HEADER);
  const v = new DataView(h.buffer);
  v.setUint32(0, size, true);
  h[4] = opts.version ?? VERSION;
  h[5] = opts.kind ?? Kind.MESSAGE;
  v.setUint16(6, opts.reserved ?? 0, true);
  return h;
}

test("worker protocol: hostile headers are refused before any allocation", () => {
  const p = () => new FrameParser(1024);
  assert.throws(() => p().push(header(0xffffffff)), (e: unknown) => e instanceof ProtocolError && /exceeds the limit of 1024/.test(e.message));
  assert.throws(() => p().push(header(12, { version: 1 })), /protocol version 1/);
  assert.throws(() => p().push(header(12, { kind: 99 })), /unknown kind 99/);
  assert.throws(() => p().push(header(12, { reserved: 1 })), /reserved/);
  assert.throws(() => p().push(header(3)), /shorter than its header/);
  // Garbage text (what a worker printing to fd 3 sends).
  assert.throws(() => p().push(new TextEncoder().encode("hello world, this is not a frame\n")), ProtocolError);
  // A header cut short is partial, not an error: EOF then is (connection.ts).
  const q = p();
  assert.deepEqual(q.push(header(100).subarray(0, 10)), []);
  assert.ok(q.partial);
});

test("worker protocol: hostile bodies are ProtocolErrors", () => {
  const body = (json: string, attachments: number[] = [], extra = 0) => {
    const j = new TextEncoder().encode(json);
    // The attachments' bytes are not included: `extra` bytes follow the table.
    const out = new Uint8Array(8 + j.length + 4 * attachments.length + extra);
    const v = new DataView(out.buffer);
    v.setUint32(0, j.length, true);
    out.set(j, 4);
    v.setUint32(4 + j.length, attachments.length, true);
    attachments.forEach((n, i) => v.setUint32(8 + j.length + 4 * i, n, true));
    return out;
  };
  const bad = (b: Uint8Array, re: RegExp) => assert.throws(() => bodyValue(b), (e: unknown) => e instanceof ProtocolError && re.test(e.message));
  bad(new Uint8Array(2), /truncated/);
  bad(body("{"), /not JSON/);
  bad(body("1", [], 3), /trailing/);
  bad(body("1", [1 << 30]), /truncated/);
  bad(body('{"\\u0000":"b","i":0,"k":"Uint8Array"}'), /attachment index/);
  bad(body('[{"\\u0000":"b","i":0,"k":"Uint8Array"},{"\\u0000":"b","i":0,"k":"Uint8Array"}]', [1], 1), /used twice/);
  bad(body('{"\\u0000":"b","i":0,"k":"Int32Array"}', [3], 3), /Int32Array of 3 bytes/);
  bad(body('{"\\u0000":"b","i":0,"k":"constructor"}', [1], 1), /byte view type/);
  bad(body('{"\\u0000":"n","v":"1e5"}'), /BigInt/);
  bad(body('{"\\u0000":"f","v":"7"}'), /number/);
  bad(body('{"\\u0000":"zz"}'), /unknown tag/);
  bad(body('{"\\u0000":"m","v":[[1]]}'), /Map entry/);
  bad(body('{"\\u0000":"e","name":1,"message":"x"}'), /error name/);
  bad(body('[{"\\u0000":"u"},' + "[".repeat(200000) + "]".repeat(200000) + "]"), /bad encoding/);
  // Without a tag JSON.parse's value is taken as it is: deep, but no error of ours.
  assert.equal(Array.isArray(bodyValue(body("[".repeat(200000) + "]".repeat(200000)))), true);
  const invalidUtf8 = body("\"x\"");
  invalidUtf8[5] = 0xff;
  bad(invalidUtf8, /bad frame body/);
  // Random garbage never throws anything but a ProtocolError.
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from({ length: rand() % 64 }, rand);
    try {
      bodyValue(b);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, String(e));
    }
    try {
      new FrameParser(4096).push(b);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, String(e));
    }
  }
});

test("worker protocol: frames whole in one chunk parse as they do byte by byte, and bad ones are still refused", () => {
  // Small values without attachments (most frames) are read in place when a
  // chunk holds all of one; the rest, and every fault, go the general way.
  const values: unknown[] = [1, "é ☃", ["echo", [1, { a: null }]], new Uint8Array([1, 2]), undefined, "x".repeat(5000), { s: "\u0000" }];
  const stream = concat(values.flatMap((v, i) => frame(i % 2 ? Kind.RESULT : Kind.CALL, i + 1, v)));
  const seen = (frames: ReturnType<FrameParser["push"]>) => frames.map((f) => [f.kind, f.id, frameValue(f)]);
  const whole = seen(new FrameParser().push(stream));
  const bytewise = new FrameParser();
  assert.deepEqual(whole, seen([...stream].flatMap((b) => bytewise.push(Uint8Array.of(b)))));
  assert.deepEqual(whole.map((f) => f[2]), values);
  // A chunk that ends inside the second frame: the first is whole, the rest waits.
  const p = new FrameParser();
  const first = frame(Kind.CALL, 1, 1)[0]!.length;
  assert.equal(p.push(stream.subarray(0, first + 5)).length, 1);
  assert.ok(p.partial);
  assert.equal(seen(p.push(stream.subarray(first + 5))).length, values.length - 1);

  // One frame whose body is `body`, whole in a chunk with a good frame after it.
  const framed = (body: number[], kind: number = Kind.MESSAGE) => {
    const out = concat([header(12 + body.length, { kind }), Uint8Array.from(body), ...frame(Kind.MESSAGE, 0, 1)]);
    return () => new FrameParser().push(out).map(frameValue);
  };
  const refused = (body: number[], re: RegExp) => assert.throws(framed(body), (e: unknown) => e instanceof ProtocolError && re.test(e.message));
  refused([1, 0, 0, 0, 0x31, 0, 0, 0, 0, 9], /trailing/); // bytes past an attachment count of 0
  refused([1, 0, 0, 0, 0x31, 1, 0, 0, 0], /truncated|trailing/); // an attachment announced, none there
  refused([9, 0, 0, 0, 0x31, 0, 0, 0, 0], /truncated/); // a JSON length past the body
  refused([1, 0, 0, 0, 0xff, 0, 0, 0, 0], /bad frame body/); // not UTF-8
  refused([1, 0, 0, 0, 0x7b, 0, 0, 0, 0], /not JSON/);
  assert.deepEqual(framed([1, 0, 0, 0, 0x32, 0, 0, 0, 0])(), [2, 1]);
});

test("worker protocol: attachments are read straight into buffers of their own (target/filled), in any chunking", () => {
  const a = Uint8Array.from({ length: 300_000 }, (_, i) => i & 0xff), b = Float64Array.of(1.5, -2);
  const stream = concat([...frame(Kind.RESULT, 3, { a, b, s: "x" }), ...frame(Kind.MESSAGE, 0, [new Uint8Array(0), 7])]);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % 70_000;
  const p = new FrameParser();
  const frames = [];
  let at = 0;
  while (at < stream.length) {
    // What connection.ts does: a large enough target is filled directly, else a chunk is pushed.
    const t = p.target(1000);
    const n = Math.min(rand() + 1, stream.length - at, t ? t.length : Infinity);
    if (t) {
      t.set(stream.subarray(at, at + n));
      frames.push(...p.filled(n));
    } else frames.push(...p.push(stream.subarray(at, at + n)));
    at += n;
  }
  assert.equal(frames.length, 2);
  const v = frameValue(frames[0]!) as { a: Uint8Array; b: Float64Array; s: string };
  assert.deepEqual(v, { a, b, s: "x" });
  // No copy at decode: each value's buffer is its attachment's, exactly its size.
  assert.equal(v.a.buffer.byteLength, a.length);
  assert.equal(v.b.buffer.byteLength, 16);
  assert.deepEqual(frameValue(frames[1]!), [new Uint8Array(0), 7]);
});

test("worker protocol: a host answers WARM with the value it came with, before any call, and then serves calls", async () => {
  // The real host program over a socketpair we drive frame by frame.
  const native = loadNative();
  const pair = new Int32Array(2);
  assert.equal(native.asp_socketpair(new Uint8Array(pair.buffer), 0), 0);
  const [ours, theirs] = [pair[0]!, pair[1]!];
  assert.equal(native.asp_socketpair(new Uint8Array(pair.buffer), 0), 0);
  const [side, sideTheirs] = [pair[0]!, pair[1]!];
  const mod = moduleHref(await fixtureFor(runtime));
  const proc = spawn(process.execPath, workerArgs(runtime, [], hostPath(runtime), mod, 4), { stdio: ["ignore", "inherit", "inherit", theirs, sideTheirs] });
  native.asp_close(theirs);
  native.asp_close(sideTheirs);
  native.asp_set_nonblock(ours, 1);
  native.asp_set_nonblock(side, 1);
  const frames: { kind: number; id: number; value: unknown }[] = [];
  let wake: (() => void) | undefined;
  const conn = new Connection(native, getChannel(), ours, {
    frame: (f) => (frames.push({ kind: f.kind, id: f.id, value: frameValue(f) }), wake?.()),
    end: () => wake?.(),
  }, { side });
  conn.start();
  const next = async () => {
    while (!frames.length) await new Promise<void>((r) => (wake = r));
    return frames.shift()!;
  };
  try {
    assert.equal((await next()).kind, Kind.HELLO);
    const value = ["", [1, "a", { a: [true, null] }, Uint8Array.of(9)]];
    await conn.write(frame(Kind.WARM, 0, value));
    assert.deepEqual(await next(), { kind: Kind.WARM, id: 0, value });
    await conn.write(frame(Kind.CALL, 5, ["echo", ["after warm"]]));
    assert.deepEqual(await next(), { kind: Kind.RESULT, id: 5, value: "after warm" });
  } finally {
    conn.close(); // the host exits when its channel closes
    await proc.exited;
  }
});
