/*
 * The spawn methods and their reaping.
 *
 * vfork and posix_spawn are reaped with waitpid, as their users do. asp and
 * the floors are reaped the way the library's JS side will: their status
 * fd, pidfd and stdout fd sit in one epoll set, each is handled when it
 * becomes ready and removed before it is closed.
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
#include "req.h"

long failed_spawns;
static int epfd = -1;
static struct req asp_req;
static char *const true_argv[] = {"true", 0};

enum { K_STATUS, K_PIDFD, K_OUT };

static int add(int fd, uint64_t data)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = data};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

/* ---- vfork + execve ------------------------------------------------------ */

static int spawn_vfork(struct child *c, uint64_t *inner_ns)
{
	int pid = vfork_spawn(TRUE_PATH, true_argv, O_NONBLOCK, &c->out_fd);
	(void)inner_ns;
	if (pid < 0)
		return pid;
	c->pid = pid;
	return 0;
}

/* ---- posix_spawn (glibc) ------------------------------------------------- */

static int spawn_posix(struct child *c, uint64_t *inner_ns)
{
	int pid = posix_spawn_out(TRUE_PATH, true_argv, O_NONBLOCK, &c->out_fd);
	(void)inner_ns;
	if (pid < 0)
		return pid;
	c->pid = pid;
	return 0;
}

/* ---- asp_spawn ----------------------------------------------------------- */

static void build_asp_req(void)
{
	static const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}};
	req_begin(&asp_req, TRUE_PATH, 0);
	req_arg(&asp_req, "true");
	req_fd_map(&asp_req, map, 3, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&asp_req);
}

static int spawn_asp(struct child *c, uint64_t *inner_ns)
{
	int32_t out[ASP_OUT_PIPES + 1];
	uint64_t key = (uint64_t)(uintptr_t)c, t0 = now_ns();
	int r = L.spawn(asp_req.buf, (uint32_t)asp_req.len, out, ASP_OUT_PIPES + 1);
	*inner_ns = now_ns() - t0;
	if (r < 0)
		return r;
	c->pid = out[ASP_OUT_PID];
	c->pidfd = out[ASP_OUT_PIDFD];
	c->status_fd = out[ASP_OUT_STATUS];
	c->out_fd = out[ASP_OUT_PIPES];
	/* The reactor registrations the JS side makes for a child it awaits
	 * (its status pipe is read at the exit). */
	if (add(c->pidfd, key | K_PIDFD) < 0 || add(c->out_fd, key | K_OUT) < 0)
		return -errno;
	c->open = 2;
	return 0;
}

static int wait_asp(struct child *c)
{
	struct asp_wait_result w;
	int r = L.wait(c->pidfd, c->pid, &w);
	if (r < 0)
		return r;
	return w.si_code == 1 /* CLD_EXITED */ ? w.code : 128 + w.code;
}

static int status_asp(int fd)
{
	int32_t rec[4];
	return L.status_read(fd, rec);
}

/* ---- the floors (floor.c) ------------------------------------------------ */

static int spawn_floor(struct child *c, uint64_t *inner_ns)
{
	(void)inner_ns;
	return floor_spawn(c, 0, 0, epfd);
}

static int spawn_floor_files(struct child *c, uint64_t *inner_ns)
{
	(void)inner_ns;
	return floor_spawn(c, 1, 0, epfd);
}

static int status_raw(int fd)
{
	char b[16];
	ssize_t n = read(fd, b, sizeof b);
	return n < 0 ? -errno : (int)n;
}

const struct method methods[NMETHODS] = {
	[M_VFORK] = {"vfork", 0, spawn_vfork, 0, 0},
	[M_POSIX_SPAWN] = {"posix_spawn", 0, spawn_posix, 0, 0},
	[M_ASP] = {"asp", 1, spawn_asp, wait_asp, status_asp},
	[M_FLOOR] = {"floor", 1, spawn_floor, floor_wait, status_raw},
	[M_FLOOR_FILES] = {"floor+FILES", 1, spawn_floor_files, floor_wait, status_raw},
};

