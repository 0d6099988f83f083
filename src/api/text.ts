/**
 * Output bytes as a string (UTF-8, invalid sequences replaced), as
 * TextDecoder gives it. Most captured outputs are empty or a short ASCII
 * line: those are built by hand, because the decoder is a call into the
 * runtime that costs more than the loop between spawns (cold caches).
 */

/** The one decoder of output text: as Response.text() decodes (and Bun's and Deno's text()), a leading byte order mark dropped. */
export function outputDecoder(): TextDecoder {
  return new TextDecoder();
}

/** `s` cut to at most `max` UTF-16 units, never between the halves of a surrogate pair (a lone half is no character). */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

const decoder = outputDecoder();
/** Bytes up to this many are tried by hand first. */
const BY_HAND_MAX = 256;

export function utf8Text(bytes: Uint8Array): string {
  return shortAscii(bytes) ?? decoder.decode(bytes);
}

/** `bytes` as a string when they are few and all ASCII (valid UTF-8 then, whatever the decoder); else undefined. */
export function shortAscii(bytes: Uint8Array): string | undefined {
  const n = bytes.length;
  if (n > BY_HAND_MAX) return undefined;
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c > 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}
