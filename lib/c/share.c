/*
 * Sharing our fd table with the child (CLONE_FILES): the whole scheme.
 *
 * clone copies the parent's fd table, and the copy grows with the table; a
 * parent with thousands of live children holds that many pidfds (bench/c,
 * parent "10k-fds", and bench/scenarios/live.ts measure it). So once the
 * reactor runs, a CLONE_VM child is cloned with CLONE_FILES and copies the
 * table itself as its first step: the caller's cost stays flat. The price
 * is that, until the child has its own table, the fds it needs must stay
 * open in ours. From spawn to close:
 *
 *  1. Decide (asp_share_wanted): a CLONE_VM mechanism, the reactor running
 *     (its eventfd is where children report) and an FD_MAP of at most
 *     ASP_MAX_MAPPED entries.
 *  2. Hold (spawn.c): the caller's fds in the map are duplicated, so the
 *     caller may close its own as soon as spawn returns; our pipes and the
 *     status pipe are held the same way.
 *  3. Keep low (asp_share_prepare): the child copies only the fds below
 *     `keep_below` (close_range(keep_below, ~0, CLOSE_RANGE_UNSHARE): the
 *     kernel skips the rest instead of copying and closing each). So the
 *     held fds are moved onto reserved low numbers (low_fds.c) and
 *     keep_below is set just above the highest fd the child needs.
 *  4. Hand over (asp_share_hand_over), before clone, since the child may
 *     report before clone returns: the held fds become the stack slot's
 *     `pending` fds.
 *  5. Report (child.c: unshare_files): the child takes its own table, sets
 *     ctx->share.unshared and writes to the eventfd; the reactor thread
 *     calls asp_share_woken.
 *  6. Close (asp_share_sweep, run over the pool): a slot's pending fds are
 *     closed, or their low numbers given back, once its child unshared or
 *     is gone (exec or exit cleared its tid word). Status reads and waits
 *     sweep too: a child killed before it reported never writes the eventfd.
 *     A failed clone closes them at once (asp_share_drop).
 */
#include <string.h>
#include "internal.h"

/* The reactor's eventfd, once the reactor runs; -1 until then. */
static int wake_fd = -1;

ASP_HIDDEN int asp_share_open_wake(void)
{
	return (int)asp_fd_high(sys_eventfd2(0, ASP_O_CLOEXEC | ASP_O_NONBLOCK));
}

ASP_HIDDEN void asp_share_enable(int fd)
{
	/* While the table is still small: the low numbers are low. */
	asp_low_fds_reserve();
	__atomic_store_n(&wake_fd, fd, __ATOMIC_RELEASE);
}

ASP_HIDDEN void asp_share_woken(void)
{
	uint64_t count;
	sys_read(wake_fd, &count, sizeof count);
	asp_pool_sweep();
}

ASP_HIDDEN int asp_share_owns_fd(int fd)
{
	return (fd >= 0 && fd == __atomic_load_n(&wake_fd, __ATOMIC_ACQUIRE)) || asp_low_fds_owns(fd);
}

ASP_HIDDEN int asp_share_wanted(enum asp_mode m, uint32_t map_count)
{
	/* A larger map is checked up front and the child gets a copy of the
	 * table at clone: duplicating every source would cost more. */
	return (m == ASP_MODE_CLONE3 || m == ASP_MODE_CLONE) && __atomic_load_n(&wake_fd, __ATOMIC_ACQUIRE) >= 0 &&
	       map_count <= ASP_MAX_MAPPED;
}

/* The context names fd `from` as `to` from now on. */
static void renumber(struct asp_child_ctx *ctx, int32_t from, int32_t to)
{
	uint32_t k;
	for (k = 0; k < ctx->nsrc; k++)
		if (ctx->src_fds[k] == from)
			ctx->src_fds[k] = to;
	if (ctx->status_fd == from)
		ctx->status_fd = to;
	if (ctx->cgroup_fd == from)
		ctx->cgroup_fd = to;
}

/* The lowest number above every fd the child needs, the eventfd included. */
static uint32_t cut_above(const struct asp_child_ctx *ctx)
{
	int32_t top = ctx->share.wake_fd > 2 ? ctx->share.wake_fd : 2;
	uint32_t k;
	for (k = 0; k < ctx->nsrc; k++)
		if (ctx->src_fds[k] > top)
			top = ctx->src_fds[k];
	if (ctx->status_fd > top)
		top = ctx->status_fd;
	if (ctx->cgroup_fd > top)
		top = ctx->cgroup_fd;
	/* A multiple of 64: kernels before 5.18 (and its stable backports)
	 * copied the fd bitmaps of a table cut elsewhere wrongly, dropping the
	 * open bits of the fds just below the cut. */
	return ((uint32_t)top + 64u) & ~63u;
}

ASP_HIDDEN void asp_share_prepare(struct asp_child_ctx *ctx, struct asp_held_fds *held, int close_others)
{
	uint32_t i;
	for (i = 0; i < held->n; i++) {
		int32_t from = held->fd[i], to = asp_low_fd_move(from);
		if (to == from)
			continue;
		held->fd[i] = to;
		renumber(ctx, from, to);
	}
	ctx->share.files_shared = 1;
	ctx->share.unshared = 0;
	ctx->share.wake_fd = __atomic_load_n(&wake_fd, __ATOMIC_ACQUIRE);
	/* A child that keeps fds it does not map may need any: it copies all. */
	ctx->share.keep_below = close_others && (asp_caps() & ASP_CAP_CLOSE_RANGE) ? cut_above(ctx) : 0;
}

ASP_HIDDEN void asp_share_hand_over(struct asp_pending *p, const struct asp_child_ctx *ctx,
				    const struct asp_held_fds *held)
{
	memcpy(p->fd, held->fd, held->n * sizeof held->fd[0]);
	p->share = &ctx->share;
	__atomic_store_n(&p->n, held->n, __ATOMIC_RELEASE);
}

/* Whoever takes the count closes the fds: a sweep on the reactor thread and
 * one on a JS thread never both close them. */
static void close_pending(struct asp_pending *p)
{
	uint32_t n = __atomic_exchange_n(&p->n, 0, __ATOMIC_ACQ_REL), i;
	for (i = 0; i < n; i++)
		asp_low_fd_close(p->fd[i]);
}

ASP_HIDDEN void asp_share_sweep(struct asp_pending *p, const volatile int32_t *tid)
{
	if (!__atomic_load_n(&p->n, __ATOMIC_ACQUIRE))
		return;
	if (!__atomic_load_n(&p->share->unshared, __ATOMIC_ACQUIRE) && __atomic_load_n(tid, __ATOMIC_ACQUIRE) != 0)
		return;
	close_pending(p);
}

ASP_HIDDEN void asp_share_drop(struct asp_pending *p) { close_pending(p); }
