/*
 * A parent with a large fd table (thousands of live children hold a pidfd
 * each): a child that shares our table until it unshares must copy only the
 * fds it needs, whatever the table's size, and everything must still work
 * when the reserved low numbers (lib/c/low_fds.c) run out or were taken
 * over by someone else's code.
 */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The spawns of this process share our fd table until the child unshares:
 * on the CLONE_VM mechanisms once the reactor runs, which these tests
 * start (as the TypeScript API always does). */
static int table_shared(void)
{
	static int started;
	int32_t fd;
	if (!started)
		started = L.reactor_open(&fd) >= 0;
	CHECK(started);
	return (L.capabilities() & ASP_CAP_CLONE_VM) != 0;
}

/* Open up to `want` extra fds (fewer if RLIMIT_NOFILE does not allow):
 * their numbers are in fds[]; returns how many. */
static int grow_table(int *fds, int want)
{
	struct rlimit lim;
	int n = 0, room;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max < 8192 ? lim.rlim_max : 8192;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	getrlimit(RLIMIT_NOFILE, &lim);
	room = (int)lim.rlim_cur - count_fds() - 200; /* what the children need */
	if (want > room)
		want = room;
	for (; n < want; n++) {
		fds[n] = fcntl(2, F_DUPFD_CLOEXEC, 0);
		if (fds[n] < 0)
			break;
	}
	return n;
}

static void shrink_table(const int *fds, int n)
{
	while (n > 0)
		close(fds[--n]);
}

static int big[8192];

static void child_copies_what_it_needs(void)
{
	/* The child's table size after exec (FDSize) is what it copied. */
	int shared = table_shared(), fds0 = count_fds(), n = grow_table(big, 3000), p[2];
	struct req r;
	struct run_result res;
	char size[32], via[16] = {0};
	const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}, {0, 3}};
	int32_t all[4][2];
	CHECK(n >= 600); /* a table above the 512 fds the kernel allocates at once */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	memcpy(all, map, sizeof all);
	all[3][0] = p[1]; /* a caller's fd, high in the table */
	req_sh(&r, "echo via3 >&3; exec grep FDSize /proc/self/status");
	req_fd_map(&r, (const int32_t(*)[2])all, 4, ASP_FDMAP_CLOSE_OTHERS);
	run_req(&r, &res);
	close(p[1]);
	CHECK_EQ_INT(read(p[0], via, sizeof via - 1), 5);
	CHECK_EQ_STR(via, "via3\n");
	close(p[0]);
	CHECK_EQ_INT(res.w.code, 0);
	proc_field(res.text, "FDSize", size, sizeof size);
	if (shared)
		CHECK(atoi(size) > 0 && atoi(size) <= 256);
	else /* the fallbacks copy the whole table in clone */
		CHECK(atoi(size) >= 1024);
	shrink_table(big, n);
	CHECK_EQ_INT(count_fds(), fds0);
}

/* The lowest of the reserved numbers (the pipe whose read end sits at many
 * numbers), or -1. */
static int lowest_reserved(void)
{
	static ino_t inos[1024];
	struct stat st;
	int fd, k;
	for (fd = 3; fd < 1024; fd++)
		inos[fd] = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) ? st.st_ino : 0;
	for (fd = 3; fd < 1024; fd++) {
		int same = 0;
		for (k = 3; k < 1024 && inos[fd]; k++)
			same += inos[k] == inos[fd];
		if (same >= 8)
			return fd;
	}
	return -1;
}

static void small_table_child_skips_reserve(void)
{
	/* The reserve lies above the child's cut while our table is small:
	 * the child copies none of it (it used to sit at the lowest numbers,
	 * the child's own fds above it, so that every child copied and closed
	 * all 64 placeholders). */
	struct req r;
	struct run_result res;
	char size[32];
	int low, free_fd;
	const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}};
	if (!table_shared())
		return; /* no reserve without a shared table */
	low = lowest_reserved();
	free_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(free_fd);
	CHECK(low >= 64);
	CHECK(free_fd >= 0 && free_fd < low - 8); /* the child's fds land below the reserve */
	req_sh(&r, "exec grep FDSize /proc/self/status");
	req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
	run_req(&r, &res);
	CHECK_EQ_INT(res.w.code, 0);
	proc_field(res.text, "FDSize", size, sizeof size);
	CHECK(atoi(size) > 0 && atoi(size) <= low);
}

enum { BURST = 40 };

