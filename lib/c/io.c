/* Exported helpers for JS-driven I/O, status, reaping and signals. */
#include "internal.h"

ASP_EXPORT int asp_version(void) { return ASP_ABI_VERSION; }

ASP_EXPORT int asp_capabilities(void) { return asp_caps(); }

#define EINTR_LOOP(expr)                          \
	({                                        \
		long r_;                          \
		do                                \
			r_ = (expr);              \
		while (r_ == -ASP_EINTR);         \
		r_;                               \
	})

ASP_EXPORT int asp_read(int fd, void *buf, uint32_t len)
{
	if (len > 0x7fffffffu)
		return -ASP_EINVAL;
	return (int)EINTR_LOOP(sys_read(fd, buf, len));
}

ASP_EXPORT int asp_write(int fd, const void *buf, uint32_t len)
{
	if (len > 0x7fffffffu)
		return -ASP_EINVAL;
	return (int)EINTR_LOOP(sys_write(fd, buf, len));
}

/* Closes an fd we handed out; it is no longer the caller's context's to
 * leave behind (owners.c). */
ASP_EXPORT int asp_close(int fd)
{
	asp_owner_clear(fd);
	return (int)sys_close(fd);
}

/* A second fd for a socketpair end of ours: owned by the caller's context
 * like the first (owners.c). */
ASP_EXPORT int asp_dup(int fd)
{
	int32_t fds[1];
	uint8_t kinds[1] = {ASP_OWN_FD};
	long d = asp_fd_high(sys_fcntl(fd, ASP_F_DUPFD_CLOEXEC, 3));
	int ch = asp_thread_channel();
	if (d >= 0 && ch >= 0) {
		fds[0] = (int32_t)d;
		asp_owner_set(ch, fds, kinds, 1);
	}
	return (int)d;
}

ASP_EXPORT int asp_shutdown(int fd, int how) { return (int)sys_shutdown(fd, how); }

/*
 * 1 and a record in `record` (err, step, detail) if the child failed before
 * exec; 0 at EOF (no failure reported); -EAGAIN if neither happened yet.
 * EOF means the child exec'd or died, so its stack slot may be free.
 */
ASP_EXPORT int asp_status_read(int fd, int32_t *record)
{
	struct asp_status_record rec;
	long n = EINTR_LOOP(sys_read(fd, &rec, sizeof rec));
	if (n == -ASP_EAGAIN) {
		/* A child gone before it could report `unshared` (killed early):
		 * our copy of its status pipe's write end may be what holds EOF. */
		asp_pool_sweep();
		n = EINTR_LOOP(sys_read(fd, &rec, sizeof rec));
	}
	if (n == 0 || n == (long)sizeof rec)
		asp_pool_reclaim();
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	if (n != (long)sizeof rec || rec.magic != ASP_STATUS_MAGIC)
		return -ASP_EINVAL;
	record[0] = rec.err;
	record[1] = rec.step;
	record[2] = rec.detail;
	return 1;
}

/* Linux's struct rusage and the part of siginfo_t that waitid fills. */
struct k_rusage {
	long utime_sec, utime_usec, stime_sec, stime_usec, maxrss, rest[13];
};

/*
 * Reap: 1 once reaped (siginfo in si), -EAGAIN if the child has not exited
 * (options has WNOHANG). With a pidfd the wait can only ever name our
 * child, even if the pid was recycled; never waitpid(-1), which would steal
 * other code's children.
 */
static long reap(int pidfd, int pid, int options, uint8_t si[ASP_SIGINFO_SIZE], void *rusage)
{
	int32_t reaped;
	long r = -ASP_EINVAL;
	__builtin_memset(si, 0, ASP_SIGINFO_SIZE);
	if (pidfd >= 0)
		r = EINTR_LOOP(sys_waitid(ASP_P_PIDFD, pidfd, si, options, rusage));
	/* No pidfd, or a kernel (< 5.4) whose waitid does not know P_PIDFD:
	 * our child is not reaped yet, so its pid is still its own. */
	if (r == -ASP_EINVAL && pid > 0)
		r = EINTR_LOOP(sys_waitid(ASP_P_PID, pid, si, options, rusage));
	if (r < 0)
		return r;
	__builtin_memcpy(&reaped, si + ASP_SI_PID, 4); /* 0 while it runs */
	return reaped ? 1 : -ASP_EAGAIN;
}

