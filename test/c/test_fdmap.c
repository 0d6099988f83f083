/* The fd map: swaps, collisions with the status fd, CLOEXEC, closing the rest. */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>

static size_t read_all(int fd, char *buf, size_t n)
{
	size_t len = 0;
	ssize_t k;
	while (len + 1 < n && (k = read(fd, buf + len, n - 1 - len)) > 0)
		len += (size_t)k;
	buf[len] = 0;
	return len;
}

/* A closed fd from `from` on. Scripts write to it as /proc/self/fd/N:
 * dash only knows single-digit redirections. */
static int free_fd(int from)
{
	while (fcntl(from, F_GETFD) >= 0)
		from++;
	return from;
}

static void swaps(void)
{
	/* X's write end at fd a, Y's at fd b; the map swaps them and also
	 * sends stdout to Y and stderr to X. */
	int x[2], y[2], a, b;
	struct req r;
	struct run_result res;
	char bx[64], by[64], script[128];
	CHECK_EQ_INT(pipe(x), 0);
	CHECK_EQ_INT(pipe(y), 0);
	a = free_fd(3);
	CHECK_EQ_INT(dup2(x[1], a), a);
	b = free_fd(a + 1);
	CHECK_EQ_INT(dup2(y[1], b), b);
	close(x[1]);
	close(y[1]);
	{
		const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {a, b}, {b, a}, {b, 1}, {a, 2}};
		snprintf(script, sizeof script, "echo a >/proc/self/fd/%d; echo b >/proc/self/fd/%d; echo c; echo d >&2",
			 a, b);
		req_sh(&r, script);
		req_fd_map(&r, map, 5, ASP_FDMAP_CLOSE_OTHERS);
	}
	run_req(&r, &res);
	close(a);
	close(b);
	CHECK_EQ_INT(res.record, 0);
	read_all(x[0], bx, sizeof bx);
	read_all(y[0], by, sizeof by);
	CHECK_EQ_STR(bx, "b\nd\n");
	CHECK_EQ_STR(by, "a\nc\n");
	close(x[0]);
	close(y[0]);
}

static void status_fd_collision(void)
{
	/* Targets cover the low fds, where our status pipe lives at spawn time:
	 * it must be moved out of the way, and exec success still reported. */
	int p[2];
	struct req r;
	struct run_result res;
	char buf[64];
	int32_t map[9][2];
	int i;
	CHECK_EQ_INT(pipe(p), 0);
	map[0][0] = ASP_FD_DEVNULL;
	map[0][1] = 0;
	for (i = 1; i < 9; i++) {
		map[i][0] = p[1];
		map[i][1] = i;
	}
	req_sh(&r, "echo hi >&8; exit 5");
	req_fd_map(&r, (const int32_t(*)[2])map, 9, ASP_FDMAP_CLOSE_OTHERS);
	run_req(&r, &res);
	close(p[1]);
	CHECK_EQ_INT(res.err, 0);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.code, 5);
	read_all(p[0], buf, sizeof buf);
	CHECK_EQ_STR(buf, "hi\n");
	close(p[0]);
}

static void same_fd_clears_cloexec(void)
{
	int p[2], n;
	struct req r;
	struct run_result res;
	char buf[64], script[64];
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	n = free_fd(3);
	CHECK_EQ_INT(dup3(p[1], n, O_CLOEXEC), n);
	close(p[1]);
	{
		const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}, {n, n}};
		snprintf(script, sizeof script, "echo kept >/proc/self/fd/%d", n);
		req_sh(&r, script);
		req_fd_map(&r, map, 4, ASP_FDMAP_CLOSE_OTHERS);
	}
	run_req(&r, &res);
	close(n);
	CHECK_EQ_INT(res.w.code, 0);
	read_all(p[0], buf, sizeof buf);
	CHECK_EQ_STR(buf, "kept\n");
	close(p[0]);
}

static void closes_the_rest(void)
{
	struct run_result res;
	int fd = open("/dev/null", O_RDONLY); /* not CLOEXEC */
	char script[256];
	snprintf(script, sizeof script,
		 "for f in 0 1 2 %d; do if [ -e /proc/self/fd/$f ]; then echo $f open; else echo $f closed; fi; done", fd);
	run_sh(script, 0, &res);
	close(fd);
	{
		char want[128];
		snprintf(want, sizeof want, "0 open\n1 open\n2 open\n%d closed\n", fd);
		CHECK_EQ_STR(res.text, want);
	}
}

static void stdio_is_blocking(void)
{
	/* We made both pipe ends O_NONBLOCK; the child's end must not be. */
	struct run_result res;
	char flags[64];
	run_sh("exec cat /proc/self/fdinfo/1", 0, &res);
	proc_field(res.text, "flags", flags, sizeof flags);
	CHECK((strtol(flags, 0, 8) & 04000) == 0);
	CHECK_EQ_INT(fcntl(0, F_GETFL) & O_NONBLOCK, 0);
}

static void stdin_pipe(void)
{
	struct req r;
	int32_t out[ASP_OUT_MAX], rec[3];
	struct asp_wait_result w;
	char buf[64] = {0};
	const int32_t map[][2] = {{ASP_FD_PIPE_READ, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}};
	int n, len = 0;
	req_begin(&r, "/bin/cat", 0);
	req_arg(&r, "cat");
	req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&r);
	CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
	free(r.buf);
	CHECK_EQ_INT(L.write(out[ASP_OUT_PIPES], "hello", 5), 5);
	L.close(out[ASP_OUT_PIPES]);
	for (;;) {
		n = L.read(out[ASP_OUT_PIPES + 1], buf + len, (uint32_t)(sizeof buf - 1 - len));
		if (n == -EAGAIN) {
			wait_readable(out[ASP_OUT_PIPES + 1], 5000);
			continue;
		}
		if (n <= 0)
			break;
		len += n;
	}
	CHECK_EQ_STR(buf, "hello");
	L.close(out[ASP_OUT_PIPES + 1]);
	while (L.status_read(out[ASP_OUT_STATUS], rec) == -EAGAIN)
		wait_readable(out[ASP_OUT_STATUS], 5000);
	while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 5000);
	CHECK_EQ_INT(w.code, 0);
	L.close(out[ASP_OUT_STATUS]);
	L.close(out[ASP_OUT_PIDFD]);
}

