/* Pseudo-terminal pairs: sizes set before the child starts, resizes, flags. */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void opens_a_pair_with_its_size(void)
{
	int32_t fds[2], size[2];
	char buf[64];
	size_t len;
	ssize_t n;
	CHECK_EQ_INT(L.pty_open(100, 30, fds), 0);
	CHECK(fds[0] > 2 && fds[1] > 2);
	CHECK(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	CHECK_EQ_INT(L.pty_size(fds[0], size), 0);
	CHECK_EQ_INT(size[0], 100);
	CHECK_EQ_INT(size[1], 30);
	CHECK_EQ_INT(L.pty_resize(fds[0], 120, 40), 0);
	CHECK_EQ_INT(L.pty_size(fds[1], size), 0);
	CHECK_EQ_INT(size[0], 120);
	CHECK_EQ_INT(size[1], 40);
	/* The line discipline is there: "\n" written by the program reads "\r\n". */
	/* The line discipline flushes from a work queue: the line may come in
	 * pieces (seen on arm64), so read until it is whole or time is up. */
	CHECK_EQ_INT((int)write(fds[1], "hi\n", 3), 3);
	len = 0;
	while (len < 4 && wait_readable(fds[0], 2000) > 0) {
		n = read(fds[0], buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	CHECK_EQ_INT((int)len, 4);
	buf[len] = 0;
	CHECK_EQ_STR(buf, "hi\r\n");
	close(fds[0]);
	close(fds[1]);
}

static void rejects_bad_sizes(void)
{
	int32_t fds[2] = {-1, -1}, size[2];
	CHECK_EQ_INT(L.pty_open(0, 24, fds), -EINVAL);
	CHECK_EQ_INT(L.pty_open(80, 0x10000, fds), -EINVAL);
	CHECK_EQ_INT(fds[0], -1);
	CHECK_EQ_INT(L.pty_resize(0x7fffffff, 80, 24), -EBADF);
	CHECK_EQ_INT(L.pty_size(0x7fffffff, size), -EBADF);
	{
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		CHECK_EQ_INT(L.pty_size(null, size), -ENOTTY); /* not a terminal */
		close(null);
	}
}

static void the_child_sees_the_size_at_its_start(void)
{
	int32_t fds[2];
	struct req r;
	struct run_result res;
	char buf[128];
	size_t len = 0;
	ssize_t n;
	CHECK_EQ_INT(L.pty_open(132, 43, fds), 0);
	{
		const int32_t map[][2] = {{fds[1], 0}, {fds[1], 1}, {fds[1], 2}};
		req_sh(&r, "stty size");
		req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
	}
	run_req(&r, &res);
	close(fds[1]);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.code, 0);
	/* The master reads EIO once no slave is open: that is the end. */
	while (len + 1 < sizeof buf && wait_readable(fds[0], 2000) > 0 &&
	       (n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	CHECK_EQ_STR(buf, "43 132\r\n");
	close(fds[0]);
}

/* Runs `script` on a new pty as fd 0-2, with SETSID and CTTY steps when
 * asked; returns what the master read. */
static void run_on_pty(const char *script, int setsid, int ctty, struct run_result *res, char *buf, size_t n)
{
	int32_t fds[2];
	struct req r;
	size_t len = 0;
	ssize_t k;
	CHECK_EQ_INT(L.pty_open(80, 24, fds), 0);
	{
		const int32_t map[][2] = {{fds[1], 0}, {fds[1], 1}, {fds[1], 2}};
		req_sh(&r, script);
		req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
	}
	if (setsid)
		req_step(&r, ASP_OP_SETSID, 0, 0);
	if (ctty)
		req_step_u32(&r, ASP_OP_CTTY, 0);
	run_req(&r, res);
	close(fds[1]);
	while (len + 1 < n && wait_readable(fds[0], 2000) > 0 && (k = read(fds[0], buf + len, n - 1 - len)) > 0)
		len += (size_t)k;
	buf[len] = 0;
	close(fds[0]);
}

static void controlling_terminal(void)
{
	struct run_result res;
	char buf[256];
	/* /dev/tty opens only for a process with a controlling terminal. */
	run_on_pty("echo via-tty >/dev/tty", 1, 1, &res, buf, sizeof buf);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.code, 0);
	CHECK_EQ_STR(buf, "via-tty\r\n");
	/* Without the step: no controlling terminal. */
	run_on_pty("{ echo via-tty >/dev/tty; } 2>/dev/null || echo none", 1, 0, &res, buf, sizeof buf);
	CHECK_EQ_STR(buf, "none\r\n");
	/* Not a session leader: the kernel refuses, and the step is named. */
	run_on_pty("true", 0, 1, &res, buf, sizeof buf);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], EPERM);
	CHECK_EQ_INT(res.rec[1], 1);
}

TEST_LIST(pty_tests) = {
	{"pty: a pair opens with its size, CLOEXEC, the master non-blocking", opens_a_pair_with_its_size},
	{"pty: bad sizes and fds are errors", rejects_bad_sizes},
	{"pty: the child sees the window size at its start", the_child_sees_the_size_at_its_start},
	{"pty: CTTY makes it the controlling terminal of a session leader", controlling_terminal},
	{0, 0},
};
