/*
 * The reactor: one library thread, all signals blocked, waiting in
 * epoll_wait over every fd a JS context asked to watch (status pipes,
 * pidfds, stdio pipes). Watches are EPOLLONESHOT: each produces at most one
 * record until JS re-arms it, which is also how JS applies backpressure.
 *
 * Records (struct asp_event) go to a notify pipe per channel; each JS
 * context (main thread, each Worker) opens its own channel and watches the
 * read end with its runtime's native I/O. Batches are at most PIPE_BUF
 * bytes, so every write is all-or-nothing; when a pipe is full the records
 * wait in a queue, in order, until epoll says the pipe is writable. Nothing
 * is ever dropped while the channel is open.
 *
 * JS never joins this thread: runtimes that run callbacks on the calling
 * thread would deadlock. The library is linked -z nodelete so the thread's
 * code stays mapped until the process exits.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MAX_CHANNELS 1024
#define BATCH 256 /* events per epoll_wait; 256 * 8 bytes = 2 KiB < PIPE_BUF */
#define EPOLLIN_ 0x001u
#define EPOLLOUT_ 0x004u
#define EPOLLONESHOT_ (1u << 30)
#define CTL_ADD 1
#define CTL_DEL 2
#define CTL_MOD 3

struct epoll_event_ {
	uint32_t events;
	uint64_t data;
}
#if defined(__x86_64__)
__attribute__((packed))
#endif
;

struct channel {
	pthread_mutex_t lock;
	/* Bumped when the channel is released: the fds a dead Worker watched
	 * stay registered, and their records must not reach the next context
	 * that gets this channel number (its watch ids start at 1 too). */
	uint32_t gen;
	int rfd, wfd; /* -1 when closed */
	int open;
	int tid;          /* the thread that opened it (a JS context lives on one) */
	struct asp_file_id rfd_id; /* the notify pipe, to know rfd is still ours */
	struct asp_event *queue; /* records waiting for room in the pipe */
	size_t queued, cap;
};

