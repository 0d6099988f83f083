/**
 * Node's error shapes, built from their documented messages: a `code`
 * property and `TypeError [CODE]: message` as the stack's first line, so
 * code that tests `err.code` or matches Node's messages sees no difference.
 */
import { format, inspect } from "node:util";
import { errnoCode, errnoMessage } from "../api/errno.ts";

type Ctor = new (message: string) => Error;

function coded<E extends Error>(Base: Ctor, code: string, message: string): E {
  const e = new Base(message) as E & { code: string };
  // Node shows "TypeError [ERR_X]: message" in the stack and toString(),
  // and keeps name as the plain class name.
  Object.defineProperty(e, "code", { value: code, enumerable: true, writable: true, configurable: true });
  if (typeof e.stack === "string") e.stack = e.stack.replace(`${e.name}:`, `${e.name} [${code}]:`);
  Object.defineProperty(e, "toString", {
    value() {
      return `${this.name} [${code}]: ${this.message}`;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return e;
}

/** The types Node writes in lower case ("of type string"); others are classes or descriptions. */
const typeWords = new Set(["string", "function", "number", "object", "Function", "Object", "boolean", "bigint", "symbol"]);

function list(items: string[], prefix: string): string {
  if (items.length > 2) return `${prefix}${items.slice(0, -1).join(", ")}, or ${items.at(-1)}`;
  if (items.length === 2) return `${prefix}${items[0]} or ${items[1]}`;
  return `${prefix}${items[0]}`;
}

/** How Node names the value it got in ERR_INVALID_ARG_TYPE. */
export function specificType(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  switch (typeof v) {
    case "bigint":
      return `type bigint (${v}n)`;
    case "number":
      return `type number (${Object.is(v, -0) ? "-0" : String(v)})`;
    case "boolean":
      return `type boolean (${v})`;
    case "symbol":
      return `type symbol (${String(v)})`;
    case "function":
      return `function ${v.name}`;
    case "object": {
      const ctor = (v as { constructor?: { name?: string } }).constructor;
      if (ctor && typeof ctor.name === "string" && ctor.name) return `an instance of ${ctor.name}`;
      return inspect(v, { depth: -1 });
    }
    case "string": {
      const s = v.length > 28 ? `${v.slice(0, 25)}...` : v;
      return s.includes("'") ? `type string (${JSON.stringify(s)})` : `type string ('${s}')`;
    }
  }
  return String(v);
}

function argWord(name: string): string {
  if (name.endsWith(" argument")) return `The ${name}`;
  return `The "${name}" ${name.includes(".") ? "property" : "argument"}`;
}

/** ERR_INVALID_ARG_TYPE: `The "file" argument must be of type string. Received type number (1)`. */
export function invalidArgType(name: string, expected: string | string[], actual: unknown): TypeError {
  const all = Array.isArray(expected) ? expected : [expected];
  const types: string[] = [], instances: string[] = [], other: string[] = [];
  for (const t of all) {
    if (typeWords.has(t)) types.push(t.toLowerCase());
    else if (/^[A-Z][a-zA-Z0-9]*$/.test(t)) instances.push(t);
    else other.push(t);
  }
  if (instances.length && types.includes("object")) {
    types.splice(types.indexOf("object"), 1);
    instances.push("Object");
  }
  const parts: string[] = [];
  if (types.length) parts.push(types.length === 1 ? `of type ${types[0]}` : list(types, "one of type "));
  if (instances.length) parts.push(list(instances, "an instance of "));
  if (other.length) {
    parts.push(other.length === 1 ? `${other[0]!.toLowerCase() !== other[0] ? "an " : ""}${other[0]}` : list(other, "one of "));
  }
  return coded(TypeError, "ERR_INVALID_ARG_TYPE", `${argWord(name)} must be ${parts.join(" or ")}. Received ${specificType(actual)}`);
}

/** ERR_INVALID_ARG_VALUE: `The argument 'file' cannot be empty. Received ''`. */
export function invalidArgValue(name: string, value: unknown, reason = "is invalid"): TypeError {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const kind = name.includes(".") ? "property" : "argument";
  return coded(TypeError, "ERR_INVALID_ARG_VALUE", `The ${kind} '${name}' ${reason}. Received ${shown}`);
}

/** ERR_OUT_OF_RANGE: `The value of "timeout" is out of range. It must be an unsigned integer. Received -1`. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  const shown = typeof value === "number" ? String(value) : typeof value === "bigint" ? `${value}n` : inspect(value);
  return coded(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
}

/** ERR_UNKNOWN_SIGNAL: Node formats the value with %s (`Unknown signal: {}` for an object, not `[object Object]`). */
export function unknownSignal(sig: unknown): TypeError {
  return coded(TypeError, "ERR_UNKNOWN_SIGNAL", format("Unknown signal: %s", sig));
}

/** ERR_UNKNOWN_ENCODING, as Buffer's toString() throws it. */
export function unknownEncoding(encoding: unknown): TypeError {
  return coded(TypeError, "ERR_UNKNOWN_ENCODING", format("Unknown encoding: %s", encoding));
}

/** An error with a Node code and a fixed message (ERR_IPC_ONE_PIPE and friends). */
export function nodeError(Base: Ctor, code: string, message: string): Error {
  return coded(Base, code, message);
}

/** ERR_CHILD_PROCESS_STDIO_MAXBUFFER. */
export function maxBufferError(stream: "stdout" | "stderr"): RangeError {
  return coded(RangeError, "ERR_CHILD_PROCESS_STDIO_MAXBUFFER", `${stream} maxBuffer length exceeded`);
}

export interface ErrnoError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  spawnargs?: string[];
}

/**
 * Node's ErrnoException: `spawn ls ENOENT`, `errno` negative (as libuv's),
 * `code`, `syscall`. `errno` here is positive (the kernel's).
 */
/** Codes Node reports that the library's table (spawn's errnos) leaves out. */
export function errnoError(errno: number, syscall: string): ErrnoError {
  const code = errnoCode(errno);
  const e = new Error(`${syscall} ${code}`) as ErrnoError;
  e.errno = -errno;
  e.code = code;
  e.syscall = syscall;
  return e;
}

/**
 * An error of the library's pipes (`EPIPE: broken pipe, write`, errno 32)
 * in the shape Node's stdio sockets give it: `write EPIPE`, errno -32.
 * Anything else is left as it is.
 */
export function asNodeError(e: unknown): unknown {
  const { errno, syscall } = (e ?? {}) as { errno?: unknown; syscall?: unknown };
  return typeof errno === "number" && errno > 0 && typeof syscall === "string" ? errnoError(errno, syscall) : e;
}

/** The message for an errno, for callers that want the words (`kill EPERM`). */
export function errnoWords(errno: number): string {
  return errnoMessage(errno);
}

/** Node's AbortError (`code: "ABORT_ERR"`), with the signal's reason as its cause. */
export class AbortError extends Error {
  override name = "AbortError";
  readonly code = "ABORT_ERR";
  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super(message, options);
  }
}
