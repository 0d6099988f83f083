/*
 * The least a library can do per child in a JS runtime whose event loop
 * takes no fd but the runtime's own streams: the JS thread vforks (stdout a
 * pipe), a helper thread waits on the child's pidfd in its own epoll set,
 * reads stdout, reaps, and writes one record to a pipe the runtime's loop
 * reads. The JS thread wakes once per child, through the runtime (the
 * library's reactor wakes it two or three times). bench/ffi/floors.ts's
 * wakeFloor() times it in the storm and echo scenarios, beside the C
 * floors that never wake a JS thread: the gap between the two is the
 * runtime's wake-up, which no library removes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define SLOTS 256
#define STOP SLOTS /* the epoll data of the stop eventfd */
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* A slot is the JS side's until it has read the slot's record. */
struct wake_slot {
	int pid, pidfd, out, echo;
};

static struct wake_slot slots[SLOTS];
static int ep = -1, stop_fd = -1, notify[2] = {-1, -1};
static pthread_t helper;

static char *const echo_argv[] = {"echo", "hello", 0};
static char *const true_argv[] = {"true", 0};

/* The child is gone: its stdout is whole in the pipe, and at EOF. */
static int32_t finish(struct wake_slot *s)
{
	char buf[256];
	size_t len = 0;
	ssize_t n;
	siginfo_t si = {0};
	while ((n = read(s->out, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	close(s->out);
	while (waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	close(s->pidfd);
	buf[len] = 0;
	if (si.si_code != CLD_EXITED || si.si_status != 0)
		return -ECHILD;
	return strcmp(buf, s->echo ? "hello\n" : "") == 0 ? 0 : -EPROTO;
}

static void *helper_main(void *arg)
{
	struct epoll_event ev[64];
	(void)arg;
	for (;;) {
		int n = epoll_wait(ep, ev, 64, -1), i;
		int32_t rec[2 * 64];
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		for (i = 0; i < n; i++) {
			uint32_t k = ev[i].data.u32;
			if (k == STOP)
				return 0;
			rec[2 * i] = (int32_t)k;
			rec[2 * i + 1] = finish(&slots[k]);
		}
		/* One write per wake, as the library's reactor batches its records. */
		if (write(notify[1], rec, (size_t)n * 8) < 0)
			return 0;
	}
}

/* How many children may be in flight: slots 0 to this, less one. */
int bench_wake_slots(void)
{
	return SLOTS;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The fd the runtime's loop reads: 8-byte records {slot, 0 or -errno}; -errno if it failed
 * (then nothing is left open, and the next call tries again). */
int bench_wake_open(void)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u32 = STOP};
	int err = 0;
	if (ep >= 0)
		return notify[0];
	ep = epoll_create1(EPOLL_CLOEXEC);
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ep < 0 || stop_fd < 0 || pipe2(notify, O_CLOEXEC) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &e) < 0)
		err = -errno;
	else
		err = -pthread_create(&helper, 0, helper_main, 0); /* it returns the error, errno is untouched */
	if (err == 0)
		return notify[0];
	close_fd(&ep);
	close_fd(&stop_fd);
	close_fd(&notify[0]);
	close_fd(&notify[1]);
	return err;
}

/* Spawn /bin/echo hello (echo) or /bin/true into a free slot: 0, or -errno. */
int bench_wake_spawn(int echo, int slot)
{
	struct epoll_event e = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = (uint32_t)slot};
	struct wake_slot *s;
	if (slot < 0 || slot >= SLOTS || ep < 0)
		return -EINVAL;
	s = &slots[slot];
	s->echo = echo;
	s->pid = vfork_spawn(echo ? "/bin/echo" : "/bin/true", echo ? echo_argv : true_argv, 0, &s->out);
	if (s->pid < 0)
		return s->pid;
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd < 0) {
		int err = -errno;
		close(s->out);
		waitpid(s->pid, 0, 0);
		return err;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->pidfd, &e) < 0) {
		int err = -errno;
		close(s->out);
		close(s->pidfd);
		waitpid(s->pid, 0, 0);
		return err;
	}
	return 0;
}

/* The helper stops; its fds close (they would count as left behind), the
 * read end unless the runtime's stream owns it and closes it itself. */
int bench_wake_close(int close_read)
{
	uint64_t one = 1;
	if (ep < 0)
		return 0;
	if (write(stop_fd, &one, sizeof one) < 0)
		return -errno;
	pthread_join(helper, 0);
	close_fd(&ep);
	close_fd(&stop_fd);
	if (close_read)
		close_fd(&notify[0]);
	notify[0] = -1;
	close_fd(&notify[1]);
	return 0;
}
