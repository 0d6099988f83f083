/*
 * asp_spawn_start: a spawn whose clone is made on the library's launcher
 * thread, so that the caller's thread (a JS event loop) pays only for
 * reading the request, laying out the stack slot and opening the child's
 * fds — not for the clone (spawn.c: asp_spawn_prepare, asp_spawn_launch).
 *
 * A start takes an entry of a fixed table and returns its ticket; the
 * launcher clones in the order of the starts; asp_launched gives the pid
 * and pidfd (waiting for the launcher if need be) and frees the entry. Its
 * status pipe tells the rest, as for asp_spawn, a failed clone included.
 *
 * A context that ends without collecting its tickets (a Worker terminated)
 * leaves nothing: the reactor's reclaim calls asp_launch_channel_ended, and
 * its launched children are orphaned to the reactor, which reaps them. The
 * pidfd is handed out only by asp_launched, on the owning context's thread,
 * so it is never given to a channel that was reclaimed meanwhile.
 */
#include <pthread.h>
#include <signal.h>
#include "internal.h"

#define MAX_LAUNCHES 4096 /* pending or uncollected: a power of 2 */
#define IDX_BITS 12
#define GEN_MASK 0x7ffffu /* odd: the entry is in use */

enum { FREE, QUEUED, DONE };

struct launch {
	struct spawn *sp;          /* QUEUED: what to clone */
	int32_t out[ASP_OUT_PIPES]; /* DONE: PID, PIDFD, STEP, DETAIL */
	int err;                   /* DONE: 0 or the clone's -errno */
	uint32_t gen;
	uint8_t state;
	uint8_t orphan;            /* its context ended: orphan the child once cloned */
	int channel;               /* the starting context's: its fds and its child's are that context's */
	int next;                  /* queue link, -1 at the end */
};

static struct launch table[MAX_LAUNCHES];
static int head = -1, tail = -1, started, atfork_set;
/* Where the search for a free entry starts: each entry serves in turn, so
 * a generation wraps (and a spent ticket could name a new launch) only
 * after 2^18 * MAX_LAUNCHES launches. */
static int next_free;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;
static pthread_cond_t launched = PTHREAD_COND_INITIALIZER;

static void release(struct launch *e)
{
	e->gen = (e->gen + 1) & GEN_MASK;
	e->state = FREE;
	e->orphan = 0;
}

/* Under the lock: a launch done, for its context or the reactor. */
static void finish(struct launch *e, int err, const int32_t *out)
{
	int pidfd = err < 0 ? -1 : out[ASP_OUT_PIDFD];
	if (e->orphan) {
		if (pidfd >= 0)
			asp_orphan(pidfd);
		release(e);
		return;
	}
	__builtin_memcpy(e->out, out, sizeof e->out);
	e->err = err;
	e->state = DONE;
}

static void *launcher_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct launch *e;
		struct spawn *sp;
		int32_t out[ASP_OUT_PIPES];
		int err;
		pthread_mutex_lock(&lock);
		while (head < 0)
			pthread_cond_wait(&queued, &lock);
		e = &table[head];
		head = e->next;
		if (head < 0)
			tail = -1;
		sp = e->sp;
		e->sp = 0;
		pthread_mutex_unlock(&lock);
		err = asp_spawn_launch(sp, out);
		pthread_mutex_lock(&lock);
		finish(e, err, out);
		pthread_cond_broadcast(&launched);
		pthread_mutex_unlock(&lock);
	}
	return 0;
}

/* A fork of ours has no launcher, and its launches were the parent's: it
 * starts afresh (the lock is held across the fork, so the table is whole). */
static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&lock); }
static void after_fork_child(void)
{
	int i;
	for (i = 0; i < MAX_LAUNCHES; i++)
		if (table[i].state != FREE)
			release(&table[i]);
	head = tail = -1;
	started = 0;
	/* The parent's launcher may have been waiting on them: in the fork
	 * their state names waiters that do not exist. */
	pthread_cond_init(&queued, 0);
	pthread_cond_init(&launched, 0);
	pthread_mutex_unlock(&lock);
}

/* Under the lock. Every signal blocked: the thread lives as long as the
 * process, and is the parent thread of every child it clones. */
static int start_launcher(void)
{
	int r;
	if (started)
		return 0;
	if (!atfork_set && pthread_atfork(before_fork, after_fork_parent, after_fork_child) == 0)
		atfork_set = 1;
	r = asp_start_helper_thread(launcher_main);
	if (r != 0)
		return -r;
	started = 1;
	return 0;
}

