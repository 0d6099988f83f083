/**
 * Input checks shared by the options' validators: each throws a TypeError
 * that names the option and what it got, before anything is spawned.
 */

import { fileURLToPath } from "node:url";
import { clip } from "./text.ts";

/** Longest preview of a string in a message. */
const PREVIEW = 40;

/**
 * A value as an error message shows it: a number or a short string as it
 * is, a long string cut, an object by its kind ("a ReadStream", "an array of
 * 3") — never its contents, which may be huge, private or circular.
 */
export function describe(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v.length > PREVIEW ? `${JSON.stringify(clip(v, PREVIEW))}… (${v.length} characters)` : JSON.stringify(v);
    case "bigint":
      return `${v}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "object":
      if (v === null) return "null";
      if (Array.isArray(v)) return `an array of ${v.length}`;
      return kind(v);
    default:
      return String(v); // number, boolean, undefined
  }
}

function kind(v: object): string {
  let name: unknown;
  try {
    // A Proxy or a getter may throw; a null-prototype object has no constructor.
    name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  } catch {
    name = undefined;
  }
  if (typeof name !== "string" || name === "" || name === "Object" || !/^[\w$]{1,40}$/.test(name)) return "an object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

export function noNul(s: unknown, what: string): string {
  if (typeof s !== "string") throw new TypeError(`${what} must be a string, got ${describe(s)}`);
  const at = s.indexOf("\0");
  if (at >= 0) throw new TypeError(`${what} must not contain NUL bytes (one at index ${at}): ${describe(s)}`);
  return s;
}

/**
 * A path option: a string, or a `file:` URL as execa, Deno and
 * node:child_process take (`new URL("./out/", import.meta.url)`).
 */
export function pathOf(v: unknown, what: string): string {
  if (v instanceof URL) {
    if (v.protocol !== "file:") throw new TypeError(`${what} must be a path or a file: URL, got ${v.href}`);
    return noNul(fileURLToPath(v), what);
  }
  if (typeof v !== "string") throw new TypeError(`${what} must be a path or a file: URL, got ${describe(v)}`);
  return noNul(v, what);
}

/** An optional path option: undefined, or what pathOf() makes of it. */
export function optionalPath(v: unknown, what: string): string | undefined {
  return v === undefined ? undefined : pathOf(v, what);
}

export function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${what} must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
  return v;
}

/** Array.prototype.every, but a hole is an undefined element: every() skips holes, so `[3, , 4]` passed checks of each element. */
export function everyElement<T>(a: readonly T[], ok: (v: T | undefined, i: number) => boolean): boolean {
  for (let i = 0; i < a.length; i++) if (!ok(a[i], i)) return false;
  return true;
}

/** undefined is false, like an option left out. */
export function bool(v: unknown, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new TypeError(`${what} must be a boolean, got ${describe(v)}`);
  return v;
}

/** An AbortSignal, or undefined when left out. */
export function abortSignal(v: unknown, what: string): AbortSignal | undefined {
  if (v !== undefined && !(v instanceof AbortSignal)) throw new TypeError(`${what} must be an AbortSignal, got ${describe(v)}`);
  return v;
}

/**
 * `(file, args?, options?)` or `(file, options?)`, as spawn(), run() and
 * runSync() take them. What is neither an array nor an options object in
 * the second place (a string, a Set), or an options object followed by
 * more options, is a TypeError rather than no arguments.
 */
export function callArguments<O>(a: readonly string[] | O | undefined | null, b: O | undefined): [readonly string[], O] {
  // An array in the options' place is a second argument list, not options with none set.
  if (Array.isArray(b)) throw new TypeError(`options must be an object, got ${describe(b)}`);
  if (Array.isArray(a)) return [a, b ?? ({} as O)];
  if (a === undefined || a === null) return [[], b ?? ({} as O)];
  if (typeof a !== "object" || typeof (a as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function" || b !== undefined) {
    const hint = typeof a === "string" ? ` (one argument is [${JSON.stringify(a.length > PREVIEW ? a.slice(0, PREVIEW) : a)}])` : "";
    throw new TypeError(`args must be an array of strings, got ${describe(a)}${hint}`);
  }
  return [[], a as O];
}
