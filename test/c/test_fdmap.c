/* The fd map: swaps, collisions with the status fd, CLOEXEC, closing the rest. */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>

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
	/* Over 64 entries a closed source fails at once: EBADF, the map's
	 * step and the target, as the child would report it. */
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
	CHECK_EQ_INT(out[ASP_OUT_DETAIL], 100);
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

/* An fd above every open one, with room below it for the few fds a test
 * opens before it fills fds from there up. */
static int above_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int top = 2;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) > top)
			top = atoi(e->d_name);
	closedir(d);
	return top + 8;
}

/*
 * A map of 4096 entries: 0 and 1 /dev/null, 2 kept, and a chain of 4093
 * entries over fds base.. that overlap (a shift or a reversal). The sources
 * are /dev/null but for a few, which are pipes: the child writes each
 * one's target number into it, so we see which target each pipe reached.
 * The child may spend little CPU before exec: the parallel move once took
 * cubic time (seconds of CPU for such a chain, while sharing our memory).
 */
extern int test_scale;
enum { BIG_MAP = 4096, CHAIN = BIG_MAP - 3, PROBES = 5 };

static void big_chain(int32_t (*dst_of)(int32_t k, int32_t base))
{
	static int32_t map[BIG_MAP][2];
	static const int32_t probe_k[PROBES] = {0, 1, CHAIN / 2, CHAIN - 2, CHAIN - 1};
	struct rlimit old, lim;
	struct req r;
	struct run_result res;
	char script[512], buf[64], want[32];
	int pipes[PROBES][2], base, null, i, k, len = 0;
	double cpu_ms, limit_ms = 500.0 * (getenv("ASPAWN_TEST_QEMU_USER") ? 10 : test_scale);

	CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	if (lim.rlim_cur < 3 * BIG_MAP) {
		/* Raising the hard limit takes privilege (root in the arm64 VM,
		 * whose hard limit is 4096). */
		lim.rlim_cur = 3 * BIG_MAP;
		if (lim.rlim_max < lim.rlim_cur)
			lim.rlim_max = lim.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &lim) < 0) {
			lim = old;
			lim.rlim_cur = lim.rlim_max;
			CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &lim), 0);
		}
	}
	base = above_open_fds();
	if ((rlim_t)base + CHAIN + 64 > lim.rlim_cur) {
		fprintf(stderr, "  FAIL %s: RLIMIT_NOFILE %lu is too low\n", check_current, (unsigned long)lim.rlim_cur);
		check_failures++;
		return;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (k = 0; k < CHAIN; k++)
		CHECK_EQ_INT(dup2(null, base + k), base + k);
	close(null);
	for (i = 0; i < PROBES; i++) {
		CHECK_EQ_INT(pipe2(pipes[i], O_CLOEXEC), 0);
		CHECK_EQ_INT(dup2(pipes[i][1], base + probe_k[i]), base + probe_k[i]);
		close(pipes[i][1]);
	}
	map[0][0] = ASP_FD_DEVNULL;
	map[0][1] = 0;
	map[1][0] = ASP_FD_DEVNULL;
	map[1][1] = 1;
	map[2][0] = 2;
	map[2][1] = 2;
	for (k = 0; k < CHAIN; k++) {
		map[3 + k][0] = base + k;
		map[3 + k][1] = dst_of(k, base);
	}
	len = snprintf(script, sizeof script, "for f in");
	for (i = 0; i < PROBES; i++)
		len += snprintf(script + len, sizeof script - (size_t)len, " %d", dst_of(probe_k[i], base));
	snprintf(script + len, sizeof script - (size_t)len, "; do echo $f >/proc/self/fd/$f || exit 1; done");
	req_sh(&r, script);
	req_fd_map(&r, (const int32_t(*)[2])map, BIG_MAP, ASP_FDMAP_CLOSE_OTHERS);
	run_req(&r, &res);
	for (k = 0; k < CHAIN; k++)
		close(base + k);
	CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK_EQ_INT(res.err, 0);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.code, 0);
	for (i = 0; i < PROBES; i++) {
		read_all(pipes[i][0], buf, sizeof buf);
		snprintf(want, sizeof want, "%d\n", dst_of(probe_k[i], base));
		CHECK_EQ_STR(buf, want);
		close(pipes[i][0]);
	}
	cpu_ms = (res.w.user_us + res.w.system_us) / 1000.0;
	if (cpu_ms >= limit_ms) {
		fprintf(stderr, "  FAIL %s: the child used %.0f ms of CPU (limit %.0f)\n", check_current, cpu_ms, limit_ms);
		check_failures++;
	}
}

/* base+k -> base+k+1: each target is the source of the entry before it. */
static int32_t shift_up(int32_t k, int32_t base) { return base + k + 1; }
/* base+k -> base+CHAIN-1-k: 2046 swaps. */
static int32_t reverse(int32_t k, int32_t base) { return base + CHAIN - 1 - k; }

static void big_shift_chain(void) { big_chain(shift_up); }
static void big_reversal(void) { big_chain(reverse); }

/*
 * Random maps over a few fds (swaps, cycles, chains, n -> n, /dev/null,
 * repeated targets: the last entry wins), with and without closing the
 * rest: `ls -l /proc/self/fd` in the child shows what each fd holds.
 */
