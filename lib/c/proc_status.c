/*
 * This process's /proc status, kept open for clone3 children to read.
 *
 * A child cloned with CLONE_CLEAR_SIGHAND has no handler of ours left,
 * only the signals we ignore, and it must know which to reset them
 * (child_signals.c). Opening /proc/self/status in each child makes procfs
 * build a directory for its new pid, which costs several times the read;
 * one pread of this fd, which names our pid for ever, gives the same set:
 * the child's ignored signals are ours at clone time. The child checks the
 * text's Tgid against our pid, so an fd the program closed or replaced
 * behind us is no answer, and it then reads its own file.
 */
#include <pthread.h>
#include "internal.h"

#define PROC_SUPER_MAGIC 0x9fa0

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int fd = -1;
static int fd_pid;   /* the process it was opened in: a fork of ours opens its own */
static int given_up; /* /proc is missing, denied or not procfs here */

static int open_status(void)
{
	uint64_t st[16];
	/* O_NOCTTY: the child's own open uses the same flags, so a test's
	 * seccomp filter that refuses that open refuses this one too. */
	long f = asp_fd_high(sys_openat(ASP_AT_FDCWD, "/proc/self/status", ASP_O_RDONLY | ASP_O_CLOEXEC | ASP_O_NOCTTY, 0));
	if (f < 0) {
		/* Out of fds or memory is for now; anything else will not change. */
		given_up = f != -ASP_EMFILE && f != -ASP_ENFILE && f != -ASP_ENOMEM;
		return -1;
	}
	if (sys_fstatfs((int)f, st) < 0 || st[0] != PROC_SUPER_MAGIC) {
		sys_close((int)f);
		given_up = 1;
		return -1;
	}
	return (int)f;
}

ASP_HIDDEN int asp_proc_status_fd(int self)
{
	int r;
	pthread_mutex_lock(&lock);
	if (fd >= 0 && fd_pid != self)
		fd = -1; /* a fork's copy of the parent's: left to it, never closed by a guess */
	if (fd < 0 && !given_up) {
		fd = open_status();
		fd_pid = self;
	}
	r = fd;
	pthread_mutex_unlock(&lock);
	return r;
}