ASP_HIDDEN long asp_reap(int pidfd, int pid, uint8_t si[ASP_SIGINFO_SIZE], void *rusage)
{
	return reap(pidfd, pid, ASP_WEXITED | ASP_WNOHANG, si, rusage);
}

ASP_HIDDEN long asp_reap_result(int pidfd, int pid, int block, struct asp_wait_result *out)
{
	uint8_t si[ASP_SIGINFO_SIZE];
	struct k_rusage ru;
	long r = reap(pidfd, pid, ASP_WEXITED | (block ? 0 : ASP_WNOHANG), si, &ru);
	if (r < 0)
		return r;
	__builtin_memcpy(&out->code, si + ASP_SI_STATUS, 4);
	__builtin_memcpy(&out->si_code, si + ASP_SI_CODE, 4);
	out->user_us = (double)ru.utime_sec * 1e6 + (double)ru.utime_usec;
	out->system_us = (double)ru.stime_sec * 1e6 + (double)ru.stime_usec;
	out->max_rss_kib = (double)ru.maxrss;
	/* Reaped, so gone from our memory: free its slot now (and restore the
	 * dumpable flag it may hold), even if its status was read earlier. */
	asp_pool_reclaim();
	return 1;
}

/* asp_reap for JS: the result as struct asp_wait_result. */
ASP_EXPORT int asp_wait(int pidfd, int pid, void *result)
{
	struct asp_wait_result res;
	long r;

	/* Close what we kept open for children that are gone, before the caller
	 * reads their status pipes. */
	asp_pool_sweep();
	r = asp_reap_result(pidfd, pid, 0, &res);
	if (r < 0)
		return (int)r;
	__builtin_memcpy(result, &res, sizeof res);
	return 1;
}

ASP_EXPORT int asp_kill(int pidfd, int pid, int sig)
{
	if (pidfd >= 0)
		return (int)sys_pidfd_send_signal(pidfd, sig, 0, 0);
	if (pid <= 0)
		return -ASP_EINVAL; /* never kill(0) or kill(-1) by accident */
	return (int)sys_kill(pid, sig);
}

/* Signal a whole process group (pgid > 1: never 0, -1 or init's group). */
ASP_EXPORT int asp_killpg(int pgid, int sig)
{
	if (pgid <= 1)
		return -ASP_EINVAL;
	return (int)sys_kill(-pgid, sig);
}

/* Set or clear O_NONBLOCK: our pipe ends are non-blocking, but one handed to
 * another child as its stdin must block like any stdio. */
ASP_EXPORT int asp_set_nonblock(int fd, int on)
{
	long fl = sys_fcntl(fd, ASP_F_GETFL, 0);
	if (fl < 0)
		return (int)fl;
	fl = on ? fl | ASP_O_NONBLOCK : fl & ~(long)ASP_O_NONBLOCK;
	return (int)sys_fcntl(fd, ASP_F_SETFL, fl);
}

/* Resize a pipe (F_SETPIPE_SZ): the size in bytes, or -errno. Unprivileged
 * callers may go up to /proc/sys/fs/pipe-max-size (1 MiB by default). */
ASP_EXPORT int asp_pipe_size(int fd, int size)
{
	return (int)sys_fcntl(fd, ASP_F_SETPIPE_SZ, size);
}

/* Bytes waiting in a pipe (FIONREAD): whether it holds output, without
 * taking it out. */
ASP_EXPORT int asp_readable(int fd)
{
	int n = 0;
	long r = sys_ioctl(fd, ASP_FIONREAD, &n);
	return r < 0 ? (int)r : n;
}