static void random_maps(void)
{
	enum { FILES = 12, SPAN = 20, MAXN = 24, ROUNDS = 40 };
	char path[FILES][64]; /* what readlink shows: "pipe:[inode]" */
	uint32_t seed = 12345;
	int base = above_open_fds(), i, round;
	for (i = 0; i < FILES; i++) {
		int p[2];
		struct stat st;
		CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
		CHECK_EQ_INT(dup3(p[1], base + i, O_CLOEXEC), base + i);
		close(p[0]);
		close(p[1]);
		fstat(base + i, &st);
		snprintf(path[i], sizeof path[i], "pipe:[%lu]", (unsigned long)st.st_ino);
	}
	for (round = 0; round < ROUNDS; round++) {
		int32_t map[MAXN + 3][2];
		const char *want[SPAN];
		uint32_t flags = round & 1 ? ASP_FDMAP_CLOSE_OTHERS : 0;
		int n, k, bad = 0;
		struct req r;
		struct run_result res;
		char *line;
		seed = seed * 1103515245u + 12345u;
		n = 1 + (int)(seed >> 16) % MAXN;
		map[0][0] = ASP_FD_DEVNULL;
		map[0][1] = 0;
		map[1][0] = ASP_FD_PIPE_WRITE;
		map[1][1] = 1;
		map[2][0] = ASP_FD_DEVNULL; /* busybox ls complains of its own fds */
		map[2][1] = 2;
		for (k = 0; k < SPAN; k++)
			want[k] = 0;
		for (k = 0; k < n; k++) {
			int s, d;
			seed = seed * 1103515245u + 12345u;
			s = (int)(seed >> 16) % (FILES + 1);
			seed = seed * 1103515245u + 12345u;
			d = (int)(seed >> 16) % SPAN;
			map[3 + k][0] = s == FILES ? ASP_FD_DEVNULL : base + s;
			map[3 + k][1] = base + d;
			want[d] = s == FILES ? "/dev/null" : path[s];
		}
		req_begin(&r, "/bin/ls", 0);
		req_arg(&r, "ls");
		req_arg(&r, "-l");
		req_arg(&r, "/proc/self/fd");
		req_fd_map(&r, (const int32_t(*)[2])map, (uint32_t)n + 3, flags);
		run_req(&r, &res);
		CHECK_EQ_INT(res.w.code, 0);
		/* "... 23 -> pipe:[4567]" per fd */
		for (line = strtok(res.text, "\n"); line; line = strtok(0, "\n")) {
			char *arrow = strstr(line, " -> "), *num;
			int fd;
			if (!arrow)
				continue;
			*arrow = 0;
			num = strrchr(line, ' ');
			fd = atoi(num + 1) - base;
			if (fd < 0)
				continue;
			if (fd >= SPAN || !want[fd] || strcmp(want[fd], arrow + 4) != 0)
				bad = 1;
			else
				want[fd] = 0; /* seen */
		}
		for (k = 0; k < SPAN; k++)
			bad |= want[k] != 0;
		if (bad) {
			fprintf(stderr, "  FAIL %s: round %d, flags %u, map:", check_current, round, flags);
			for (k = 3; k < n + 3; k++)
				fprintf(stderr, " %d->%d", map[k][0] < 0 ? -1 : map[k][0] - base, map[k][1] - base);
			fprintf(stderr, "\n");
			check_failures++;
		}
	}
	for (i = 0; i < FILES; i++)
		close(base + i);
}

static void large_map_with_pipes(void)
{
	/* Pipes in a map of more than 64 entries (they were refused: EINVAL). */
	enum { N = 100 };
	static int32_t map[N][2];
	struct req r;
	struct run_result res;
	int i;
	map[0][0] = ASP_FD_PIPE_READ;
	map[0][1] = 0;
	map[1][0] = ASP_FD_PIPE_WRITE;
	map[1][1] = 1;
	map[2][0] = 2;
	map[2][1] = 2;
	for (i = 3; i < N; i++) {
		map[i][0] = i % 2 ? 2 : ASP_FD_DEVNULL;
		map[i][1] = i + 7;
	}
	req_sh(&r, "[ -e /proc/self/fd/106 ] && [ -e /proc/self/fd/10 ] && [ ! -e /proc/self/fd/107 ] && read x; echo ok $x");
	req_fd_map(&r, (const int32_t(*)[2])map, N, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&r);
	memset(&res, 0, sizeof res);
	res.err = L.spawn(r.buf, (uint32_t)r.len, res.out, ASP_OUT_MAX);
	CHECK_EQ_INT(res.err, 0);
	free(r.buf);
	if (res.err < 0)
		return;
	CHECK_EQ_INT(L.write(res.out[ASP_OUT_PIPES], "in\n", 3), 3);
	L.close(res.out[ASP_OUT_PIPES]);
	CHECK_EQ_INT(fcntl(res.out[ASP_OUT_PIPES + 1], F_SETFL, 0), 0); /* blocking */
	read_all(res.out[ASP_OUT_PIPES + 1], res.text, sizeof res.text);
	L.close(res.out[ASP_OUT_PIPES + 1]);
	CHECK_EQ_STR(res.text, "ok in\n");
	while (L.wait(res.out[ASP_OUT_PIDFD], res.out[ASP_OUT_PID], &res.w) == -EAGAIN)
		wait_readable(res.out[ASP_OUT_PIDFD], 5000);
	CHECK_EQ_INT(res.w.code, 0);
	L.close(res.out[ASP_OUT_PIDFD]);
	L.close(res.out[ASP_OUT_STATUS]);
}

TEST_LIST(fdmap_tests) = {
	{"fd map: over 64 entries, with pipes", large_map_with_pipes},
	{"fd map: random maps", random_maps},
	{"fd map: 4096 entries, a shift chain, in linear time", big_shift_chain},
	{"fd map: 4096 entries, a reversal, in linear time", big_reversal},
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
