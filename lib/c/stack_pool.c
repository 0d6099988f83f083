/*
 * Reusable child stacks.
 *
 * A slot is one mapping: a PROT_NONE guard page at the bottom (a child that
 * overflows faults instead of writing into the parent's heap) and the stack
 * above it, whose top holds the child context and the copied request.
 *
 * A CLONE_VM child uses its slot until execve or exit. The kernel tells us
 * when by clearing the slot's CLONE_CHILD_CLEARTID word at exactly that
 * moment (mm_release), a signal the child cannot forget or fake by closing
 * an fd. Slots are reclaimed lazily, on the next acquire or status read.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include "internal.h"

#define SLOT_SIZE ((size_t)256 << 10)
#define KEEP_FREE 64     /* free standard slots kept mapped */
/* Free oversized slots kept mapped, up to this size each: a program that
 * spawns with a large environment again and again (1 MiB here) paid a
 * fresh mapping, its page faults and its munmap on every spawn, 3-4 ms a
 * call on this host where 100 KiB took 0.2 ms. Execve takes no more than
 * ARG_MAX-sized argv and envp (2 MiB with the default 8 MiB stack limit),
 * so larger slots are for requests that fail anyway: not kept. */
#define KEEP_LARGE 2
#define KEEP_LARGE_MAX ((size_t)8 << 20)
#define MAX_SLOTS 16384  /* children between clone and exec at once */

#define PROT_NONE_ 0
#define PROT_RW_ 3
#define MAP_FLAGS_ (0x02 /* PRIVATE */ | 0x20 /* ANONYMOUS */ | 0x4000 /* NORESERVE */ | 0x20000 /* STACK */)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct asp_slot **slots;
static size_t nslots, cap;
static size_t page;

ASP_HIDDEN size_t asp_page_size(void)
{
	if (!page) {
		unsigned long p = getauxval(AT_PAGESZ);
		page = p ? p : 4096;
	}
	return page;
}

static size_t round_page(size_t n) { return (n + asp_page_size() - 1) & ~(asp_page_size() - 1); }

static void slot_destroy(struct asp_slot *s)
{
	sys_munmap(s->map, s->map_size);
	free(s);
}

static int slot_create(size_t size, struct asp_slot **out)
{
	struct asp_slot *s = calloc(1, sizeof *s);
	long m;
	if (!s)
		return -ASP_ENOMEM;
	m = sys_mmap(0, size, PROT_RW_, MAP_FLAGS_, -1, 0);
	if (m < 0 && m > -4096) {
		free(s);
		return (int)m;
	}
	s->map = (uint8_t *)m;
	s->map_size = size;
	if (sys_mprotect(s->map, asp_page_size(), PROT_NONE_) < 0) {
		slot_destroy(s);
		return -ASP_ENOMEM;
	}
	*out = s;
	return 0;
}

static void remove_at(size_t i)
{
	slots[i] = slots[--nslots];
}

/* Under pool_lock: the fds we held for a child that shared our fd table
 * (share.c). */
static void sweep_slot(struct asp_slot *s)
{
	if (s->busy)
		asp_share_sweep(&s->pending, &s->tid);
}

ASP_HIDDEN void asp_pool_sweep(void)
{
	size_t i;
	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < nslots; i++)
		sweep_slot(slots[i]);
	pthread_mutex_unlock(&pool_lock);
}

/* Under pool_lock. */
static void reclaim_locked(void)
{
	size_t i, nfree = 0, nlarge = 0;
	for (i = 0; i < nslots;) {
		struct asp_slot *s = slots[i];
		if (s->busy && __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE) == 0) {
			/* Gone from our memory, so done with our table too. Not a
			 * sweep then a second load of tid: a child that unshared and
			 * exec'd between the two left its fds held by a free slot,
			 * which the next spawn on it forgot. */
			asp_share_drop(&s->pending);
			s->busy = 0;
			if (s->dumpable_hold) {
				s->dumpable_hold = 0;
				asp_dumpable_release();
			}
		} else {
			sweep_slot(s);
		}
		if (!s->busy && (s->oversized ? s->map_size > KEEP_LARGE_MAX || nlarge >= KEEP_LARGE : nfree >= KEEP_FREE)) {
			remove_at(i);
			slot_destroy(s);
			continue;
		}
		if (!s->busy && s->oversized)
			nlarge++;
		else if (!s->busy)
			nfree++;
		i++;
	}
}

ASP_HIDDEN void asp_pool_reclaim(void)
{
	pthread_mutex_lock(&pool_lock);
	reclaim_locked();
	pthread_mutex_unlock(&pool_lock);
}

ASP_HIDDEN int asp_pool_acquire(size_t need, struct asp_slot **out)
{
	struct asp_slot *s = 0;
	size_t i, size;
	int r = 0;

	size = round_page(need) + asp_page_size();
	if (size < need)
		return -ASP_E2BIG;
	pthread_mutex_lock(&pool_lock);
	reclaim_locked();
	if (size <= SLOT_SIZE) {
		for (i = 0; i < nslots; i++)
			if (!slots[i]->busy && !slots[i]->oversized) {
				s = slots[i];
				break;
			}
		size = SLOT_SIZE;
	} else {
		/* The smallest free oversized slot that fits (everything is
		 * placed from the slot's top, so a larger one serves). */
		for (i = 0; i < nslots; i++)
			if (!slots[i]->busy && slots[i]->oversized && slots[i]->map_size >= size &&
			    (!s || slots[i]->map_size < s->map_size))
				s = slots[i];
	}
	if (!s) {
		if (nslots >= MAX_SLOTS) {
			r = -ASP_EAGAIN;
			goto out;
		}
		if (nslots == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct asp_slot **n = realloc(slots, ncap * sizeof *n);
			if (!n) {
				r = -ASP_ENOMEM;
				goto out;
			}
			slots = n;
			cap = ncap;
		}
		r = slot_create(size, &s);
		if (r < 0)
			goto out;
		s->oversized = size > SLOT_SIZE;
		slots[nslots++] = s;
	}
	s->busy = 1;
	s->dumpable_hold = 0;
	s->pending.n = 0;
	s->pending.share = 0;
	s->tid = -1;
	*out = s;
out:
	pthread_mutex_unlock(&pool_lock);
	return r;
}

ASP_HIDDEN void asp_pool_release(struct asp_slot *s)
{
	pthread_mutex_lock(&pool_lock);
	__atomic_store_n(&s->tid, 0, __ATOMIC_RELEASE);
	reclaim_locked();
	pthread_mutex_unlock(&pool_lock);
}