/* ---- reaping ------------------------------------------------------------- */

static void drop(struct child *c, int *fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, *fd, 0);
	close(*fd);
	*fd = -1;
	c->open--;
}

static void note_exit(int code)
{
	if (code != 0 && failed_spawns++ < 5)
		fprintf(stderr, "bench-c: a child exited with %d\n", code);
}

/* One ready fd of a pidfd-reaped child. */
static void handle(const struct method *m, struct child *c, int kind)
{
	int r;
	switch (kind) {
	case K_STATUS:
		r = m->status(c->status_fd);
		if (r == -EAGAIN)
			return;
		if (r != 0)
			note_exit(-1000 - r); /* a pre-exec failure record */
		drop(c, &c->status_fd);
		break;
	case K_PIDFD:
		r = m->wait(c);
		if (r == -EAGAIN)
			return;
		note_exit(r);
		drop(c, &c->pidfd);
		/* The status pipe, unwatched so far: EOF, or a pre-exec failure
		 * record. Still open (a child spawned meanwhile with our fd table
		 * holds a copy until its exec): watched from now on, as the
		 * library does. */
		r = m->status(c->status_fd);
		if (r == -EAGAIN && add(c->status_fd, ((uint64_t)(uintptr_t)c) | K_STATUS) == 0) {
			c->open++;
			return;
		}
		if (r != 0)
			note_exit(-1000 - r);
		close(c->status_fd);
		c->status_fd = -1;
		break;
	case K_OUT: {
		char b[256];
		ssize_t n = read(c->out_fd, b, sizeof b);
		if (n != 0 && !(n < 0 && errno != EAGAIN))
			return;
		drop(c, &c->out_fd);
		break;
	}
	}
}

static int reap_epoll(const struct method *m, int *done, struct child *tab, int n)
{
	struct epoll_event ev[64];
	int k, i, ndone = 0;
	while (!ndone) {
		k = epoll_wait(epfd, ev, 64, 10000);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "bench-c: no child event for 10 s (%s)\n", m->name);
			exit(1);
		}
		for (i = 0; i < k; i++) {
			struct child *c = (struct child *)(uintptr_t)(ev[i].data.u64 & ~(uint64_t)3);
			handle(m, c, (int)(ev[i].data.u64 & 3));
			if (c->open == 0 && !c->reaped) {
				c->reaped = 1;
				done[ndone++] = (int)(c - tab);
			}
		}
	}
	(void)n;
	return ndone;
}

static int reap_waitpid(int *done, struct child *tab, int n)
{
	int i, st;
	/* waitpid(-1) is safe here: while a waitpid method runs, every
	 * child of the other methods has been reaped. */
	pid_t pid = n == 1 ? waitpid(tab[0].pid, &st, 0) : waitpid(-1, &st, 0);
	if (pid < 0) {
		perror("bench-c: waitpid");
		exit(1);
	}
	note_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	for (i = 0; i < n; i++)
		if (tab[i].pid == pid && !tab[i].reaped) {
			close(tab[i].out_fd);
			tab[i].out_fd = -1;
			tab[i].reaped = 1;
			done[0] = i;
			return 1;
		}
	fprintf(stderr, "bench-c: reaped an unknown child %d\n", (int)pid);
	exit(1);
}

int reap_some(const struct method *m, struct child *tab, int n, int *done)
{
	return m->pidfd_reaped ? reap_epoll(m, done, tab, n) : reap_waitpid(done, tab, n);
}

int methods_init(const char *library)
{
	if (asp_load(library) < 0)
		return -1;
	build_asp_req();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || floor_init() < 0) {
		perror("bench-c: init");
		return -1;
	}
	return 0;
}

void methods_fini(void)
{
	floor_fini();
	close(epfd);
	free(asp_req.buf);
}
