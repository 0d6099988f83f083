/*
 * The child's signal dispositions back to SIG_DFL before execve.
 *
 * Runtimes ignore SIGPIPE (and some SIGXFSZ), a shell's background job
 * ignores SIGINT and SIGQUIT, and an ignored signal stays ignored through
 * execve. Handled ones must go too, before the mask is lifted: a handler of
 * the parent's must never run on our stack (CLONE_CLEAR_SIGHAND resets
 * those, but the fallbacks have no such flag). Resetting every signal costs
 * 62 rt_sigaction calls: 60 us where a syscall traps to a hypervisor (the
 * hosts this library is benchmarked on), most of a child's time before
 * exec. The kernel lists both sets in /proc/self/status (SigIgn, SigCgt):
 * four syscalls, then one per signal not at its default, usually one. Where
 * /proc cannot say (not mounted, not procfs, denied, the two lines past the
 * buffer's 4 KiB: some thousand supplementary groups), every signal is
 * reset. The child opened /dev/null for "ignore" before this already, so a
 * seccomp filter inherited from the parent meets no new kind of call.
 *
 * Child code: raw syscalls only (child.c).
 */
#include "internal.h"
#include "status_mask.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define STATUS_MAX 4096 /* the file is about 1.5 KiB; longer with many groups */

/* 1 and *set: the signals this process ignores or handles; 0: /proc cannot say. */
static int changed_signals(uint64_t *set)
{
	char buf[STATUS_MAX];
	uint64_t st[16], ign, cgt;
	long fd, n = 0, r;
	/* O_NOCTTY changes nothing for this file; it lets a test's seccomp
	 * filter refuse this open alone, to exercise the fallback. */
	fd = sys_openat(ASP_AT_FDCWD, "/proc/self/status", ASP_O_RDONLY | ASP_O_CLOEXEC | ASP_O_NOCTTY, 0);
	if (fd < 0)
		return 0;
	if (sys_fstatfs((int)fd, st) < 0 || st[0] != PROC_SUPER_MAGIC) {
		sys_close((int)fd);
		return 0;
	}
	while (n < STATUS_MAX && (r = sys_read((int)fd, buf + n, (size_t)(STATUS_MAX - n))) > 0)
		n += r;
	sys_close((int)fd);
	if (!asp_status_mask(buf, n, "\nSigIgn:", &ign) || !asp_status_mask(buf, n, "\nSigCgt:", &cgt))
		return 0;
	*set = ign | cgt;
	return 1;
}

ASP_HIDDEN void asp_child_reset_signals(void)
{
	struct asp_ksigaction dfl = {ASP_SIG_DFL, 0, 0, 0};
	uint64_t set;
	int sig;
	if (!changed_signals(&set))
		set = ~0ull;
	for (sig = 1; sig <= ASP_NSIG; sig++)
		if ((set >> (sig - 1) & 1) && sig != ASP_SIGKILL && sig != ASP_SIGSTOP)
			sys_rt_sigaction(sig, &dfl, 0);
}
