/*
 * The child's signal dispositions back to SIG_DFL before execve.
 *
 * Runtimes ignore SIGPIPE (and some SIGXFSZ), a shell's background job
 * ignores SIGINT and SIGQUIT, and an ignored signal stays ignored through
 * execve. Handled ones must go too, before the mask is lifted: a handler of
 * the parent's must never run on our stack (CLONE_CLEAR_SIGHAND resets
 * those, but the fallbacks have no such flag).
 *
 * Two exact ways, and which is cheaper depends on the host by a factor of
 * four: 62 rt_sigaction calls (SIG_DFL for every signal), or
 * /proc/self/status, which lists both sets (SigIgn, SigCgt: four syscalls,
 * then one per signal not at its default, usually one). Measured in
 * children: 60 us against 43-46 us where a syscall traps to a hypervisor
 * (an Intel host), 12 us against 33 us on an AMD one, where procfs building
 * the new pid's directory is most of the read. So the probe child of
 * probe.c times both once per process (asp_child_pick_reset) and every
 * child uses the faster. Where /proc cannot say (not mounted, not procfs,
 * denied, the two lines past the buffer's 4 KiB: some thousand
 * supplementary groups), every signal is reset. The child opened
 * /dev/null for "ignore" before this already, so a seccomp filter
 * inherited from the parent meets no new kind of call; the probe child's
 * clock_gettime is one (the parent reads the vDSO), and a filter that
 * refuses it kills the probe child, under RLIMIT_CORE 0 and the nodump
 * guard as any child: then every signal is reset.
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

static void reset(uint64_t set)
{
	struct asp_ksigaction dfl = {ASP_SIG_DFL, 0, 0, 0};
	int sig;
	for (sig = 1; sig <= ASP_NSIG; sig++)
		if ((set >> (sig - 1) & 1) && sig != ASP_SIGKILL && sig != ASP_SIGSTOP)
			sys_rt_sigaction(sig, &dfl, 0);
}

ASP_HIDDEN void asp_child_reset_signals(int by_proc)
{
	uint64_t set;
	if (!by_proc || !changed_signals(&set))
		set = ~0ull;
	reset(set);
}

static uint64_t now_ns(void)
{
	struct asp_timespec t = {0, 0};
	sys_clock_gettime(ASP_CLOCK_MONOTONIC, &t);
	return (uint64_t)t.sec * 1000000000u + (uint64_t)t.nsec;
}

/*
 * In the probe child, which exits next: 1 if reading /proc is the faster
 * way, 0 if resetting every signal is. The reset is timed twice (the first
 * runs cold), the read once: only a new pid's first read costs what a
 * child's does.
 */
ASP_HIDDEN int asp_child_pick_reset(void)
{
	uint64_t set, t0, t1, t2, t3, all;
	int ok;
	t0 = now_ns();
	reset(~0ull);
	t1 = now_ns();
	reset(~0ull);
	t2 = now_ns();
	ok = changed_signals(&set);
	t3 = now_ns();
	all = t1 - t0 < t2 - t1 ? t1 - t0 : t2 - t1;
	return ok && t3 - t2 < all;
}
