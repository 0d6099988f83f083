/*
 * Fused calls: what JS did in two or three native calls, done in one. Each
 * crossing of the FFI boundary costs a runtime 0.3-2 us on top of its
 * syscall, and a captured `echo hello` made 13-15 of them: these bring it to
 * 4 (the spawn watches its child; a read that finds the pipe empty arms its
 * watch; a read of the bytes goes on to see EOF and closes the pipe; the
 * reap reads the status pipe and closes both fds).
 */
#include "internal.h"

#define EPOLLIN_ 1u

/* A new child's two watches, its status pipe (fd, id) and its pidfd (fd2,
 * id2; skipped when fd2 < 0): as two asp_watch calls, and on failure
 * neither is left watched. */
ASP_EXPORT int asp_watch2(int ch, int fd, uint32_t id, int fd2, uint32_t id2)
{
	int r = asp_watch(ch, fd, EPOLLIN_, id);
	if (r < 0 || fd2 < 0)
		return r;
	r = asp_watch(ch, fd2, EPOLLIN_, id2);
	if (r < 0)
		asp_unwatch(fd);
	return r;
}

/*
 * asp_spawn, then asp_watch2 of the child's status pipe (status_id) and
 * pidfd (exit_id) on channel ch: spawn() made these two calls one after
 * the other. status_id 0 leaves the status pipe unwatched: its caller reads
 * it at the exit, or watches it once someone waits for the exec, and a
 * child that is only awaited wakes the caller once less. 0 with
 * out[ASP_OUT_DETAIL] = 0: the child runs, watched; 0 with
 * out[ASP_OUT_DETAIL] = -errno: it runs, but watching failed (nothing is
 * watched; the caller kills and reaps it as after a failed asp_watch2);
 * < 0: asp_spawn failed, out[] as it says.
 */
ASP_EXPORT int asp_spawn_watch(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int ch, uint32_t status_id,
			       uint32_t exit_id)
{
	int r = asp_spawn(req, len, out, out_len);
	if (r < 0)
		return r;
	if (status_id)
		out[ASP_OUT_DETAIL] = asp_watch2(ch, out[ASP_OUT_STATUS], status_id, out[ASP_OUT_PIDFD], exit_id);
	else
		out[ASP_OUT_DETAIL] = out[ASP_OUT_PIDFD] < 0 ? 0 : asp_watch(ch, out[ASP_OUT_PIDFD], EPOLLIN_, exit_id);
	return 0;
}

/* asp_status_read, closing fd once it has said all it will (anything but
 * -EAGAIN): the child exec'd or died, so the pipe is of no further use. */
ASP_EXPORT int asp_status_take(int fd, int32_t *record)
{
	int r = asp_status_read(fd, record);
	if (r != -ASP_EAGAIN)
		asp_close(fd);
	return r;
}

/*
 * The child's exit: asp_wait, closing the pidfd once the child is reaped or
 * cannot be (anything but -EAGAIN); then, with status_fd >= 0,
 * asp_status_take of its status pipe into *status (an awaited child's exit
 * took these as two calls). Gone, the child holds no end of the pipe: it
 * reads as a record or EOF (-EAGAIN only in asp_status_read's rare case,
 * left for the caller). Returns the wait's result.
 */
ASP_EXPORT int asp_exit_take(int pidfd, int pid, void *result, int status_fd, void *status)
{
	struct asp_status_take *t = status;
	int r = asp_wait(pidfd, pid, result);
	if (r == -ASP_EAGAIN)
		return r;
	if (pidfd >= 0)
		asp_close(pidfd);
	if (status_fd >= 0)
		t->result = asp_status_take(status_fd, &t->err);
	return r;
}

/*
 * asp_read, and what the caller does next in the same call:
 *   empty (-EAGAIN), ASP_READ_ARM: arm watch `id` of channel `ch` for
 *     EPOLLIN (re-arm it with ASP_READ_WATCHED, else add it). Watches are
 *     level-triggered one-shots, so data that came after the read still
 *     reports. -EAGAIN then means "armed"; a failure to arm is
 *     -(ASP_READ_ARM_FAILED | errno), apart from every read error.
 *   EOF (0), ASP_READ_END: take fd out of epoll (ASP_READ_WATCHED; a child
 *     spawned meanwhile may hold a copy, so closing alone would not) and
 *     close it. With ASP_READ_FIRED the watch has reported since it was
 *     last armed, and a one-shot watch that reported reports nothing more
 *     until re-armed: the close alone does (the usual end of a pipe that
 *     was read until EOF, one epoll_ctl fewer).
 *   bytes short of len, ASP_READ_MORE: one read more after them. A child
 *     that wrote a little and exited has usually closed its end by the time
 *     we read (`echo hello`): its EOF is then seen, and dealt with as
 *     above, in this call instead of the caller's next, and the result is
 *     the bytes | ASP_READ_EOF. Bytes there are added; an empty pipe or an
 *     error is left for the next call, which meets a pipe's again (a
 *     socket's pending error is taken by the read that reports it: no
 *     MORE for sockets whose errors matter). len must stay below
 *     ASP_READ_EOF (-EINVAL).
 */
static void read_end(int fd, uint32_t flags)
{
	if ((flags & (ASP_READ_WATCHED | ASP_READ_FIRED)) == ASP_READ_WATCHED)
		asp_unwatch(fd);
	asp_close(fd);
}

ASP_EXPORT int asp_read_arm(int ch, int fd, void *buf, uint32_t len, uint32_t id, uint32_t flags)
{
	int r, a, more;
	if (flags & ASP_READ_MORE && len >= ASP_READ_EOF)
		return -ASP_EINVAL; /* a count of bytes would read as the flag */
	r = asp_read(fd, buf, len);
	if (r > 0 && flags & ASP_READ_MORE && (uint32_t)r < len) {
		more = asp_read(fd, (char *)buf + r, len - (uint32_t)r);
		if (more != 0)
			return more > 0 ? r + more : r;
		if (flags & ASP_READ_END)
			read_end(fd, flags);
		return (int)((uint32_t)r | ASP_READ_EOF);
	}
	if (r == -ASP_EAGAIN && flags & ASP_READ_ARM) {
		a = flags & ASP_READ_WATCHED ? asp_rearm(ch, fd, EPOLLIN_, id) : asp_watch(ch, fd, EPOLLIN_, id);
		return a < 0 ? -(int)(ASP_READ_ARM_FAILED | (uint32_t)-a) : r;
	}
	if (r == 0 && flags & ASP_READ_END)
		read_end(fd, flags);
	return r;
}
