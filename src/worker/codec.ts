/**
 * Values across a worker's channel: JSON for the structure, raw bytes for
 * binary data. encode() turns a value into JSON text plus a list of byte
 * attachments (never copied here: a 64 MiB Uint8Array goes to the socket
 * as it is); decode() reverses it. What JSON cannot say is a tagged object
 * whose one key is TAG ("\u0000", a key no ordinary object uses; an
 * object that does use it is itself tagged, so nothing is ambiguous):
 *
 *   u undefined · f NaN/±Infinity/-0 · n BigInt · d Date · m Map · s Set
 *   b bytes (attachment index, view type) · e Error · o an object with a TAG key
 *
 * decode() trusts nothing: any input that is not such an encoding throws a
 * CodecError (the connection makes it an error of that worker).
 */

const TAG = "\u0000";

/** Input that is not a valid encoding; or a value that cannot be sent. */
export class CodecError extends Error {
  override name = "CodecError";
}

export interface Encoded {
  json: string;
  attachments: Uint8Array[];
}

/** Typed array constructors by name: bytes arrive as the view they left as. */
const VIEWS: Record<string, new (buf: ArrayBuffer, off: number, len: number) => ArrayBufferView> = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

function viewName(v: ArrayBufferView): string {
  if (v instanceof DataView) return "DataView";
  // Buffer and other subclasses travel as their base class.
  for (const name of Object.keys(VIEWS)) if (v instanceof VIEWS[name]!) return name;
  throw new CodecError(`cannot send a ${v.constructor?.name ?? "typed array"}`);
}

/** Nesting past which plain() gives up: the walk, which finds cycles, takes over. */
const PLAIN_DEPTH = 100;

/**
 * Whether JSON.stringify alone says `v` exactly, so that no copy is built:
 * strings, booleans, null, finite numbers but -0, and arrays (of
 * Array.prototype, without holes) and plain objects (data properties only,
 * no key starting with TAG) of those, with no toJSON anywhere (own,
 * inherited or a polluted prototype's). Most call arguments and results
 * are; checking costs a fraction of the walk. (An array index made a getter
 * is read twice: checking every index's descriptor would cost the walk.)
 */
function plain(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v) && (v !== 0 || 1 / v > 0);
    case "object":
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (depth > PLAIN_DEPTH || "toJSON" in v) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) if (!plain(v[i], depth + 1)) return false; // a hole reads undefined
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(v)) {
    if (k.startsWith(TAG)) return false;
    const d = Object.getOwnPropertyDescriptor(v, k);
    if (!d || !("value" in d) || !plain(d.value, depth + 1)) return false; // a getter: the walk reads it once
  }
  return true;
}