static void bad_fd(void)
{
	struct req r;
	struct run_result res;
	const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {999, 3}};
	req_sh(&r, "true");
	req_fd_map(&r, map, 2, ASP_FDMAP_CLOSE_OTHERS);
	run_req(&r, &res);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], EBADF);
	CHECK_EQ_INT(res.rec[1], 0);
	CHECK_EQ_INT(res.rec[2], 3);
}

static void caller_closes_at_once(void)
{
	/* The caller may close the fds it passed as soon as spawn returns,
	 * even while the child still shares our fd table. */
	int i;
	for (i = 0; i < 20; i++) {
		int p[2];
		struct req r;
		int32_t out[ASP_OUT_MAX], rec[3];
		struct asp_wait_result w;
		char buf[16] = {0};
		const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {2, 2}};
		int32_t pass[][2] = {{0, 1}};
		CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
		pass[0][0] = p[1];
		req_sh(&r, "echo hi");
		{
			int32_t all[3][2] = {{map[0][0], map[0][1]}, {pass[0][0], pass[0][1]}, {map[1][0], map[1][1]}};
			req_fd_map(&r, (const int32_t(*)[2])all, 3, ASP_FDMAP_CLOSE_OTHERS);
		}
		req_end(&r);
		CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
		close(p[1]); /* at once */
		free(r.buf);
		CHECK_EQ_INT(read(p[0], buf, sizeof buf - 1), 3);
		CHECK_EQ_STR(buf, "hi\n");
		close(p[0]);
		while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
			wait_readable(out[ASP_OUT_PIDFD], 5000);
		CHECK_EQ_INT(w.code, 0);
		while (L.status_read(out[ASP_OUT_STATUS], rec) == -EAGAIN)
			wait_readable(out[ASP_OUT_STATUS], 5000);
		L.close(out[ASP_OUT_STATUS]);
		L.close(out[ASP_OUT_PIDFD]);
	}
}

static void killed_at_once_leaks_nothing(void)
{
	/* SIGKILL before the child could unshare its fd table: what we kept
	 * open for it is closed once it is reaped, and its status pipe ends. */
	int i, fds0 = count_fds();
	for (i = 0; i < 50; i++) {
		struct req r;
		int32_t out[ASP_OUT_MAX], rec[3];
		struct asp_wait_result w;
		int n;
		req_sh(&r, "sleep 5");
		req_capture(&r);
		req_end(&r);
		CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
		free(r.buf);
		CHECK_EQ_INT(L.kill(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGKILL), 0);
		while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
			wait_readable(out[ASP_OUT_PIDFD], 5000);
		CHECK_EQ_INT(w.code, SIGKILL);
		while ((n = L.status_read(out[ASP_OUT_STATUS], rec)) == -EAGAIN)
			wait_readable(out[ASP_OUT_STATUS], 5000);
		CHECK_EQ_INT(n, 0);
		L.close(out[ASP_OUT_STATUS]);
		L.close(out[ASP_OUT_PIDFD]);
		L.close(out[ASP_OUT_PIPES]);
	}
	CHECK_EQ_INT(count_fds(), fds0);
}

static void large_map_closed_source(void)
{
	/* Over 64 entries the sources are passed through as encoded. A closed
	 * one could be the number the status pipe takes next and the program
	 * would get our end: spawn refuses at once (EBADF, the map's step). */
	enum { N = 68 };
	static int32_t map[N][2];
	int32_t out[ASP_OUT_MAX];
	struct req r;
	int i, fds0, closed = free_fd(3);
	for (i = 0; i < N - 1; i++) {
		map[i][0] = 2;
		map[i][1] = i + 3;
	}
	map[N - 1][0] = closed;
	map[N - 1][1] = 100;
	req_sh(&r, "true");
	req_fd_map(&r, (const int32_t(*)[2])map, N, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&r);
	fds0 = count_fds();
	CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), -EBADF);
	CHECK_EQ_INT(out[ASP_OUT_STEP], 0);
	CHECK_EQ_INT(count_fds(), fds0);
	/* With the source open, the same map runs. */
	map[N - 1][0] = 2;
	free(r.buf);
	{
		struct run_result res;
		req_sh(&r, "[ -e /proc/self/fd/100 ]");
		req_fd_map(&r, (const int32_t(*)[2])map, N, ASP_FDMAP_CLOSE_OTHERS);
		run_req(&r, &res);
		CHECK_EQ_INT(res.w.code, 0);
	}
}

TEST_LIST(fdmap_tests) = {
	{"fd map: over 64 entries, a closed source fails at once", large_map_closed_source},
	{"fd map: the caller closes its fds right after spawn", caller_closes_at_once},
	{"fd map: a child killed at once leaks no fd", killed_at_once_leaks_nothing},
	{"fd map: swaps", swaps},
	{"fd map: targets over the status fd", status_fd_collision},
	{"fd map: n -> n clears FD_CLOEXEC", same_fd_clears_cloexec},
	{"fd map: everything else is closed", closes_the_rest},
	{"fd map: the child's pipe ends block", stdio_is_blocking},
	{"fd map: stdin and stdout pipes", stdin_pipe},
	{"fd map: a closed source fd", bad_fd},
	{0, 0},
};
