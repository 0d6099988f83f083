/**
 * The fds a caller hands us to send, checked open before anything is
 * written. A closed fd fails the whole sendmsg (SCM_RIGHTS), which on the
 * channel is a failed write: it would end the channel, and with it the
 * worker and every call in flight. A closed fd is the caller's mistake: it
 * is that call's (or that sendFd's) error, and nothing of it is sent.
 */
import { EBADF, errnoMessage } from "../api/errno.ts";
import { loadNative } from "../ffi/load.ts";

/**
 * The error for the first of `fds` that is not open, or undefined;
 * `name(i)` says where fds[i] was given ("call(): fds[0]").
 */
export function closedFd(fds: readonly number[], name: (i: number) => string): Error | undefined {
  const native = loadNative();
  for (let i = 0; i < fds.length; i++) {
    // dup() fails as SCM_RIGHTS would on an fd that is not open. Any other
    // failure (EMFILE) says nothing about the fd: the send will tell.
    const d = native.asp_dup(fds[i]!);
    if (d >= 0) native.asp_close(d);
    else if (d === -EBADF) {
      const message = `${name(i)} is ${fds[i]}, which is not an open fd (EBADF: ${errnoMessage(EBADF)})`;
      return Object.assign(new Error(message), { code: "EBADF", errno: EBADF, fd: fds[i] });
    }
  }
  return undefined;
}