static void burst_beyond_the_reserve(void)
{
	/* 40 children in flight, three fds each kept for them: more than the
	 * 64 reserved numbers, so some copy the whole table. All must work. */
	int fds0 = count_fds(), n = grow_table(big, 3000), i;
	int32_t out[BURST][ASP_OUT_MAX];
	CHECK(n >= 600);
	for (i = 0; i < BURST; i++) {
		struct req r;
		const int32_t map[][2] = {{ASP_FD_PIPE_READ, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}};
		req_begin(&r, "/bin/cat", 0);
		req_arg(&r, "cat");
		req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
		req_end(&r);
		CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out[i], ASP_OUT_MAX), 0);
		free(r.buf);
	}
	for (i = 0; i < BURST; i++) {
		char line[32], buf[32] = {0};
		int32_t rec[3];
		struct asp_wait_result w;
		int k, len = 0, want = snprintf(line, sizeof line, "child %d\n", i);
		CHECK_EQ_INT(L.write(out[i][ASP_OUT_PIPES], line, (uint32_t)want), want);
		L.close(out[i][ASP_OUT_PIPES]);
		for (;;) {
			k = L.read(out[i][ASP_OUT_PIPES + 1], buf + len, (uint32_t)(sizeof buf - 1 - len));
			if (k == -EAGAIN) {
				wait_readable(out[i][ASP_OUT_PIPES + 1], 5000);
				continue;
			}
			if (k <= 0)
				break;
			len += k;
		}
		CHECK_EQ_STR(buf, line);
		L.close(out[i][ASP_OUT_PIPES + 1]);
		while (L.wait(out[i][ASP_OUT_PIDFD], out[i][ASP_OUT_PID], &w) == -EAGAIN)
			wait_readable(out[i][ASP_OUT_PIDFD], 5000);
		CHECK_EQ_INT(w.code, 0);
		while (L.status_read(out[i][ASP_OUT_STATUS], rec) == -EAGAIN)
			wait_readable(out[i][ASP_OUT_STATUS], 5000);
		L.close(out[i][ASP_OUT_STATUS]);
		L.close(out[i][ASP_OUT_PIDFD]);
	}
	shrink_table(big, n);
	CHECK_EQ_INT(count_fds(), fds0);
}

static void reserve_taken_over(void)
{
	/* Code that closes fds it does not own (closefrom(3), say) frees our
	 * reserved numbers, and the kernel hands them out again: the files
	 * found there must be left alone, and spawning must go on with the
	 * rest of the reserve. */
	struct stat st;
	static ino_t inos[1024];
	static int taken[1024];
	int fd, nres = 0, n, i;
	struct req r;
	struct run_result res;
	if (!table_shared())
		return; /* no reserve without a shared table */
	/* The reserve: the pipe whose read end sits at many numbers. */
	for (fd = 3; fd < 1024; fd++)
		inos[fd] = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) ? st.st_ino : 0;
	for (fd = 3; fd < 1024; fd++) {
		int same = 0, k;
		for (k = 3; k < 1024 && inos[fd]; k++)
			same += inos[k] == inos[fd];
		if (same >= 8)
			taken[nres++] = fd;
	}
	CHECK(nres >= 8);
	/* Every other number now holds a file of someone else's, each its own;
	 * not the lowest, the placeholder's own (low_fds.c): the numbers given
	 * back must still be refilled from it. */
	for (i = 1; i < nres; i += 2) {
		int p[2];
		CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
		CHECK_EQ_INT(dup3(p[0], taken[i], O_CLOEXEC), taken[i]);
		close(p[0]);
		close(p[1]);
		CHECK_EQ_INT(fstat(taken[i], &st), 0);
		inos[i] = st.st_ino;
	}
	n = grow_table(big, 3000);
	for (i = 0; i < 40; i++) {
		run_sh("echo ok", 0, &res);
		CHECK_EQ_STR(res.text, "ok\n");
	}
	for (i = 1; i < nres; i += 2) {
		CHECK_EQ_INT(fstat(taken[i], &st), 0);
		CHECK(st.st_ino == inos[i]);
	}
	/* ... and none of their files was taken in as a placeholder. */
	for (fd = 3; fd < 1024; fd++) {
		int theirs = 0, k;
		if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
			continue;
		for (k = 1; k < nres; k += 2)
			theirs |= taken[k] == fd;
		for (k = 1; k < nres && !theirs; k += 2)
			CHECK(st.st_ino != inos[k]);
	}
	for (i = 1; i < nres; i += 2)
		close(taken[i]);
	/* The rest goes too, as closefrom(3) would take it, placeholder and
	 * all: the suites after this one count their fds, and a reserve left
	 * half taken over would be theirs to drain. */
	for (i = 0; i < nres; i += 2)
		close(taken[i]);
	shrink_table(big, n);
	/* A caller's fd that lands on a number of ours, placeholder's own
	 * (the lowest: low_fds.c) included, is the caller's to map (it was
	 * refused as ours, EBADF). */
	for (i = 0; i < 2; i++) {
		int p[2];
		char buf[8] = {0};
		const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {taken[i], 1}, {2, 2}};
		CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
		CHECK_EQ_INT(dup3(p[1], taken[i], O_CLOEXEC), taken[i]);
		close(p[1]);
		req_sh(&r, "echo ok");
		req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
		run_req(&r, &res);
		close(taken[i]);
		CHECK_EQ_INT(res.w.code, 0);
		CHECK_EQ_INT(read(p[0], buf, sizeof buf - 1), 3);
		CHECK_EQ_STR(buf, "ok\n");
		close(p[0]);
	}
}

