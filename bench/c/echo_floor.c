/*
 * The echo scenario's floor: `/bin/echo hello` with stdin /dev/null,
 * stdout captured through a pipe read to EOF, stderr inherited, reaped:
 * start to "hello\n" in hand and the child reaped, by vfork + execve and by
 * posix_spawn, alternating. Blocking reads and waitpid: the least a
 * capture can do (the JS side also has its event loop to run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define ECHO_PATH "/bin/echo"

static char *const echo_argv[] = {"echo", "hello", 0};
static char *const empty_env[] = {0};

static int spawn_posix(int *out_fd)
{
	posix_spawn_file_actions_t fa;
	int p[2], e;
	pid_t pid;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	e = posix_spawn(&pid, ECHO_PATH, &fa, 0, echo_argv, empty_env);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (e) {
		close(p[0]);
		return -e;
	}
	*out_fd = p[0];
	return pid;
}

/* One capture: 0 when the child printed "hello\n" and exited 0. */
static int capture(int posix)
{
	char buf[64];
	size_t len = 0;
	ssize_t n;
	int fd, status;
	pid_t pid = posix ? spawn_posix(&fd) : vfork_spawn(ECHO_PATH, echo_argv, 0, &fd);
	if (pid < 0)
		return pid;
	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = 0;
	return status == 0 && strcmp(buf, "hello\n") == 0 ? 0 : -EPROTO;
}

int echo_floor(long n, struct lat *vfork_lat, struct lat *posix_lat)
{
	uint64_t *ns[2];
	long i, warm = n / 20 + 5;
	int j, r = 0;
	ns[0] = calloc((size_t)n, sizeof(uint64_t));
	ns[1] = calloc((size_t)n, sizeof(uint64_t));
	if (!ns[0] || !ns[1])
		abort();
	for (i = -warm; i < n && r == 0; i++)
		for (j = 0; j < 2 && r == 0; j++) {
			int m = (int)((i + warm + j) & 1); /* the order rotates, as bench/scenarios/echo.ts */
			uint64_t t0 = now_ns();
			r = capture(m);
			if (i >= 0)
				ns[m][i] = now_ns() - t0;
		}
	if (r == 0) {
		vfork_lat->n = posix_lat->n = n;
		vfork_lat->p50 = percentile_us(ns[0], n, 0.50);
		vfork_lat->p99 = percentile_us(ns[0], n, 0.99);
		posix_lat->p50 = percentile_us(ns[1], n, 0.50);
		posix_lat->p99 = percentile_us(ns[1], n, 0.99);
	}
	free(ns[0]);
	free(ns[1]);
	return r;
}
