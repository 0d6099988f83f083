/*
 * The floor: the parent-side syscalls of one asp-style spawn done by hand
 * (2 x pipe2, clone3, closing the child's ends, 2 x epoll_ctl: the pidfd
 * and stdout; the status pipe is read at the exit, as spawn() does when
 * nothing waits for the exec), so the library's overhead over the bare
 * mechanism can be read off directly. With `sockets`, what a drop-in
 * execFile() must make: 3 socketpairs for stdin, stdout and stderr (Node's
 * stdio), the status pipe, the clone, 4 x epoll_ctl (its 'spawn' event
 * waits for the exec: the status pipe is watched).
 *
 * clone_files = 1: clone3 shares the fd table (CLONE_FILES) so the clone
 * does not copy it, and the child copies it itself before touching any fd,
 * as the library's does: close_range(keep_below, ~0, CLOSE_RANGE_UNSHARE)
 * copies only the fds below keep_below, and a stdout pipe end that landed
 * high (many live children) is moved first onto a number reserved while
 * the table was small (lib/c/low_fds.c does the same with 64 of them).
 * Before, the child copied the whole table (unshare): the floor grew with
 * the number of live children where spawn() did not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "floor_child.h"

#define NSLOTS (2 * INFLIGHT) /* a slot is busy from clone to exec only */
#define SLOT_SIZE ((size_t)64 << 10)
#define PAGE 4096

#define CLONE_VM_ 0x100ull
#define CLONE_FILES_ 0x400ull
#define CLONE_PIDFD_ 0x1000ull
#define CLONE_CHILD_CLEARTID_ 0x200000ull
#define CLONE_CLEAR_SIGHAND_ 0x100000000ull
#define P_PIDFD_ 3

struct slot {
	uint8_t *map; /* lowest page: PROT_NONE guard */
	volatile int32_t tid; /* CLONE_CHILD_CLEARTID word: 0 once the child exec'd or exited */
	struct floor_arg arg;
};

static struct slot slots[NSLOTS];
/* The reserved low number (holding `placeholder` while free), and fds at
 * or above MOVE_FROM worth moving onto it. */
static int reserved = -1, placeholder = -1, reserved_busy;
#define MOVE_FROM 256
static char *const true_argv[] = {"true", 0};
extern char **environ; /* the children's, as a runtime's get theirs */

int floor_init(void)
{
	int i;
	if (placeholder < 0) {
		placeholder = open("/dev/null", O_RDONLY | O_CLOEXEC);
		reserved = placeholder < 0 ? -1 : fcntl(placeholder, F_DUPFD_CLOEXEC, 3);
	}
	for (i = 0; i < NSLOTS; i++) {
		void *m = mmap(0, SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (m == MAP_FAILED || mprotect(m, PAGE, PROT_NONE) < 0)
			return -errno;
		slots[i].map = m;
		slots[i].tid = 0;
		slots[i].arg.path = TRUE_PATH;
		slots[i].arg.argv = true_argv;
		slots[i].arg.envp = environ;
	}
	return 0;
}

void floor_fini(void)
{
	int i;
	if (placeholder >= 0 && !reserved_busy) {
		close(placeholder);
		if (reserved >= 0)
			close(reserved);
		placeholder = reserved = -1;
	}
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].map) {
			munmap(slots[i].map, SLOT_SIZE);
			slots[i].map = 0;
		}
}

static struct slot *slot_get(void)
{
	for (;;) {
		int i;
		for (i = 0; i < NSLOTS; i++)
			if (__atomic_load_n(&slots[i].tid, __ATOMIC_ACQUIRE) == 0)
				return &slots[i];
		/* Cannot happen with NSLOTS > INFLIGHT; kept so a bug shows as a stall, not corruption. */
		sched_yield();
	}
}

static int add(int epfd, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static void close2(int *p)
{
	close(p[0]);
	close(p[1]);
}

/* The child's stdio: one pipe for stdout; or, with `sockets`, a socketpair
 * for each of stdin, stdout and stderr, as libuv makes Node's "pipe" stdio
 * (what execFile() has to make). [i][0] is ours, [i][1] the child's. */
static int open_stdio(int sockets, int io[3][2])
{
	int i, n = sockets ? 3 : 1;
	for (i = 0; i < n; i++) {
		int r = sockets ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, io[i])
				: pipe2(io[i], O_CLOEXEC | O_NONBLOCK);
		if (r < 0) {
			int e = -errno;
			while (i--)
				close2(io[i]);
			return e;
		}
	}
	return n;
}