static struct channel channels[MAX_CHANNELS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int epfd = -1;
static int wake_fd = -1; /* share.c's eventfd, watched here */
static int running;
static int channels_hi; /* channels[] above this were never opened */

/*
 * The epoll data of every fd in the set, one layout:
 *
 *   bit 63    62..61   60..42      41..32    31..0
 *   OWN       source   generation  channel   id
 *
 * OWN clear: a JS watch (asp_watch). `id` is the caller's (any u32),
 *   reported in the records of `channel`; `generation` is the channel's
 *   when the watch was set, so a released channel's watches never reach
 *   the next context that gets its number.
 * OWN set: one of the reactor's own sources, told apart by `source`:
 *   SRC_NOTIFY  a channel's notify pipe has room again (generation, channel)
 *   SRC_WAKE    share.c's eventfd (no other field)
 *   SRC_ORPHAN  the pidfd of a child we reap ourselves (id: the pidfd)
 */
#define OWN (1ull << 63)
#define SRC_SHIFT 61
#define SRC_NOTIFY 1u
#define SRC_WAKE 2u
#define SRC_ORPHAN 3u
#define GEN_SHIFT 42
#define GEN_MASK 0x7ffffu /* 19 bits */
#define CH_SHIFT 32
_Static_assert(MAX_CHANNELS == 1 << (GEN_SHIFT - CH_SHIFT), "the channel field holds every channel");

static uint64_t pack(int ch, uint32_t id)
{
	uint64_t gen = __atomic_load_n(&channels[ch].gen, __ATOMIC_ACQUIRE) & GEN_MASK;
	return gen << GEN_SHIFT | (uint64_t)ch << CH_SHIFT | id;
}
static uint64_t pack_own(unsigned source, uint64_t fields) { return OWN | (uint64_t)source << SRC_SHIFT | fields; }
static unsigned data_source(uint64_t data) { return data & OWN ? (unsigned)(data >> SRC_SHIFT) & 3u : 0; }
static int data_channel(uint64_t data) { return (int)((data >> CH_SHIFT) & (MAX_CHANNELS - 1)); }
static uint32_t data_gen(uint64_t data) { return (uint32_t)(data >> GEN_SHIFT) & GEN_MASK; }

static int queue_push(struct channel *c, const struct asp_event *ev, size_t n)
{
	if (c->queued + n > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 1024;
		struct asp_event *q;
		while (ncap < c->queued + n)
			ncap *= 2;
		q = realloc(c->queue, ncap * sizeof *q);
		if (!q)
			return -ASP_ENOMEM;
		c->queue = q;
		c->cap = ncap;
	}
	memcpy(c->queue + c->queued, ev, n * sizeof *ev);
	c->queued += n;
	return 0;
}

/* Under c->lock: write queued records in PIPE_BUF-sized pieces. */
static void queue_flush(int ch, struct channel *c)
{
	size_t done = 0;
	while (done < c->queued) {
		size_t n = c->queued - done;
		long r;
		if (n > BATCH)
			n = BATCH;
		r = sys_write(c->wfd, c->queue + done, n * sizeof *c->queue);
		if (r == -ASP_EINTR)
			continue;
		if (r < 0)
			break;
		done += n;
	}
	memmove(c->queue, c->queue + done, (c->queued - done) * sizeof *c->queue);
	c->queued -= done;
	if (c->queued) {
		struct epoll_event_ ev = {EPOLLOUT_ | EPOLLONESHOT_, pack_own(SRC_NOTIFY, pack(ch, 0))};
		if (sys_epoll_ctl(epfd, CTL_MOD, c->wfd, &ev) == -ASP_ENOENT)
			sys_epoll_ctl(epfd, CTL_ADD, c->wfd, &ev);
	}
}

static void deliver(int ch, uint32_t gen, const struct asp_event *ev, size_t n)
{
	struct channel *c = &channels[ch];
	pthread_mutex_lock(&c->lock);
	if (c->open && (c->gen & GEN_MASK) == gen) {
		long r = -ASP_EAGAIN;
		if (!c->queued) {
			do
				r = sys_write(c->wfd, ev, n * sizeof *ev);
			while (r == -ASP_EINTR);
		}
		/* Full: queue in order. Any other error means the reader is
		 * gone (EPIPE): nothing left to deliver to. */
		if (r == -ASP_EAGAIN && queue_push(c, ev, n) == 0)
			queue_flush(ch, c);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Children nobody in JS will reap (their context ended, or their Subprocess
 * could not be set up): watch the pidfd ourselves, reap when it exits.
 * Closing the pidfd takes it out of the epoll set.
 */
static void reap_orphan(int pidfd)
{
	uint8_t si[ASP_SIGINFO_SIZE];
	if (asp_reap(pidfd, -1, si, 0) == -ASP_EAGAIN)
		return; /* not yet: level-triggered, we hear again */
	/* Out of the set before the close: a child not yet exec'd holds a copy
	 * of the pidfd (fork, or clone without CLONE_FILES), which would keep
	 * the watch alive and reporting this number — closed, then another
	 * fd's, which we would close in turn. */
	sys_epoll_ctl(epfd, CTL_DEL, pidfd, 0);
	sys_close(pidfd);
	asp_pool_reclaim();
}

static void adopt_orphan(int pidfd)
{
	struct epoll_event_ ev = {EPOLLIN_, pack_own(SRC_ORPHAN, (uint32_t)pidfd)};
	/* Its context may have left it watched (one-shot, under its channel). */
	if (sys_epoll_ctl(epfd, CTL_MOD, pidfd, &ev) == -ASP_ENOENT && sys_epoll_ctl(epfd, CTL_ADD, pidfd, &ev) < 0)
		reap_orphan(pidfd); /* cannot watch: reap if it is gone, else it stays a zombie */
}

/* A channel's notify pipe has room: write what waits in its queue. */
static void notify_writable(uint64_t data)
{
	int ch = data_channel(data);
	struct channel *c = &channels[ch];
	pthread_mutex_lock(&c->lock);
	if (c->open && (c->gen & GEN_MASK) == data_gen(data))
		queue_flush(ch, c);
	pthread_mutex_unlock(&c->lock);
}

/* One of the reactor's own sources is ready. */
static void own_event(uint64_t data)
{
	switch (data_source(data)) {
	case SRC_NOTIFY:
		notify_writable(data);
		break;
	case SRC_WAKE:
		asp_share_woken();
		break;
	case SRC_ORPHAN:
		reap_orphan((int)(uint32_t)data);
		break;
	}
}

/* Deliver the JS watches of evs[i..n) that share evs[i]'s channel and
 * generation, in order, as one batch; mark them done (events 0: epoll
 * never reports an event without one). */
static void deliver_group(struct epoll_event_ *evs, long i, long n, struct asp_event *out)
{
	uint64_t hi = evs[i].data >> CH_SHIFT; /* OWN clear, generation, channel */
	size_t k = 0;
	long j;
	for (j = i; j < n; j++) {
		if (!evs[j].events || evs[j].data >> CH_SHIFT != hi)
			continue;
		out[k].id = (uint32_t)evs[j].data;
		out[k].events = evs[j].events;
		k++;
		evs[j].events = 0;
	}
	deliver(data_channel(evs[i].data), data_gen(evs[i].data), out, k);
}

static void *reactor_main(void *unused)
{
	struct epoll_event_ evs[BATCH];
	struct asp_event out[BATCH];
	(void)unused;
	for (;;) {
		long n = sys_epoll_pwait(epfd, evs, BATCH, -1), i;
		if (n < 0)
			continue; /* EINTR */
		/* Group by channel, keeping each channel's order. */
		for (i = 0; i < n; i++) {
			if (!evs[i].events)
				continue; /* grouped with an earlier one */
			if (evs[i].data & OWN)
				own_event(evs[i].data);
			else
				deliver_group(evs, i, n, out);
		}
	}
	return 0;
}

/* The epoll, the eventfd and the thread; 0 or -errno (then nothing is
 * left behind, and the next call tries again: running out of fds once must
 * not disable the library for good). */
static int start(void)
{
	long fd = asp_fd_high(sys_epoll_create1(ASP_O_CLOEXEC));
	int i;
	if (fd < 0)
		return (int)fd;
	epfd = (int)fd;
	/* Children cloned with CLONE_FILES report here that their fd table is
	 * their own (share.c). */
	fd = asp_share_open_wake();
	if (fd >= 0) {
		struct epoll_event_ ev = {EPOLLIN_, pack_own(SRC_WAKE, 0)};
		if (sys_epoll_ctl(epfd, CTL_ADD, (int)fd, &ev) == 0)
			wake_fd = (int)fd;
		else
			sys_close((int)fd);
	}
	for (i = 0; i < MAX_CHANNELS; i++) {
		pthread_mutex_init(&channels[i].lock, 0);
		channels[i].rfd = channels[i].wfd = -1;
	}
	i = asp_start_helper_thread(reactor_main);
	if (i != 0) {
		sys_close(epfd);
		epfd = -1;
		if (wake_fd >= 0)
			sys_close(wake_fd);
		wake_fd = -1;
		return -i;
	}
	if (wake_fd >= 0)
		asp_share_enable(wake_fd);
	__atomic_store_n(&running, 1, __ATOMIC_RELEASE);
	return 0;
}

static int ensure_started(void)
{
	int r = 0;
	if (__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&start_lock);
	if (!running)
		r = start();
	pthread_mutex_unlock(&start_lock);
	return r;
}

ASP_HIDDEN int asp_reactor_owns_fd(int fd)
{
	int ch, hi = __atomic_load_n(&channels_hi, __ATOMIC_ACQUIRE);
	if (fd < 3 || !__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return 0;
	if (fd == epfd)
		return 1;
	for (ch = 0; ch < hi; ch++)
		if (channels[ch].open && (channels[ch].rfd == fd || channels[ch].wfd == fd))
			return 1;
	return 0;
}

/* Under c->lock: stop delivering and close the write end (readers see EOF). */
static void channel_release(struct channel *c)
{
	sys_epoll_ctl(epfd, CTL_DEL, c->wfd, 0);
	sys_close(c->wfd);
	c->open = 0;
	__atomic_store_n(&c->gen, c->gen + 1, __ATOMIC_RELEASE);
	c->wfd = c->rfd = -1;
	free(c->queue);
	c->queue = 0;
	c->queued = c->cap = 0;
}

/* What a context that ended left open: its children are reaped when they
 * exit (they are not killed: a death signal is the way to have them die with
 * a Worker), every other fd is closed. */
static void dispose(int fd, int kind)
{
	if (kind == ASP_OWN_PIDFD) {
		adopt_orphan(fd);
		return;
	}
	sys_epoll_ctl(epfd, CTL_DEL, fd, 0);
	sys_close(fd);
}

/* Under table_lock: reclaim a channel whose context is gone. Its read end is
 * closed only if that fd number still holds our pipe (the runtime may have
 * closed it and the number been reused). */
static void reclaim(int ch)
{
	struct channel *c = &channels[ch];
	pthread_mutex_lock(&c->lock);
	if (c->open) {
		/* Before its fds are taken: a launch that completes after this
		 * orphans its child instead of handing it to this channel. */
		asp_launch_channel_ended(ch);
		if (c->rfd >= 0 && asp_same_file(c->rfd, &c->rfd_id))
			sys_close(c->rfd);
		channel_release(c);
		asp_owner_take(ch, dispose);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * A thread that hosted JS contexts ended (threads.c): reclaim their channels
 * now. Runs on that thread, after its JS is gone.
 */
ASP_HIDDEN void asp_reactor_context_ended(int tid)
{
	int ch;
	pthread_mutex_lock(&table_lock);
	for (ch = 0; ch < MAX_CHANNELS; ch++)
		if (channels[ch].open && channels[ch].tid == tid)
			reclaim(ch);
	pthread_mutex_unlock(&table_lock);
}

/*
 * The same for threads that ended without running destructors, found when a
 * new channel opens. tgkill can only err towards "alive" (a thread id
 * reused by a new thread), never reclaim a live context's channel.
 */
static void reclaim_dead_channels(void)
{
	int ch, pid = (int)sys_getpid();
	for (ch = 0; ch < MAX_CHANNELS; ch++)
		if (channels[ch].open && sys_tgkill(pid, channels[ch].tid, 0) == -ASP_ESRCH)
			reclaim(ch);
}

/* A new channel for the calling JS context: returns its number, out[0] = fd to read records from. */
ASP_EXPORT int asp_reactor_open(int32_t *out)
{
	int fds[2], ch;
	long r = ensure_started();
	if (r < 0)
		return (int)r;
	r = asp_pipe_high(fds, ASP_O_CLOEXEC | ASP_O_NONBLOCK);
	if (r < 0)
		return (int)r;
	/* Room for 131072 records: with one-shot watches this exceeds what
	 * any realistic number of armed watches can produce; the queue
	 * covers the rest. Unprivileged callers may be refused: fine. */
	sys_fcntl(fds[1], ASP_F_SETPIPE_SZ, 1 << 20);
	pthread_mutex_lock(&table_lock);
	reclaim_dead_channels();
	for (ch = 0; ch < MAX_CHANNELS; ch++)
		if (!channels[ch].open && channels[ch].wfd < 0)
			break;
	if (ch == MAX_CHANNELS) {
		pthread_mutex_unlock(&table_lock);
		sys_close(fds[0]);
		sys_close(fds[1]);
		return -ASP_EMFILE;
	}
	pthread_mutex_lock(&channels[ch].lock);
	channels[ch].rfd = fds[0];
	channels[ch].wfd = fds[1];
	channels[ch].open = 1;
	channels[ch].tid = (int)sys_gettid();
	if (sys_fd_id(fds[0], &channels[ch].rfd_id) < 0)
		channels[ch].rfd_id.dev = channels[ch].rfd_id.ino = 0;
	channels[ch].queued = 0;
	if (ch >= channels_hi)
		__atomic_store_n(&channels_hi, ch + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&channels[ch].lock);
	pthread_mutex_unlock(&table_lock);
	if (asp_thread_set_channel(ch) < 0) { /* no memory for the thread's record */
		asp_reactor_close(ch);
		sys_close(fds[0]);
		return -ASP_ENOMEM;
	}
	out[0] = fds[0];
	return ch;
}

/* Stop delivering to a channel and close its write end (the reader sees EOF).
 * The read end belongs to the caller. */
ASP_EXPORT int asp_reactor_close(int ch)
{
	struct channel *c;
	if (ch < 0 || ch >= MAX_CHANNELS)
		return -ASP_EINVAL;
	c = &channels[ch];
	pthread_mutex_lock(&table_lock);
	pthread_mutex_lock(&c->lock);
	if (!c->open) {
		pthread_mutex_unlock(&c->lock);
		pthread_mutex_unlock(&table_lock);
		return -ASP_EBADF;
	}
	asp_launch_channel_ended(ch); /* launches never collected: the reactor reaps them */
	channel_release(c);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&table_lock);
	return 0;
}

static int ctl(int op, int ch, int fd, uint32_t events, uint32_t id)
{
	struct epoll_event_ ev;
	if (ch < 0 || ch >= MAX_CHANNELS || epfd < 0)
		return -ASP_EINVAL;
	ev.events = events | EPOLLONESHOT_;
	ev.data = pack(ch, id);
	return (int)sys_epoll_ctl(epfd, op, fd, &ev);
}

/* Watch fd once for `events` (EPOLLIN 1, EPOLLOUT 4) and report it as `id`. */
ASP_EXPORT int asp_watch(int ch, int fd, uint32_t events, uint32_t id) { return ctl(CTL_ADD, ch, fd, events, id); }

/* Arm a watch again after its record was handled. */
ASP_EXPORT int asp_rearm(int ch, int fd, uint32_t events, uint32_t id) { return ctl(CTL_MOD, ch, fd, events, id); }

/* Forget a watch; call before closing a watched fd that a child may still hold. */
ASP_EXPORT int asp_unwatch(int fd)
{
	struct epoll_event_ ev = {0, 0};
	if (epfd < 0)
		return -ASP_EBADF;
	return (int)sys_epoll_ctl(epfd, CTL_DEL, fd, &ev);
}

/*
 * Hand a child's pidfd to the reactor, which reaps the child when it exits
 * and closes the pidfd: for a child whose Subprocess could not be set up.
 */
ASP_EXPORT int asp_orphan(int pidfd)
{
	if (pidfd < 0 || epfd < 0)
		return -ASP_EBADF;
	asp_owner_clear(pidfd);
	adopt_orphan(pidfd);
	return 0;
}