/** An own property, also when it is named `__proto__` (an assignment would set the prototype). */
function put(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

export function encode(value: unknown): Encoded {
  if (plain(value, 0)) return { json: JSON.stringify(value), attachments: [] };
  const attachments: Uint8Array[] = [];
  const seen = new Set<object>();
  const bytes = (u8: Uint8Array, kind: string) => {
    attachments.push(u8);
    return { [TAG]: "b", i: attachments.length - 1, k: kind };
  };
  const walk = (v: unknown, path: string): unknown => {
    switch (typeof v) {
      case "undefined":
        return { [TAG]: "u" };
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : { [TAG]: "f", v: String(v === 0 ? "-0" : v) };
      case "bigint":
        return { [TAG]: "n", v: v.toString() };
      case "string":
      case "boolean":
        return v;
      case "function":
      case "symbol":
        throw new CodecError(`cannot send a ${typeof v} (at ${path})`);
    }
    if (v === null) return null;
    const o = v as object;
    if (seen.has(o)) throw new CodecError(`cannot send a circular structure (at ${path})`);
    seen.add(o);
    try {
      if (o instanceof ArrayBuffer) return bytes(new Uint8Array(o), "ArrayBuffer");
      if (ArrayBuffer.isView(o)) {
        return bytes(new Uint8Array(o.buffer, o.byteOffset, o.byteLength), viewName(o));
      }
      if (o instanceof Date) return { [TAG]: "d", v: Number.isNaN(o.getTime()) ? null : o.getTime() };
      if (o instanceof Map) return { [TAG]: "m", v: [...o].map(([k, x], i) => [walk(k, `${path}.key[${i}]`), walk(x, `${path}.get(${i})`)]) };
      if (o instanceof Set) return { [TAG]: "s", v: [...o].map((x, i) => walk(x, `${path}[${i}]`)) };
      if (o instanceof Error) return error(o, walk, path, attachments);
      if (Array.isArray(o)) return Array.from(o, (x, i) => walk(x, `${path}[${i}]`));
      const out: Record<string, unknown> = {};
      let tagged = false;
      for (const k of Object.keys(o)) {
        if (k.startsWith(TAG)) tagged = true;
        put(out, k, walk((o as Record<string, unknown>)[k], `${path}.${k}`));
      }
      return tagged ? { [TAG]: "o", v: Object.entries(out) } : out;
    } finally {
      seen.delete(o);
    }
  };
  return { json: stringify(walk(value, "value")), attachments };
}

/** The prototypes of what the walk builds: objects and arrays. */
const JSON_PROTOS: readonly object[] = [Object.prototype, Array.prototype];

/**
 * JSON.stringify of the walk's copy, which holds only plain objects,
 * arrays and primitives, none with a toJSON of its own: but JSON.stringify
 * would call one a program put on Object.prototype or Array.prototype (and
 * send what it returns). Such a toJSON is set aside while it runs: nothing
 * else runs meanwhile (the copy has no getters).
 */
function stringify(copy: unknown): string {
  const aside: [object, PropertyDescriptor][] = [];
  for (const proto of JSON_PROTOS) {
    const d = Object.getOwnPropertyDescriptor(proto, "toJSON");
    if (!d) continue;
    // Checked for both before either is touched: each must go and come back.
    if (!d.configurable || !Object.isExtensible(proto)) {
      throw new CodecError("cannot send while a toJSON that cannot be set aside is on Object.prototype or Array.prototype");
    }
    aside.push([proto, d]);
  }
  try {
    for (const [proto] of aside) delete (proto as Record<string, unknown>).toJSON;
    return JSON.stringify(copy);
  } finally {
    for (const [proto, d] of aside) Object.defineProperty(proto, "toJSON", d);
  }
}

/**
 * An Error as name, message, stack, cause, an AggregateError's `errors` (own
 * but not enumerable) and its own enumerable properties (code, errno, ...).
 * What the function threw is the call's answer: a property that cannot be
 * sent (a function, a cycle such as `e.cause = e`, a getter that throws) is
 * left out rather than replacing the error with a CodecError about it.
 */
function error(e: Error, walk: (v: unknown, path: string) => unknown, path: string, attachments: Uint8Array[]): unknown {
  const props: Record<string, unknown> = {};
  const keep = (read: () => unknown, at: string, put: (v: unknown) => void) => {
    const had = attachments.length;
    try {
      put(walk(read(), at));
    } catch {
      // Unsendable: dropped (walk leaves `seen` as it found it), with the
      // bytes its sendable part had attached: nothing refers to them.
      attachments.length = had;
    }
  };
  for (const k of Object.keys(e)) {
    if (k === "name" || k === "message" || k === "stack" || k === "cause") continue;
    keep(() => (e as unknown as Record<string, unknown>)[k], `${path}.${k}`, (v) => (props[k] = v));
  }
  const out: Record<string, unknown> = {
    [TAG]: "e",
    name: String(e.name),
    message: String(e.message),
    stack: typeof e.stack === "string" ? e.stack : undefined,
    p: props,
  };
  if ("cause" in e) keep(() => e.cause, `${path}.cause`, (v) => (out.c = v));
  const errors = Object.getOwnPropertyDescriptor(e, "errors");
  if (errors && !errors.enumerable && "value" in errors && Array.isArray(errors.value)) {
    keep(() => errors.value, `${path}.errors`, (v) => (out.a = v));
  }
  return out;
}

function fail(what: string): never {
  throw new CodecError(`bad encoding: ${what}`);
}

const str = (v: unknown, what: string): string => typeof v === "string" ? v : fail(`${what} is not a string`);
const arr = (v: unknown, what: string): unknown[] => Array.isArray(v) ? v : fail(`${what} is not an array`);

/** Errors that arrive as their own class (a CodecError too: the other side's "cannot send" is the same kind of error as ours). */
const BUILT_IN_ERRORS: Record<string, new (message: string) => Error> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, CodecError };

