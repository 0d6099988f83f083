/*
 * One read of the stdout scenario's producer (`head -c BYTES /dev/zero`,
 * stdin /dev/null) to EOF: its stdout a fresh pipe of the size asked for,
 * read by an epoll loop with non-blocking reads, then reaped. reader_floor.c
 * tunes and times it in bench-c's process; libbench-floor.so gives it to
 * bench/scenarios/pipe.ts to time in the runtime's process, in turn with
 * the library (a floor timed by a process of its own drifts from the JS
 * figures on a noisy host).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define HEAD_PATH "/usr/bin/head"

/* Starts the producer of `bytes` onto a fresh pipe of pipe_size; its read end in *rd. */
static int produce(long bytes, long pipe_size, int nonblock, int *rd)
{
	char count[32], *argv[] = {"head", "-c", count, "/dev/zero", 0};
	int p[2], pid;
	snprintf(count, sizeof count, "%ld", bytes);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Before the producer writes: the size applies to the pipe, both ends. */
	if (fcntl(p[0], F_SETPIPE_SZ, (int)pipe_size) < 0 ||
	    (nonblock && fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	pid = vfork_exec(HEAD_PATH, argv, p[1], -1);
	close(p[1]);
	if (pid < 0)
		close(p[0]);
	else
		*rd = p[0];
	return pid;
}

static int reap(int pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status == 0 ? 0 : -EPROTO;
}

int read_to_eof(long bytes, long pipe_size, long read_size, char *buf)
{
	struct epoll_event e = {.events = EPOLLIN}, ev;
	long got = 0;
	ssize_t n;
	int rd, ep, pid = produce(bytes, pipe_size, 1, &rd);
	if (pid < 0)
		return pid;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rd, &e) < 0) {
		int r = -errno;
		if (ep >= 0)
			close(ep);
		close(rd); /* the producer ends on EPIPE */
		reap(pid);
		return r;
	}
	for (;;) {
		n = read(rd, buf, (size_t)read_size);
		if (n > 0) {
			got += n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN)
			epoll_wait(ep, &ev, 1, -1);
		else if (errno != EINTR)
			break;
	}
	close(ep);
	close(rd);
	return reap(pid) < 0 || got != bytes ? -EPROTO : 0;
}

int splice_to_null(long bytes, long pipe_size)
{
	long got = 0;
	ssize_t n;
	int rd, pid, null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return -errno;
	if ((pid = produce(bytes, pipe_size, 0, &rd)) < 0) {
		close(null);
		return pid;
	}
	while ((n = splice(rd, 0, null, 0, (size_t)1 << 30, SPLICE_F_MOVE)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			got += n;
	close(null);
	close(rd);
	return reap(pid) < 0 || got != bytes ? -EPROTO : 0;
}

/* The library's entry: `mib` MiB read to EOF; 0, or -errno. */
int bench_reader_floor(int mib, int pipe_size, int read_size)
{
	char *buf = malloc((size_t)read_size);
	int r;
	if (!buf)
		return -ENOMEM;
	r = read_to_eof((long)mib << 20, pipe_size, read_size, buf);
	free(buf);
	return r;
}
