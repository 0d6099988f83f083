/* asp_kill_tree: every descendant is reached, even one forked while the kill runs. */
#define _GNU_SOURCE
#include "helpers.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define FORKER_CHILDREN 1000

/*
 * aspawn-test --tree-forker MARKER: forks children in a tight loop (at most
 * FORKER_CHILDREN); every fourth child forks three children of its own; all
 * then wait for a signal. MARKER in the command line names them all.
 */
int tree_forker(void)
{
	int i, j;
	for (i = 0; i < FORKER_CHILDREN; i++) {
		if (fork() != 0)
			continue;
		if (i % 4 == 0)
			for (j = 0; j < 3 && fork() != 0; j++)
				;
		break;
	}
	for (;;)
		pause();
}

/* aspawn-test --tree-vfork MARKER: a vfork whose child does not exec for
 * 30 s, so the parent cannot stop (uninterruptible until then). */
int tree_vfork(void)
{
	if (vfork() == 0) {
		sleep(30);
		_exit(0);
	}
	for (;;)
		pause();
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, 0);
}

static int number_of_children(int pid)
{
	char path[64], buf[8192];
	int fd, n = 0;
	ssize_t len, i;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof buf);
	close(fd);
	for (i = 0; i < len; i++)
		n += buf[i] == ' ';
	return n;
}

/* Live (not zombie) processes whose command line holds `marker`; with
 * `sig`, each is sent it. */
static int marked(const char *marker, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	size_t mlen = strlen(marker);
	while (d && (e = readdir(d))) {
		char path[64], buf[512], *p;
		ssize_t len, i;
		int fd;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf);
		close(fd);
		for (i = 0; len > 0 && i + (ssize_t)mlen <= len; i++)
			if (memcmp(buf + i, marker, mlen) == 0)
				break;
		if (len <= 0 || i + (ssize_t)mlen > len)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		p = strrchr(buf, ')');
		if (!p || p[2] == 'Z' || p[2] == 'X')
			continue;
		n++;
		if (sig)
			kill(atoi(e->d_name), sig);
	}
	if (d)
		closedir(d);
	return n;
}

/* Our fds that are pidfds (the walk holds one for each descendant). With
 * the reactor running the total moves as the library refills its low-fd
 * reserve, so count these. */
static int count_pidfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		char path[64], link[64];
		ssize_t len;
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof link - 1);
		if (len > 0) {
			link[len] = 0;
			n += strcmp(link, "anon_inode:[pidfd]") == 0;
		}
	}
	if (d)
		closedir(d);
	return n;
}

static void reap(const int32_t *out, struct asp_wait_result *w)
{
	while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], w) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 5000);
}

static void forking_tree(void)
{
	static const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_DEVNULL, 1}, {2, 2}};
	char self[512], marker[64], prefix[64];
	int round, pidfds = count_pidfds(), escaped = 0, left, i;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	CHECK(n > 0);
	if (n <= 0)
		return;
	self[n] = 0;
	snprintf(prefix, sizeof prefix, "aspawn-tree-%d-", (int)getpid());
	for (round = 0; round < 40; round++) {
		struct req r;
		struct asp_wait_result w;
		int32_t out[ASP_OUT_MAX], rec[3];
		int want = 1 + (round * 7) % 40, sig = round % 2 ? SIGTERM : SIGKILL, k;
		snprintf(marker, sizeof marker, "%s%d", prefix, round);
		req_begin(&r, self, 0);
		req_arg(&r, "aspawn-test");
		req_arg(&r, "--tree-forker");
		req_arg(&r, marker);
		req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
		req_death_signal(&r);
		req_end(&r);
		CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
		free(r.buf);
		/* Killed while it forks, after a varying number of children. */
		for (k = 0; k < 20000 && number_of_children(out[ASP_OUT_PID]) < want; k++)
			usleep(100);
		CHECK_EQ_INT(L.kill_tree(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], sig, 0), 1);
		reap(out, &w);
		CHECK_EQ_INT(w.si_code, 2);
		CHECK_EQ_INT(w.code, sig);
		L.status_read(out[ASP_OUT_STATUS], rec);
		L.close(out[ASP_OUT_STATUS]);
		/* Killed or reparented: the survivors are the escaped. */
		for (i = 0; i < 200 && (left = marked(marker, 0)) > 0; i++)
			sleep_ms(10);
		if (left > 0) {
			fprintf(stderr, "    round %d (%s): %d escaped\n", round, sig == SIGKILL ? "SIGKILL" : "SIGTERM", left);
			escaped += left;
		}
		/* A reaped child: false from now on, nothing signalled. */
		CHECK_EQ_INT(L.kill_tree(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGKILL, 0), 0);
		L.close(out[ASP_OUT_PIDFD]);
	}
	CHECK_EQ_INT(escaped, 0);
	/* Escaped forkers may still fork: until none is left. */
	for (i = 0; i < 500 && marked(prefix, SIGKILL) > 0; i++)
		sleep_ms(10);
	CHECK_EQ_INT(marked(prefix, 0), 0);
	CHECK_EQ_INT(count_zombie_children(), 0);
	CHECK_EQ_INT(count_pidfds(), pidfds);
}

