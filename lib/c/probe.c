/*
 * How to create children, decided once per process.
 *
 * Each candidate is tried with known-good arguments on a throwaway child
 * that exits at once, so a later failure of a real spawn (EINVAL from a bad
 * cgroup, say) can never switch the mechanism. In order of preference:
 * clone3(CLONE_VM) → clone(CLONE_VM) (no clone3: kernel < 5.3, seccomp'd
 * sandboxes) → clone(CLONE_VM|CLONE_VFORK) (qemu-user rejects CLONE_VM
 * without CLONE_VFORK) → fork. pidfds come from CLONE_PIDFD, else from
 * pidfd_open, else not at all (waitid(P_PID) per child; never waitpid(-1)).
 * ASPAWN_MODE=clone|vfork|fork starts the search further down (for tests).
 * The probe child also times the two ways a child can reset its signals
 * (child_signals.c) and exits 1 if /proc is the faster;
 * ASPAWN_SIGNAL_RESET=proc|all decides instead (for tests).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "internal.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static enum asp_mode mode;
static int caps;
static int pidfd_flag; /* CLONE_PIDFD accepted */
static int nodump_guard;
static int old_kernel; /* old_coredump(), read once by probe() */

/*
 * Before Linux 5.16 a core-dumping signal in a CLONE_VM child (or a vfork
 * child) kills every process sharing its memory — us — before RLIMIT_CORE
 * is even looked at (do_coredump: coredump_wait first); only a
 * non-dumpable mm stops it earlier. ASPAWN_NODUMP_GUARD=1 forces the
 * guard on newer kernels (tests).
 */
static int old_coredump(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	const char *p, *force = getenv("ASPAWN_NODUMP_GUARD");
	if (force && strcmp(force, "1") == 0)
		return 1;
	if (uname(&u) != 0)
		return 1; /* unknown: guard */
	for (p = u.release; *p >= '0' && *p <= '9'; p++)
		major = major * 10 + (unsigned)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			minor = minor * 10 + (unsigned)(*p - '0');
	return major < 5 || (major == 5 && minor < 16);
}

ASP_HIDDEN int asp_spawn_child(enum asp_mode m, struct asp_slot *slot, struct asp_child_ctx *ctx,
			       void *stack_top, int cgroup_fd, int share_files, int *pidfd)
{
	unsigned long pf = pidfd_flag ? ASP_CLONE_PIDFD : 0;
	unsigned long files = share_files ? ASP_CLONE_FILES : 0;
	*pidfd = -1;
	switch (m) {
	case ASP_MODE_CLONE3: {
		struct asp_clone_args a = {0};
		a.flags = ASP_CLONE_VM | ASP_CLONE_PIDFD | ASP_CLONE_CLEAR_SIGHAND | ASP_CLONE_CHILD_CLEARTID | files;
		if (cgroup_fd >= 0) {
			a.flags |= ASP_CLONE_INTO_CGROUP;
			a.cgroup = (uint64_t)cgroup_fd;
		}
		a.pidfd = (uint64_t)(uintptr_t)pidfd;
		a.child_tid = (uint64_t)(uintptr_t)&slot->tid;
		a.exit_signal = ASP_SIGCHLD;
		a.stack = (uint64_t)(uintptr_t)slot->map;
		a.stack_size = (uint64_t)((uint8_t *)stack_top - slot->map);
		return (int)asp_clone3_raw(&a, sizeof a, ctx);
	}
	case ASP_MODE_CLONE:
		return (int)asp_clone_raw(ASP_CLONE_VM | ASP_CLONE_CHILD_CLEARTID | files | pf | ASP_SIGCHLD, stack_top,
					  pidfd, (int *)&slot->tid, ctx);
	case ASP_MODE_VFORK:
		return (int)asp_clone_raw(ASP_CLONE_VM | ASP_CLONE_VFORK | pf | ASP_SIGCHLD, stack_top, pidfd, 0,
					  ctx);
	case ASP_MODE_FORK:
		return (int)asp_clone_raw(pf | ASP_SIGCHLD, 0, pidfd, 0, ctx);
	}
	return -ASP_EINVAL;
}

/*
 * Children whose exit nobody can collect: with SIGCHLD ignored (SIG_IGN) or
 * SA_NOCLDWAIT, the kernel reaps them itself and waitid fails with ECHILD.
 * Bun and Deno keep a SIG_IGN inherited through exec (a launcher, nohup-like
 * wrappers); Node resets it at startup, as we do here, once, before our
 * first child. A disposition the program sets later is its own choice: its
 * children's statuses are lost, and the TypeScript API says so (ECHILD).
 */
#define ASP_SIG_IGN 1
#define ASP_SA_NOCLDWAIT 2ul

static void collectable_children(void)
{
	struct asp_ksigaction old;
	if (sys_rt_sigaction(ASP_SIGCHLD, 0, &old) < 0)
		return;
	if (old.handler == ASP_SIG_IGN)
		old.handler = ASP_SIG_DFL;
	else if (!(old.flags & ASP_SA_NOCLDWAIT))
		return;
	old.flags &= ~(unsigned long)ASP_SA_NOCLDWAIT;
	sys_rt_sigaction(ASP_SIGCHLD, &old, 0);
}