/** An Error whose name, message and stack are the sender's. */
export function makeError(name: string, message: string, stack: string | undefined): Error {
  const ctor = Object.hasOwn(BUILT_IN_ERRORS, name) ? BUILT_IN_ERRORS[name] : undefined;
  const builtIn = ctor !== undefined || name === "AggregateError";
  const e = name === "AggregateError" ? new AggregateError([], message) : ctor ? new ctor(message) : new Error(message);
  if (!builtIn || e.name !== name) Object.defineProperty(e, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(e, "stack", { value: stack ?? `${name}: ${message}`, writable: true, configurable: true });
  return e;
}

export function decode(json: string, attachments: readonly Uint8Array[]): unknown {
  let tree: unknown;
  try {
    tree = JSON.parse(json);
  } catch (e) {
    fail(`not JSON (${(e as Error).message})`);
  }
  // No tag anywhere (JSON can only write TAG as this escape) and no bytes:
  // what JSON.parse built is the value.
  if (attachments.length === 0 && !json.includes("\\u0000")) return tree;
  const used = new Set<number>();
  const walk: Walk = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    if (Object.hasOwn(o, TAG)) return o[TAG] === "b" ? bytesOf(o, attachments, used) : tagged(o, walk);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) put(out, k, walk(o[k]));
    return out;
  };
  try {
    return walk(tree);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`bad encoding: ${(e as Error).message}`); // too deep, and the like
  }
}

type Walk = (v: unknown) => unknown;

/** A tagged value but bytes: `{ TAG, ... }` as encode() writes it. */
function tagged(o: Record<string, unknown>, walk: Walk): unknown {
  switch (o[TAG]) {
    case "u":
      return undefined;
    case "f": {
      const s = str(o.v, "a number");
      if (s === "-0") return -0;
      if (s === "NaN" || s === "Infinity" || s === "-Infinity") return Number(s);
      return fail(`number ${JSON.stringify(s.slice(0, 20))}`);
    }
    case "n": {
      const s = str(o.v, "a BigInt");
      if (!/^-?\d{1,100000}$/.test(s)) fail("a BigInt is not decimal digits");
      return BigInt(s);
    }
    case "d":
      if (o.v !== null && typeof o.v !== "number") fail("a Date is not a number");
      return new Date(o.v === null ? NaN : (o.v as number));
    case "m":
      return new Map(arr(o.v, "a Map").map((e) => {
        const pair = arr(e, "a Map entry");
        if (pair.length !== 2) fail("a Map entry is not a pair");
        return [walk(pair[0]), walk(pair[1])] as [unknown, unknown];
      }));
    case "s":
      return new Set(arr(o.v, "a Set").map(walk));
    case "e":
      return errorOf(o, walk);
    case "o": {
      const out: Record<string, unknown> = {};
      for (const e of arr(o.v, "an object")) {
        const pair = arr(e, "an object entry");
        put(out, str(pair[0], "a key"), walk(pair[1]));
      }
      return out;
    }
    default:
      return fail(`unknown tag ${JSON.stringify(String(o[TAG]).slice(0, 20))}`);
  }
}

/** A thrown value that was an Error: its name, message, stack, own properties, cause and (AggregateError) errors. */
function errorOf(o: Record<string, unknown>, walk: Walk): Error {
  const e = makeError(str(o.name, "an error name"), str(o.message, "an error message"), Object.hasOwn(o, "stack") ? str(o.stack, "a stack") : undefined);
  if (o.p !== undefined) {
    const props = walk(o.p);
    if (props === null || typeof props !== "object") fail("error properties");
    for (const k of Object.keys(props)) put(e as unknown as Record<string, unknown>, k, (props as Record<string, unknown>)[k]);
  }
  if (Object.hasOwn(o, "c")) Object.defineProperty(e, "cause", { value: walk(o.c), writable: true, configurable: true });
  // An AggregateError's errors: own and not enumerable, as the sender's were.
  if (Object.hasOwn(o, "a")) Object.defineProperty(e, "errors", { value: arr(walk(o.a), "an error's errors"), writable: true, configurable: true });
  return e;
}

function bytesOf(o: Record<string, unknown>, attachments: readonly Uint8Array[], used: Set<number>): unknown {
  const i = o.i;
  if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= attachments.length) fail("attachment index");
  if (used.has(i)) fail("attachment used twice");
  used.add(i);
  const src = attachments[i]!;
  const kind = str(o.k, "a byte view type");
  // Each value owns its whole buffer, as it did at the sender: the
  // receiver gives each attachment one (protocol.ts), used once here.
  const whole = src.byteOffset === 0 && src.byteLength === src.buffer.byteLength && src.buffer instanceof ArrayBuffer;
  const buf = whole ? src.buffer as ArrayBuffer : src.slice().buffer;
  if (kind === "ArrayBuffer") return buf;
  if (kind === "DataView") return new DataView(buf);
  const View = Object.hasOwn(VIEWS, kind) ? VIEWS[kind]! : fail(`byte view type ${JSON.stringify(kind.slice(0, 20))}`);
  const size = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  if (src.length % size) fail(`${kind} of ${src.length} bytes`);
  return new View(buf, 0, src.length / size);
}
