/*
 * Low fd numbers for the fds a CLONE_FILES child needs (share.c, step 3).
 *
 * The child's cost of taking its own table is set by the highest fd it
 * needs, not by the size of ours: with 10 000 live children (a pidfd each)
 * every new pipe or status fd lands above 10 000, and copying then closing
 * that many fds costs each child CPU time which, on a machine with few
 * cores, starves the event loop of a parent that spawns in bursts
 * (bench/c, parent "10k-fds"; bench/scenarios/live.ts).
 *
 * So while the table is still small (the reactor starts), we reserve low
 * numbers, each holding a placeholder (the read end of a pipe without
 * writers). A spawn whose fds landed high moves them onto free reserved
 * numbers with dup3, and gives a number back by putting the placeholder
 * there again once the child no longer shares our table. Without a free
 * number the fd stays where it is: slower, never wrong.
 *
 * The reserve starts at a multiple of 64 some way above the lowest free
 * number, not at it: the child's copy is cut at a multiple of 64 too
 * (share.c), so in a table that stays small the placeholders lie above the
 * cut and the child neither copies nor closes them. Reserved at the lowest
 * numbers, they were most of a small table's copy: the child's own fds
 * landed above them, its copy was cut at 128, and closing the 64
 * placeholders it did not need cost it 8-10 us (on Bun, of some 45 us
 * before its execve).
 */
#include <dirent.h>
#include "internal.h"

#define NLOW 64
/* The reserve takes at most 1/16 of the fds still free, and none when that
 * is fewer than MIN_LOW: a process near RLIMIT_NOFILE needs its fds more
 * than its children need a cheap start. */
#define SHARE 16
#define MIN_LOW 8
/* Free numbers left below the reserve, at least. */
#define HEADROOM 16

static int32_t low[NLOW];
static uint32_t nlow;
static uint64_t free_mask; /* bit i: low[i] holds the placeholder and is free */
static int32_t low_min, low_max = -1; /* the reserve's range */
static int32_t placeholder = -1;
static struct asp_file_id placeholder_id;
/* fds at or above this are worth moving: the copy of 256 more fds that
 * they would cost the child is far above the three syscalls of a move. */
static int32_t threshold = 0x7fffffff;
/* Out of fds once: the free numbers went back to the process for good. */
static int released;

/* fds still free under the soft RLIMIT_NOFILE; 0 if unknown. */
static long free_fds(void)
{
	struct asp_rlimit64 lim;
	DIR *d;
	long open = 0;
	if (sys_prlimit64(0, ASP_RLIMIT_NOFILE, 0, &lim) < 0)
		return 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	while (readdir(d))
		open++;
	closedir(d);
	open -= 3; /* ".", ".." and the directory's own fd */
	return lim.cur > (uint64_t)open ? (long)(lim.cur - (uint64_t)open) : 0;
}

ASP_HIDDEN void asp_low_fds_reserve(void)
{
	int fds[2];
	long fd, base, want = free_fds() / SHARE;
	uint32_t i;
	if (want > NLOW)
		want = NLOW;
	if (want < MIN_LOW || sys_pipe2(fds, ASP_O_CLOEXEC) < 0)
		return;
	sys_close(fds[1]);
	/* fds[0] is our lowest free number: leave the small table room to grow
	 * below the reserve. Never 0-2, even when stdio is closed: a child's
	 * pipe end moved there would receive the host's own output. */
	base = (fds[0] + HEADROOM + 63) & ~63l;
	fd = sys_fcntl(fds[0], ASP_F_DUPFD_CLOEXEC, (long)base);
	sys_close(fds[0]);
	if (fd < 0)
		return;
	placeholder = (int32_t)fd;
	if (sys_fd_id(placeholder, &placeholder_id) < 0)
		goto none;
	/* The placeholder takes base: want - 1 numbers after it keep the
	 * whole reserve within one 64 (a 65th would double our table). */
	for (i = 0; i + 1 < (uint32_t)want; i++) {
		fd = sys_fcntl(placeholder, ASP_F_DUPFD_CLOEXEC, (long)base);
		if (fd < 0)
			break;
		low[i] = (int32_t)fd;
		if (!i || fd < low_min)
			low_min = (int32_t)fd;
		if (fd > low_max)
			low_max = (int32_t)fd;
	}
	if (!i)
		goto none;
	threshold = low_max + 256;
	__atomic_store_n(&free_mask, i == 64 ? ~0ull : (1ull << i) - 1, __ATOMIC_RELAXED);
	__atomic_store_n(&nlow, i, __ATOMIC_RELEASE);
	return;
none:
	sys_close(placeholder);
	placeholder = -1;
}