/* The probe child's verdict on /proc (its exit status), unless overridden. */
static int signals_by_proc(const uint8_t *si)
{
	const char *force = getenv("ASPAWN_SIGNAL_RESET");
	int32_t code, status;
	if (force && (strcmp(force, "proc") == 0 || strcmp(force, "all") == 0))
		return strcmp(force, "proc") == 0;
	memcpy(&code, si + ASP_SI_CODE, sizeof code);
	memcpy(&status, si + ASP_SI_STATUS, sizeof status);
	return code == ASP_WAIT_EXITED && status == 1;
}

/* Run one probe child; 1 if the mechanism works. */
static int try_mode(enum asp_mode m, int with_pidfd_flag)
{
	struct asp_slot *slot;
	struct asp_child_ctx *ctx;
	uint8_t si[ASP_SIGINFO_SIZE];
	int pidfd = -1, pid, guard;
	uint64_t all = ~0ull, old;

	if (asp_pool_acquire(4096, &slot) < 0)
		return 0;
	ctx = (struct asp_child_ctx *)(slot->map + slot->map_size - ((sizeof *ctx + 15) & ~(size_t)15));
	__builtin_memset(ctx, 0, sizeof *ctx);
	ctx->probe = 1;
	ctx->status_fd = -1;
	pidfd_flag = with_pidfd_flag;
	/* The probe child makes calls (child_signals.c): guarded as any child
	 * sharing our memory is. */
	guard = m != ASP_MODE_FORK && old_kernel;
	if (guard)
		asp_dumpable_hold(ASP_DUMPABLE_CLEAR);
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &all, &old);
	pid = asp_spawn_child(m, slot, ctx, ctx, -1, 0, &pidfd);
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &old, 0);
	if (pid <= 0) {
		if (guard)
			asp_dumpable_release();
		asp_pool_release(slot);
		return 0;
	}
	if (!with_pidfd_flag && m != ASP_MODE_CLONE3) {
		long fd = sys_pidfd_open(pid, 0);
		if (fd >= 0) {
			caps |= ASP_CAP_PIDFD;
			sys_close((int)fd);
		}
	} else {
		caps |= ASP_CAP_PIDFD;
	}
	__builtin_memset(si, 0, sizeof si);
	while (sys_waitid(ASP_P_PID, pid, si, ASP_WEXITED, 0) == -ASP_EINTR)
		;
	if (guard) /* gone: it no longer shares our memory */
		asp_dumpable_release();
	if (signals_by_proc(si))
		caps |= ASP_CAP_SIGNALS_BY_PROC;
	if (pidfd >= 0)
		sys_close(pidfd);
	/* The child has exited, so the kernel has cleared the tid word. */
	if (m != ASP_MODE_CLONE3 && m != ASP_MODE_CLONE)
		asp_pool_release(slot);
	else
		asp_pool_reclaim();
	return 1;
}

static void probe(void)
{
	static const struct {
		enum asp_mode mode;
		int pidfd_flag;
		int caps;
	} order[] = {
		{ASP_MODE_CLONE3, 1, ASP_CAP_CLONE3 | ASP_CAP_CLONE_VM | ASP_CAP_INTO_CGROUP},
		{ASP_MODE_CLONE, 1, ASP_CAP_CLONE_VM},
		{ASP_MODE_CLONE, 0, ASP_CAP_CLONE_VM},
		{ASP_MODE_VFORK, 1, ASP_CAP_VFORK},
		{ASP_MODE_VFORK, 0, ASP_CAP_VFORK},
		{ASP_MODE_FORK, 1, ASP_CAP_FORK},
		{ASP_MODE_FORK, 0, ASP_CAP_FORK},
	};
	size_t i = 0;
	const char *force = getenv("ASPAWN_MODE");
	old_kernel = old_coredump();
	collectable_children();
	/* Tests force a fallback on a kernel that has the real thing. */
	if (force) {
		static const char *const names[] = {"clone3", "clone", "vfork", "fork"};
		size_t k;
		for (k = 0; k < 4; k++)
			if (strcmp(force, names[k]) == 0)
				while (i < sizeof order / sizeof order[0] && order[i].mode != (enum asp_mode)(k + 1))
					i++;
	}
	for (; i < sizeof order / sizeof order[0]; i++) {
		caps = 0;
		if (try_mode(order[i].mode, order[i].pidfd_flag)) {
			mode = order[i].mode;
			caps |= order[i].caps;
			break;
		}
	}
	if (!mode) { /* nothing worked: report fork, spawns will fail loudly */
		mode = ASP_MODE_FORK;
		caps = ASP_CAP_FORK;
	}
	if (sys_close_range(~0u - 1, ~0u - 1, 0) != -ASP_ENOSYS)
		caps |= ASP_CAP_CLOSE_RANGE;
	nodump_guard = mode != ASP_MODE_FORK && old_kernel;
}

ASP_HIDDEN enum asp_mode asp_mode(void)
{
	pthread_once(&once, probe);
	return mode;
}

ASP_HIDDEN int asp_caps(void)
{
	pthread_once(&once, probe);
	return caps;
}

/* Whether children sharing our memory must find it non-dumpable. */
ASP_HIDDEN int asp_nodump_guard(void)
{
	pthread_once(&once, probe);
	return nodump_guard;
}
