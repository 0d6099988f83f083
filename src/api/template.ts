/**
 * A tagged template as argv words, with no shell anywhere. The literal
 * parts are taken as written (their raw text: `\n` is a backslash and an
 * n, as in a shell script) and split on spaces, tabs and newlines; '...'
 * and "..." keep what they enclose in one word (no escapes, no expansion
 * inside: a backslash is an ordinary character everywhere). An
 * interpolated value is never split or parsed: a string or number is one
 * word — joined with the literal text or quotes it touches — and an array
 * standing alone is one word per element.
 */

import { runtime } from "../ffi/runtime.ts";

/** What may be interpolated: strings and numbers, or arrays of them. */
export type TemplateValue = string | number | bigint | readonly (string | number | bigint)[];

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";

function word(v: unknown, where: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  const got = v === null ? "null" : Array.isArray(v) ? "a nested array" : typeof v;
  throw new TypeError(`$: ${where} must be a string, a number or an array of them, got ${got}`);
}

const NON_ASCII_ESCAPE = /\\u(?:([0-9A-Fa-f]{4})|\{([0-9A-Fa-f]{1,6})\})/g;

/**
 * Bun's transpiler hands a tag its non-ASCII literal text as \u escapes
 * (`café` arrives raw as `caf\u00E9`, oven-sh/bun#8745), which no one can
 * tell from escapes typed by hand: on Bun, one naming a non-ASCII character
 * is that character again.
 */
function bunLiteral(s: string): string {
  if (!s.includes("\\u")) return s;
  return s.replace(NON_ASCII_ESCAPE, (escape, four: string | undefined, braced: string | undefined) => {
    const code = parseInt(four ?? braced!, 16);
    return code >= 0x80 && code <= 0x10ffff ? String.fromCodePoint(code) : escape;
  });
}

export function templateWords(strings: TemplateStringsArray, values: readonly unknown[]): string[] {
  const words: string[] = [];
  let cur = "";
  /** A word has begun, maybe still empty ('' or an empty value). */
  let open = false;
  let quote: string | undefined;
  const raw = runtime === "bun" ? strings.raw.map(bunLiteral) : strings.raw;
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i]!;
    for (let j = 0; j < s.length; j++) {
      const c = s[j]!;
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else cur += c;
      } else if (c === "\\" && (s[j + 1] === "\n" || (s[j + 1] === "\r" && s[j + 2] === "\n"))) {
        // A shell's line continuation would be a word "\" here.
        throw new TypeError("$: a backslash ends a line of the template; newlines already separate words, remove it");
      } else if (isSpace(c)) {
        if (open) words.push(cur);
        cur = "";
        open = false;
      } else if (c === "'" || c === '"') {
        quote = c;
        open = true;
      } else {
        cur += c;
        open = true;
      }
    }
    if (i === values.length) break;
    const v = values[i];
    if (Array.isArray(v)) {
      const next = raw[i + 1]!;
      const joined = quote !== undefined || open || (next === "" ? i + 1 < values.length : !isSpace(next[0]));
      if (joined) {
        throw new TypeError(`$: the array at \${${i}} touches other text or is quoted; an array must stand alone (one word per element)`);
      }
      for (let k = 0; k < v.length; k++) words.push(word(v[k], `element ${k} of the array at \${${i}}`));
    } else {
      cur += word(v, `the value at \${${i}}`);
      open = true;
    }
  }
  if (quote !== undefined) throw new TypeError(`$: unterminated ${quote} quote in the template`);
  if (open) words.push(cur);
  if (words.length === 0) throw new TypeError("$: the template names no command");
  return words;
}
