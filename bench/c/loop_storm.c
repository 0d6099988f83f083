/*
 * The storm's floor: what bench/scenarios/storm.ts asks of a runtime, done
 * by one C thread around one epoll set. A 1 ms timerfd stands for the
 * runtime's setInterval(1) (a tick = one time the loop handled it, as a
 * JS callback runs at most once per loop turn); vfork + execve of
 * /bin/true with INFLIGHT children alive, stdin /dev/null, stdout a pipe
 * read to EOF, stderr inherited, the exit seen through a pidfd. A slot
 * starts its next child as soon as both its pipe and pidfd are done, in
 * the same loop turn, as a JS worker awaiting reap() would. loop_floor.c
 * times it in bench-c's process; libbench-floor.so gives its rounds to
 * bench/scenarios/storm.ts, to take turns with the library's in the
 * runtime's process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define P_PIDFD_ 3
#define TIMER_KEY ((uint64_t)-1)

enum { K_OUT, K_PIDFD };

struct slot {
	int pid, pidfd, out, open;
};

static struct slot slots[INFLIGHT];
static char *const true_argv[] = {"true", 0};
static int epfd;

static int watch(int fd, uint64_t key)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = key};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static void drop(struct slot *s, int *fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, *fd, 0);
	close(*fd);
	*fd = -1;
	s->open--;
}

static long failed_children;

static int start(int i)
{
	struct slot *s = &slots[i];
	int pid = vfork_spawn(TRUE_PATH, true_argv, O_NONBLOCK, &s->out);
	if (pid < 0)
		return pid;
	s->pid = pid; /* from here on, abandon() reaps it if we fail */
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->pidfd < 0)
		return -errno;
	s->open = 2;
	if (watch(s->out, (uint64_t)i << 1 | K_OUT) < 0 || watch(s->pidfd, (uint64_t)i << 1 | K_PIDFD) < 0)
		return -errno;
	return 0;
}

/* After a failure: the children still in flight are killed and reaped,
 * their fds closed (in a runtime's process, nothing may be left behind). */
static void abandon(void)
{
	int i;
	for (i = 0; i < INFLIGHT; i++) {
		struct slot *s = &slots[i];
		if (!s->pid)
			continue;
		kill(s->pid, SIGKILL);
		waitpid(s->pid, 0, 0);
		if (s->out >= 0)
			close(s->out);
		if (s->pidfd >= 0)
			close(s->pidfd);
		s->pid = 0;
	}
}

/* One ready fd of slot s: 1 once the slot's child is fully done. */
static int handle(struct slot *s, int kind)
{
	if (kind == K_OUT) {
		char b[4096];
		ssize_t n;
		while ((n = read(s->out, b, sizeof b)) > 0)
			;
		if (n < 0 && errno == EAGAIN)
			return 0;
		drop(s, &s->out);
	} else {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (syscall(SYS_waitid, P_PIDFD_, s->pidfd, &si, WEXITED | WNOHANG, 0) < 0 || si.si_pid == 0)
			return 0;
		if (si.si_code != CLD_EXITED || si.si_status != 0)
			failed_children++;
		drop(s, &s->pidfd);
	}
	return s->open == 0;
}

static void push(struct gaps *g, uint64_t ns)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 4096;
		g->ns = realloc(g->ns, (size_t)g->cap * sizeof *g->ns);
		if (!g->ns)
			abort();
	}
	g->ns[g->n++] = ns;
}

int loop_storm(long total, struct gaps *g, uint64_t *elapsed, long *failed)
{
	struct itimerspec its = {.it_interval = {0, 1000000}, .it_value = {0, 1000000}};
	struct epoll_event ev[64];
	long started = 0, finished = 0;
	uint64_t t0, last;
	int tfd, i, k, r = 0;

	failed_children = 0;
	for (i = 0; i < INFLIGHT; i++)
		slots[i] = (struct slot){.pid = 0, .pidfd = -1, .out = -1};
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || watch(tfd, TIMER_KEY) < 0 || timerfd_settime(tfd, 0, &its, 0) < 0) {
		r = -errno;
		goto out;
	}
	t0 = last = now_ns();
	for (i = 0; i < INFLIGHT && started < total; i++, started++)
		if ((r = start(i)) < 0)
			goto out;
	while (finished < total) {
		k = epoll_wait(epfd, ev, 64, 10000);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		for (i = 0; i < k; i++) {
			uint64_t key = ev[i].data.u64, exp;
			if (key == TIMER_KEY) {
				uint64_t t = now_ns();
				if (read(tfd, &exp, sizeof exp) > 0 && g) {
					push(g, t - last);
					last = t;
				}
				continue;
			}
			if (!handle(&slots[key >> 1], (int)(key & 1)))
				continue;
			slots[key >> 1].pid = 0; /* reaped, its fds closed */
			finished++;
			if (started < total) {
				started++;
				if ((r = start((int)(key >> 1))) < 0)
					goto out;
			}
		}
	}
	*elapsed = now_ns() - t0;
	if (g)
		push(g, now_ns() - last); /* as LoopMonitor.stop(): a loop starved to the end is seen */
out:
	if (r < 0)
		abandon();
	if (tfd >= 0)
		close(tfd);
	close(epfd);
	*failed = failed_children;
	return r;
}

/*
 * The library's entry: one round of `total` spawns. out[0] = its elapsed
 * ms, out[1..n] = the timer's gaps in ms (the last one from the last tick
 * to the end, as LoopMonitor.stop() adds); n, or -errno (-EPROTO when a
 * child failed, -ENOBUFS when cap doubles cannot hold them).
 */
int bench_loop_round(int total, double *out, int cap)
{
	struct gaps g = {0};
	uint64_t elapsed = 0;
	long failed = 0, i;
	int r = loop_storm(total, &g, &elapsed, &failed);
	if (r == 0 && failed)
		r = -EPROTO;
	if (r == 0 && g.n + 1 > cap)
		r = -ENOBUFS;
	if (r == 0) {
		out[0] = (double)elapsed / 1e6;
		for (i = 0; i < g.n; i++)
			out[1 + i] = (double)g.ns[i] / 1e6;
		r = (int)g.n;
	}
	free(g.ns);
	return r;
}

