/**
 * Input checks shared by the options' validators: each throws a TypeError
 * that names the option and what it got, before anything is spawned.
 */

export function noNul(s: unknown, what: string): string {
  if (typeof s !== "string") throw new TypeError(`${what} must be a string, got ${typeof s}`);
  if (s.includes("\0")) throw new TypeError(`${what} must not contain NUL bytes: ${JSON.stringify(s)}`);
  return s;
}

export function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${what} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

/** undefined is false, like an option left out. */
export function bool(v: unknown, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new TypeError(`${what} must be a boolean, got ${typeof v}`);
  return v;
}