/* Under the lock: a free entry, marked queued for channel ch, or -1. */
static int take_entry(int ch)
{
	int k;
	for (k = 0; k < MAX_LAUNCHES; k++) {
		int i = (next_free + k) & (MAX_LAUNCHES - 1);
		if (table[i].state != FREE)
			continue;
		next_free = (i + 1) & (MAX_LAUNCHES - 1);
		table[i].gen |= 1;
		table[i].state = QUEUED;
		table[i].channel = ch;
		table[i].sp = 0;
		return i;
	}
	return -1;
}

/*
 * Spawn as asp_spawn does, the clone left to the launcher: a ticket (> 0)
 * for asp_launched, or -errno as asp_spawn fails before the clone (EBUSY:
 * MAX_LAUNCHES are pending or uncollected). out[] as asp_spawn's but
 * without PID and PIDFD. With a channel (>= 0) the status pipe is watched
 * at once, under status_id: the calling context's own channel only, as its
 * fds are that context's.
 */
ASP_EXPORT int asp_spawn_start(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int ch,
			       uint32_t status_id)
{
	struct spawn *sp;
	struct launch *e;
	int i, r, owner = asp_thread_channel();
	if (ch >= 0 && ch != owner)
		return -ASP_EINVAL;
	pthread_mutex_lock(&lock);
	r = start_launcher();
	i = r < 0 ? -1 : take_entry(owner);
	pthread_mutex_unlock(&lock);
	if (r < 0)
		return r;
	if (i < 0)
		return -ASP_EBUSY;
	e = &table[i];
	r = asp_spawn_prepare(req, len, out, out_len, ch, status_id, &sp);
	pthread_mutex_lock(&lock);
	if (r < 0) {
		release(e);
		pthread_cond_broadcast(&launched); /* a collector of a forged ticket waits no more */
	} else {
		e->sp = sp;
		e->next = -1;
		if (tail >= 0)
			table[tail].next = i;
		else
			head = i;
		tail = i;
		pthread_cond_signal(&queued);
		r = (int)(e->gen << IDX_BITS) | i;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

/*
 * The pid and pidfd of a started spawn, once cloned (waiting for the
 * launcher until then), into out[ASP_OUT_PID] and out[ASP_OUT_PIDFD]: 1;
 * or the clone's -errno, with out[ASP_OUT_STEP] and out[ASP_OUT_DETAIL] as
 * its status record says. The pidfd is the calling context's. The ticket
 * is spent: -EINVAL for one that is not (or no longer) valid.
 */
ASP_EXPORT int asp_launched(int ticket, int32_t *out)
{
	uint32_t idx = (uint32_t)ticket & (MAX_LAUNCHES - 1), gen = (uint32_t)ticket >> IDX_BITS;
	struct launch *e = &table[idx];
	int err, owner;
	uint8_t kind = ASP_OWN_PIDFD;
	if (ticket <= 0 || !out)
		return -ASP_EINVAL;
	pthread_mutex_lock(&lock);
	/* Checked again after each wait: meanwhile another collector may have
	 * spent it, or its context been reclaimed. */
	while (e->gen == gen && e->state == QUEUED && !e->orphan)
		pthread_cond_wait(&launched, &lock);
	if (e->gen != gen || e->state != DONE || e->orphan) {
		pthread_mutex_unlock(&lock);
		return -ASP_EINVAL;
	}
	__builtin_memcpy(out, e->out, sizeof e->out);
	err = e->err;
	owner = e->channel;
	release(e);
	pthread_mutex_unlock(&lock);
	if (err < 0)
		return err;
	asp_owner_set(owner, &out[ASP_OUT_PIDFD], &kind, 1);
	return 1;
}

/* Channel ch is closed or reclaimed (its context is gone): its launches'
 * children go to the reactor, now or once cloned, and their tickets are
 * spent. */
ASP_HIDDEN void asp_launch_channel_ended(int ch)
{
	int i;
	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_LAUNCHES; i++) {
		struct launch *e = &table[i];
		if (e->state == FREE || e->channel != ch || e->orphan)
			continue;
		e->orphan = 1;
		if (e->state == DONE)
			finish(e, e->err, e->out);
	}
	pthread_cond_broadcast(&launched);
	pthread_mutex_unlock(&lock);
}