static char state_of(int pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t len;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	p = strrchr(buf, ')');
	return p ? p[2] : 0;
}

static void stop_and_continue(void)
{
	/* SIGSTOP leaves the whole tree stopped (no SIGCONT after it); SIGCONT
	 * resumes it; SIGTERM then reaches a grandchild that left the session. */
	struct req r;
	struct asp_wait_result w;
	int32_t out[ASP_OUT_MAX], rec[3];
	int grandchild = 0, k;
	req_sh(&r, "setsid sleep 100 & exec sleep 100");
	req_capture(&r);
	req_death_signal(&r);
	req_end(&r);
	CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
	free(r.buf);
	for (k = 0; k < 20000 && number_of_children(out[ASP_OUT_PID]) < 1; k++)
		usleep(100);
	{
		char path[64], buf[64];
		int fd;
		ssize_t len;
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", out[ASP_OUT_PID], out[ASP_OUT_PID]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (len > 0) {
			buf[len] = 0;
			grandchild = atoi(buf);
		}
	}
	CHECK(grandchild > 0);
	CHECK_EQ_INT(L.kill_tree(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGSTOP, 0), 1);
	CHECK_EQ_INT(state_of(out[ASP_OUT_PID]), 'T');
	CHECK_EQ_INT(state_of(grandchild), 'T');
	CHECK_EQ_INT(L.kill_tree(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGCONT, 0), 1);
	for (k = 0; k < 200 && (state_of(out[ASP_OUT_PID]) == 'T' || state_of(grandchild) == 'T'); k++)
		sleep_ms(5);
	CHECK(state_of(out[ASP_OUT_PID]) != 'T');
	CHECK(state_of(grandchild) != 'T');
	CHECK_EQ_INT(L.kill_tree(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGTERM, 0), 1);
	reap(out, &w);
	CHECK_EQ_INT(w.code, SIGTERM);
	for (k = 0; k < 200 && state_of(grandchild) && state_of(grandchild) != 'Z'; k++)
		sleep_ms(5);
	CHECK(!state_of(grandchild) || state_of(grandchild) == 'Z');
	L.status_read(out[ASP_OUT_STATUS], rec);
	L.close(out[ASP_OUT_STATUS]);
	L.close(out[ASP_OUT_PIDFD]);
	if (out[ASP_OUT_PIPES] > 0)
		L.close(out[ASP_OUT_PIPES]);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void unstoppable(void)
{
	/* A process that cannot stop delays the kill by the bound (1 s), not
	 * for as long as it stays unstoppable; the tree is killed all the same. */
	static const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_DEVNULL, 1}, {2, 2}};
	char self[512], marker[64];
	struct req r;
	struct asp_wait_result w;
	struct timespec t0;
	int32_t out[ASP_OUT_MAX], rec[3];
	int k;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	CHECK(n > 0);
	if (n <= 0)
		return;
	self[n] = 0;
	snprintf(marker, sizeof marker, "aspawn-tree-vfork-%d", (int)getpid());
	req_begin(&r, self, 0);
	req_arg(&r, "aspawn-test");
	req_arg(&r, "--tree-vfork");
	req_arg(&r, marker);
	req_fd_map(&r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
	req_death_signal(&r);
	req_end(&r);
	CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
	free(r.buf);
	for (k = 0; k < 20000 && (number_of_children(out[ASP_OUT_PID]) < 1 || state_of(out[ASP_OUT_PID]) != 'D'); k++)
		usleep(100);
	CHECK_EQ_INT(state_of(out[ASP_OUT_PID]), 'D');
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ_INT(L.kill_tree(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGKILL, 0), 1);
	CHECK(elapsed_ms(&t0) < 3000);
	reap(out, &w);
	CHECK_EQ_INT(w.code, SIGKILL);
	for (k = 0; k < 200 && marked(marker, 0) > 0; k++)
		sleep_ms(10);
	CHECK_EQ_INT(marked(marker, SIGKILL), 0);
	L.status_read(out[ASP_OUT_STATUS], rec);
	L.close(out[ASP_OUT_STATUS]);
	L.close(out[ASP_OUT_PIDFD]);
}

TEST_LIST(tree_tests) = {
	{"tree: a child forking in a tight loop, killed 40 times, leaves no survivor", forking_tree,
	 "qemu-user cannot exec an arm64 program from a child (no binfmt_misc)"},
	{"tree: SIGSTOP stops the whole tree and SIGCONT resumes it", stop_and_continue,
	 "qemu-user cannot exec an arm64 program from a child (no binfmt_misc)"},
	{"tree: a process that cannot stop (vfork parent) delays the kill by the bound only", unstoppable,
	 "qemu-user runs vfork as fork"},
	{0, 0},
};