static void close_range_denied(void)
{
	/* Seccomp profiles written before close_range (Docker's until 2021)
	 * answer it with EPERM: the child must fall back to unshare, and the
	 * fd map to closing one by one. The fd map tests, run by a copy of this
	 * program under such a filter with the reactor on, must all pass. */
	struct req r;
	static struct run_result res;
	req_begin(&r, "/proc/self/exe", 0);
	req_arg(&r, "aspawn-test");
	req_arg(&r, test_library);
	req_arg(&r, "fd map");
	req_env(&r, "ASPAWN_TEST_REACTOR=1");
	req_capture(&r);
	req_seccomp_errno(&r, 436 /* close_range, both arches */, EPERM);
	run_req(&r, &res);
	CHECK_EQ_INT(res.w.code, 0);
	CHECK(strstr(res.text, " 0 failed") != 0);
}

/* count_fds() == want within timeout_ms */
static int fds_become(int want, int timeout_ms)
{
	for (; timeout_ms > 0 && count_fds() != want; timeout_ms--)
		usleep(1000);
	return count_fds() == want;
}

/* Opens the FIFO's write end once its reader (a child) is there; -1 if it
 * never came. */
static int open_writer(const char *fifo)
{
	int i, fd = -1;
	for (i = 0; i < 5000 && fd < 0; i++) {
		fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENXIO)
			usleep(1000);
		else if (fd < 0)
			break;
	}
	return fd;
}

static void held_fds_closed_before_exec(void)
{
	/* Our copies of a sharing child's fds go once it reports that it has
	 * its own table (share.c), before it execs: here it then waits in the
	 * open of a FIFO (an OPEN step). Also for a child stopped ahead of its
	 * first step (spawn_stopped), which reports long after the spawn call. */
	char dir[] = "/tmp/aspawn-fifo-XXXXXX", fifo[64];
	int i;
	if (!table_shared())
		return;
	CHECK(mkdtemp(dir) != 0);
	snprintf(fifo, sizeof fifo, "%s/f", dir);
	CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
	for (i = 0; i < 20; i++) {
		int stopped = i % 2, fds0 = count_fds(), w, err, r;
		int32_t out[ASP_OUT_MAX];
		struct asp_wait_result res;
		struct req q;
		req_sh(&q, "exit 7");
		req_capture(&q);
		req_open(&q, 3, 0, 0, fifo);
		req_end(&q);
		err = stopped ? spawn_stopped(&q, out) : L.spawn(q.buf, (uint32_t)q.len, out, ASP_OUT_MAX);
		free(q.buf);
		if (stopped && err == -EPERM)
			continue; /* SCHED_FIFO needs privileges */
		CHECK_EQ_INT(err, 0);
		if (err)
			break;
		if (stopped)
			kill(out[ASP_OUT_PID], SIGCONT);
		/* Ours alone: the pidfd and the read ends of the status pipe and stdout. */
		CHECK(fds_become(fds0 + 3, 3000));
		w = open_writer(fifo);
		CHECK(w >= 0);
		if (w < 0) /* it never reached the open: not left waiting there */
			kill(out[ASP_OUT_PID], SIGKILL);
		while ((r = L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &res)) == -EAGAIN)
			wait_readable(out[ASP_OUT_PIDFD], 5000);
		CHECK_EQ_INT(r, 1);
		if (w >= 0)
			CHECK_EQ_INT(res.code, 7);
		if (w >= 0)
			close(w);
		L.close(out[ASP_OUT_PIDFD]);
		L.close(out[ASP_OUT_STATUS]);
		L.close(out[ASP_OUT_PIPES]);
		CHECK_EQ_INT(count_fds(), fds0);
	}
	unlink(fifo);
	rmdir(dir);
}

TEST_LIST(fdtable_tests) = {
	{"fd table: a sharing child's fds held for it are closed before it execs, also when it was stopped",
	 held_fds_closed_before_exec},
	{"fd table: a child of a small table copies none of the reserved numbers", small_table_child_skips_reserve},
	{"fd table: a child of a large table copies only the fds it needs", child_copies_what_it_needs},
	{"fd table: a burst beyond the reserved numbers", burst_beyond_the_reserve},
	{"fd table: close_range denied by seccomp (EPERM): the fd-map suite passes", close_range_denied,
	 "qemu-user does not emulate seccomp filters"},
	/* Last: it takes the reserve away from this process. */
	{"fd table: reserved numbers taken over by other code are left alone", reserve_taken_over},
	{0, 0},
};
