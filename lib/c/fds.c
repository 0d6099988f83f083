/*
 * The library's own fds never sit on 0, 1 or 2.
 *
 * A process may start with stdio closed (daemons, `cmd <&-`), and the kernel
 * hands out the lowest free number: our epoll or a pipe end would then
 * become the application's stdout for as long as it lives, and a child given
 * "inherit" for that slot would write into it. So every fd we create is
 * checked and, in that rare case, moved to 3 or above.
 */
#include "internal.h"

ASP_HIDDEN long asp_fd_high(long fd)
{
	long moved;
	if (fd < 0 || fd > 2)
		return fd;
	moved = sys_fcntl((int)fd, ASP_F_DUPFD_CLOEXEC, 3);
	sys_close((int)fd);
	return moved;
}

/* A new pair of fds (r: the syscall's result), moved off 0-2. */
static long pair_high(long r, int fds[2])
{
	long a, b;
	if (r < 0 || (fds[0] > 2 && fds[1] > 2))
		return r;
	a = asp_fd_high(fds[0]);
	b = asp_fd_high(fds[1]);
	if (a < 0 || b < 0) {
		if (a >= 0)
			sys_close((int)a);
		if (b >= 0)
			sys_close((int)b);
		return a < 0 ? a : b;
	}
	fds[0] = (int)a;
	fds[1] = (int)b;
	return 0;
}

ASP_HIDDEN long asp_pipe_high(int fds[2], int flags)
{
	return pair_high(sys_pipe2(fds, flags), fds);
}

ASP_HIDDEN long asp_socketpair_high(int fds[2], int flags)
{
	return pair_high(sys_socketpair(ASP_AF_UNIX, ASP_SOCK_STREAM | flags, 0, fds), fds);
}
