/**
 * Copies of a caller's fds, for a frame that waits (behind other frames, in
 * a pool's queue): the caller may close its own once the call returns.
 */
import { fdError } from "../api/pipe-end.ts";
import type { Native } from "../ffi/symbols.ts";

/** A copy of each fd (close-on-exec), or the Error of the one that could not be made (none left open). */
export function copyFds(native: Native, fds: readonly number[]): number[] | Error {
  const copies: number[] = [];
  for (const fd of fds) {
    const d = native.asp_dup(fd);
    if (d < 0) {
      for (const c of copies) native.asp_close(c);
      return fdError(-d, "dup");
    }
    copies.push(d);
  }
  return copies;
}
