/*
 * bench-c-channel: the floor of a worker call's round trip (bench/worker.ts).
 * Two processes pass a 16-byte message back and forth over an AF_UNIX stream
 * socketpair, each blocked in epoll_wait between messages, as an event loop
 * is at best: every round trip wakes each side once, which is what no
 * JavaScript channel can do with less. Prints one JSON object:
 *   bench-c-channel [N]   {"n":N,"p50Us":..,"p99Us":..,"perSecond":..}
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define WARMUP 200

/* Wait for fd to be readable, then read what came: bytes read, or <= 0. */
static ssize_t wait_read(int ep, int fd, char *buf, size_t len)
{
	struct epoll_event ev;
	if (epoll_wait(ep, &ev, 1, -1) != 1)
		return -1;
	return read(fd, buf, len);
}

static int watched(int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	return ep;
}

static void echo_side(int fd)
{
	char buf[64];
	int ep = watched(fd);
	ssize_t n;
	while (ep >= 0 && (n = wait_read(ep, fd, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	_exit(0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000, i;
	int sv[2], ep, status;
	char buf[64];
	uint64_t *ns, t0, start;
	pid_t pid;
	if (n < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || !(ns = malloc((size_t)n * sizeof *ns)))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		echo_side(sv[1]);
	}
	close(sv[1]);
	if (pid < 0 || (ep = watched(sv[0])) < 0)
		return 1;
	start = 0;
	for (i = -WARMUP; i < n; i++) {
		if (i == 0)
			start = now_ns();
		t0 = now_ns();
		if (write(sv[0], "0123456789abcdef", 16) != 16 || wait_read(ep, sv[0], buf, sizeof buf) != 16)
			return 1;
		if (i >= 0)
			ns[i] = now_ns() - t0;
	}
	double secs = (double)(now_ns() - start) / 1e9;
	close(sv[0]);
	waitpid(pid, &status, 0);
	printf("{\"n\":%ld,\"p50Us\":%.2f,\"p99Us\":%.2f,\"perSecond\":%.0f}\n", n, percentile_us(ns, n, 0.5),
	       percentile_us(ns, n, 0.99), (double)n / secs);
	return 0;
}