static int take_index(void)
{
	uint64_t m = __atomic_load_n(&free_mask, __ATOMIC_ACQUIRE);
	while (m) {
		int i = __builtin_ctzll(m);
		if (__atomic_compare_exchange_n(&free_mask, &m, m & ~(1ull << i), 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return i;
	}
	return -1;
}

ASP_HIDDEN int asp_low_fd_move(int fd)
{
	int i;
	if (!__atomic_load_n(&nlow, __ATOMIC_ACQUIRE) || fd < threshold)
		return fd;
	while ((i = take_index()) >= 0) {
		/* Someone else's code may have closed our number and the kernel
		 * handed it out again: then it is not ours to overwrite, and the
		 * number is dropped from the reserve for good. */
		if (!asp_same_file(low[i], &placeholder_id))
			continue;
		if (sys_dup3(fd, low[i], ASP_O_CLOEXEC) < 0) {
			__atomic_fetch_or(&free_mask, 1ull << i, __ATOMIC_RELEASE);
			return fd;
		}
		sys_close(fd);
		return low[i];
	}
	return fd;
}

ASP_HIDDEN void asp_low_fd_close(int fd)
{
	uint32_t i, n = __atomic_load_n(&nlow, __ATOMIC_ACQUIRE);
	if (fd < low_min || fd > low_max)
		n = 0;
	for (i = 0; i < n; i++)
		if (low[i] == fd) {
			/* Not a close: the number goes back to the reserve — unless
			 * the placeholder's own number was taken over, whose file
			 * must not be copied into ours: then the reserve shrinks. */
			if (__atomic_load_n(&released, __ATOMIC_ACQUIRE) || !asp_same_file(placeholder, &placeholder_id) ||
			    sys_dup3(placeholder, fd, ASP_O_CLOEXEC) < 0) {
				sys_close(fd);
				return;
			}
			__atomic_fetch_or(&free_mask, 1ull << i, __ATOMIC_RELEASE);
			return;
		}
	sys_close(fd);
}

/*
 * Out of fds: give the free reserved numbers back to the process, for good
 * (numbers in use by children are closed when they are done with them).
 * Returns how many were freed.
 */
ASP_HIDDEN int asp_low_fds_release(void)
{
	int i, n = 0;
	__atomic_store_n(&released, 1, __ATOMIC_RELEASE);
	while ((i = take_index()) >= 0) {
		if (asp_same_file(low[i], &placeholder_id))
			sys_close(low[i]);
		n++;
	}
	return n;
}

/* Whether fd is one of the reserve's numbers or its placeholder: never a
 * caller's fd, whatever a caller names. */
ASP_HIDDEN int asp_low_fds_owns(int fd)
{
	uint32_t i, n = __atomic_load_n(&nlow, __ATOMIC_ACQUIRE);
	/* Its number too may have been taken over (closefrom, then an open
	 * of the caller's): then what is there is the caller's. */
	if (fd == placeholder && fd >= 0)
		return asp_same_file(fd, &placeholder_id);
	if (fd < low_min || fd > low_max)
		return 0;
	for (i = 0; i < n; i++)
		if (low[i] == fd)
			return ((__atomic_load_n(&free_mask, __ATOMIC_ACQUIRE) >> i) & 1) &&
			       asp_same_file(fd, &placeholder_id);
	return 0;
}
