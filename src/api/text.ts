/**
 * Output bytes as a string (UTF-8, invalid sequences replaced), as
 * TextDecoder gives it. Most captured outputs are empty or a short ASCII
 * line: those are built by hand, because the decoder is a call into the
 * runtime that costs more than the loop between spawns (cold caches).
 */
const decoder = new TextDecoder();
/** Bytes up to this many are tried by hand first. */
const BY_HAND_MAX = 256;

export function utf8Text(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === 0) return "";
  if (n <= BY_HAND_MAX) {
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      if (c > 0x7f) return decoder.decode(bytes);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes);
}
