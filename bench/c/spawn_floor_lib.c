/*
 * floor.c's spawn for bench/scenarios/spawn-call.ts, in libbench-floor.so:
 * timed in the runtime's own process, in turn with spawn(), because the
 * floor timed by bench-c, a process of its own, is not the same
 * environment (bench/sync.ts found a 20-30 % drift for the blocking runs).
 * One child at a time, as the scenario spawns (bench_spawn_floor_sockets:
 * as bench/child-process-block.ts's execFile() needs): the call returns once the
 * child runs, and the reap, outside the timing, blocks until it is gone.
 * bench_spawn_floor_shared clones with CLONE_FILES, as the library does once
 * its reactor runs: the call's cost does not grow with our fd table
 * (bench/scenarios/growth.ts holds spawn() against it as children pile up).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static int epfd = -1;
static struct child cur;

static int spawn_floor(int sockets, int shared)
{
	if (epfd < 0) {
		if (floor_init() < 0)
			return -ENOMEM;
		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0)
			return -errno;
	}
	memset(&cur, 0, sizeof cur);
	cur.child_ends[0] = cur.child_ends[1] = -1;
	cur.in_fd = cur.err_fd = -1;
	return floor_spawn(&cur, shared, sockets, epfd);
}

/* The timed call: 0, or -errno if the spawn failed. */
int bench_spawn_floor(void)
{
	return spawn_floor(0, 0);
}

/* The same, sharing our fd table until the child unshares it. */
int bench_spawn_floor_shared(void)
{
	return spawn_floor(0, 1);
}

/* The same with stdin, stdout and stderr socketpairs, as Node's execFile() has them. */
int bench_spawn_floor_sockets(void)
{
	return spawn_floor(1, 0);
}

static void drop(int *fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, *fd, 0);
	close(*fd);
	*fd = -1;
}

/* Blocks until the child's stdout is at EOF and it is reaped: its exit
 * code, or -1. */
int bench_spawn_floor_reap(void)
{
	char b[256];
	struct pollfd p = {cur.out_fd, POLLIN, 0};
	siginfo_t si;
	memset(&si, 0, sizeof si);
	/* Sharing the table, we hold the child's ends until it is gone (see
	 * floor_spawn): stdout ends only once they are closed. */
	if (cur.child_ends[0] >= 0) {
		if (syscall(SYS_waitid, 3 /* P_PIDFD */, cur.pidfd, &si, WEXITED | WNOWAIT, 0) < 0)
			return -1;
		floor_release_ends(&cur);
	}
	for (;;) {
		ssize_t n = read(cur.out_fd, b, sizeof b);
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN)
			poll(&p, 1, -1);
		else if (n < 0 && errno != EINTR)
			return -1;
	}
	if (syscall(SYS_waitid, 3 /* P_PIDFD */, cur.pidfd, &si, WEXITED, 0) < 0)
		return -1;
	drop(&cur.out_fd);
	drop(&cur.status_fd);
	drop(&cur.pidfd);
	if (cur.err_fd >= 0)
		drop(&cur.err_fd);
	if (cur.in_fd >= 0)
		close(cur.in_fd);
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/* The scenario is done: its epoll set goes (the run's leftover count would
 * show it), and the stacks. */
int bench_spawn_floor_close(void)
{
	if (epfd < 0)
		return 0;
	close(epfd);
	epfd = -1;
	floor_fini();
	return 0;
}