/* data = (child address) | kind; see methods.c */
int floor_spawn(struct child *c, int clone_files, int sockets, int epfd)
{
	struct bench_clone_args a = {0};
	struct slot *s = slot_get();
	int st[2], io[3][2], pidfd = -1, n, i;
	long pid;
	uint64_t key = (uint64_t)(uintptr_t)c;

	if (pipe2(st, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	n = open_stdio(sockets, io);
	if (n < 0) {
		close2(st);
		return n;
	}
	/* One pipe: stdout is io[0]; sockets: io[0..2] are fds 0..2. */
	s->arg.in_fd = sockets ? io[0][1] : -1;
	s->arg.out_fd = io[sockets ? 1 : 0][1];
	s->arg.err_fd = sockets ? io[2][1] : -1;
	s->arg.unshare_files = clone_files;
	if (clone_files && io[0][1] >= MOVE_FROM && reserved >= 0 && !reserved_busy &&
	    dup3(io[0][1], reserved, O_CLOEXEC) == reserved) {
		close(io[0][1]);
		io[0][1] = reserved;
		reserved_busy = 1;
		s->arg.out_fd = reserved;
	}
	s->arg.keep_below = s->arg.out_fd + 1;
	s->tid = -1;
	a.flags = CLONE_VM_ | CLONE_PIDFD_ | CLONE_CLEAR_SIGHAND_ | CLONE_CHILD_CLEARTID_ | (clone_files ? CLONE_FILES_ : 0);
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	a.child_tid = (uint64_t)(uintptr_t)&s->tid;
	a.exit_signal = SIGCHLD;
	a.stack = (uint64_t)(uintptr_t)s->map;
	a.stack_size = SLOT_SIZE;
	pid = bench_clone3(&a, sizeof a, &s->arg);
	if (pid < 0) {
		s->tid = 0;
		close2(st);
		for (i = 0; i < n; i++)
			close2(io[i]);
		return (int)pid;
	}
	/* Sharing the table, the child would lose its ends if we closed them
	 * before its unshare; without a signal for that, wait for its exit.
	 * (Only the one-pipe spawn shares it.) */
	if (clone_files) {
		c->child_ends[0] = st[1];
		c->child_ends[1] = io[0][1];
	} else {
		close(st[1]);
		for (i = 0; i < n; i++)
			close(io[i][1]);
	}
	c->pid = (int)pid;
	c->pidfd = pidfd;
	c->status_fd = st[0];
	c->in_fd = sockets ? io[0][0] : -1;
	c->out_fd = io[sockets ? 1 : 0][0];
	c->err_fd = sockets ? io[2][0] : -1;
	c->slot = s;
	if ((sockets && add(epfd, st[0], EPOLLIN, key | 0) < 0) || add(epfd, pidfd, EPOLLIN, key | 1) < 0 ||
	    add(epfd, c->out_fd, EPOLLIN, key | 2) < 0 || (sockets && add(epfd, c->err_fd, EPOLLIN, key | 2) < 0))
		return -errno;
	c->open = 2;
	return 0;
}

int floor_wait(struct child *c)
{
	siginfo_t si;
	si.si_pid = 0;
	if (syscall(SYS_waitid, P_PIDFD_, c->pidfd, &si, WEXITED | WNOHANG, 0) < 0)
		return -errno;
	if (si.si_pid == 0)
		return -EAGAIN;
	floor_release_ends(c);
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

void floor_release_ends(struct child *c)
{
	int i;
	for (i = 0; i < 2; i++) {
		if (c->child_ends[i] < 0)
			continue;
		/* The reserved number gets its placeholder back (closing the pipe end). */
		if (c->child_ends[i] == reserved && reserved_busy && dup3(placeholder, reserved, O_CLOEXEC) == reserved)
			reserved_busy = 0;
		else
			close(c->child_ends[i]);
		c->child_ends[i] = -1;
	}
}
