/*
 * asp_run_sync: spawn through asp_spawn's own path (asp_spawn_private), then
 * wait on the calling thread in one ppoll loop over the stdin, stdout and
 * stderr pipes and the pidfd, until the child is reaped and its output has
 * ended (or reading was stopped); its status pipe is read once it is gone.
 * Once only the exit is left to wait for, with no deadline, it blocks in
 * waitid. No reactor, no JS event loop: a Worker and an exit handler may
 * call it.
 *
 * The semantics are run()'s (src/api/run.ts, subprocess.ts): a timeout or
 * output past max_buffer sends kill_signal (to the group the child leads,
 * with ASP_SYNC_GROUP) and SIGKILL after force_kill_after_ms; once the child
 * is reaped after either, what the pipes hold then is read and reading
 * stops, whoever else holds them open. A timeout that elapses after the exit,
 * while a descendant keeps a pipe open, stops the reading the same way.
 *
 * With a pty (opts.pty_stream), the master is that stream's fd: at the
 * end of the output (EIO once no process holds the slave, after what was
 * written) it is no longer watched but stays open until the reap, since
 * closing it would hang up a program that closed its stdio before exiting
 * (SIGHUP instead of its exit status).
 *
 * Without a pidfd (kernels before 5.3, or ASP_SYNC_NO_PIDFD) nothing wakes
 * us when the child exits while its pipes stay open: the wait then naps,
 * from NAP_MIN_NS doubling to NAP_MAX_NS, and tries waitid(WNOHANG) after
 * each. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

#define NS_PER_MS 1000000L
#define CHUNK ((size_t)64 << 10)  /* first buffer, and the least room a read gets */
#define READS_PER_WAKE 4          /* per pipe, so that a fast writer starves nothing */
#define DRAIN_READS 64            /* a stopped pipe: what it holds (1 MiB pipes at most) */
#define INPUT_WRITE ((size_t)1 << 20)
#define NAP_MIN_NS 1000000L
#define NAP_MAX_NS 50000000L

/* What the thread's last run collected, until taken or freed. */
struct kept {
	uint8_t *buf;
	size_t len, cap, taken;
};
struct stash {
	struct kept s[3]; /* stdout, stderr, both as read (ASP_SYNC_KEEP_ALL) */
};

struct out_pipe {
	int fd; /* -1 once closed */
	int exceeded;
	int eio; /* a master's EIO was read once (read_out) */
};

struct job {
	struct asp_sync_opts o;
	struct asp_sync_result *res;
	int pid, pidfd, status_fd, in_fd;
	const uint8_t *input;
	size_t input_len, input_off;
	struct out_pipe out[2];
	int pty;           /* the terminal's master (ours, closed last), or -1 */
	struct kept *kept; /* stash->s */
	size_t limit;      /* bytes kept per stream */
	long deadline;     /* CLOCK_MONOTONIC ns of the timeout; -1: none (or it elapsed) */
	long kill_at;      /* of the SIGKILL after kill_signal; -1: none */
	long nap;          /* without a pidfd: the next wait between waitid tries */
	int reaped, terminated, stopped, nomem;
	int lost;          /* a pipe was closed under us: the run cannot go on */
	uint8_t cut[2][3]; /* per stream, for `all`: a UTF-8 character a read cut short */
	uint8_t cut_len[2];
	struct asp_file_id status_id; /* never polled: a close under us is seen by this */
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void stash_free(void *p)
{
	struct stash *st = p;
	if (!st)
		return;
	free(st->s[0].buf);
	free(st->s[1].buf);
	free(st->s[2].buf);
	free(st);
}

static void make_key(void) { key_ok = pthread_key_create(&key, stash_free) == 0; }

static struct stash *stash_get(void)
{
	pthread_once(&key_once, make_key);
	return key_ok ? pthread_getspecific(key) : 0;
}

static void stash_drop(void)
{
	struct stash *st = stash_get();
	if (!st)
		return;
	pthread_setspecific(key, 0);
	stash_free(st);
}

/* libc's clock_gettime: the vDSO, no syscall (this is parent code). */
static long now_ns(void)
{
	struct timespec ts = {0, 0};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* A duration in ms as ns from now, or -1 (negative, or beyond any wait). */
static long after_ms(long now, double ms)
{
	if (!(ms >= 0) || ms > 1e12)
		return -1;
	return now + (long)(ms * NS_PER_MS);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		sys_close(*fd);
	*fd = -1;
}

/* One of asp_pty_open's fds, which its caller's context may own (owners.c):
 * forgotten there before the number can be reused. */
static void close_owned(int *fd)
{
	asp_owner_clear(*fd);
	close_fd(fd);
}

/* A number another thread closed under us (EBADF, POLLNVAL) is not ours
 * any more, and may be someone else's already: forgotten, never closed.
 * Closing does not wake a ppoll that holds the fd, so this is seen at the
 * next wake-up (the child's exit at the latest). */
static void forget_fd(int *fd)
{
	*fd = -1;
}

static void lose(struct job *j, int *fd)
{
	if (*fd == j->pty && *fd >= 0) {
		asp_owner_clear(j->pty);
		forget_fd(&j->pty);
	}
	forget_fd(fd);
	j->lost = 1;
}

/* An output at its end: a pipe closes, the master is only no longer read. */
static void end_out(struct job *j, int which)
{
	if (j->out[which].fd == j->pty)
		j->out[which].fd = -1;
	else
		close_fd(&j->out[which].fd);
}

/* kill() of the child, or of the group it leads; never after the reap,
 * when its pid may be someone else's. */
static void signal_child(struct job *j, int sig)
{
	if (j->reaped)
		return;
	/* A leader that has not run setsid/setpgid yet has no group: the
	 * signal goes to it alone (as Subprocess.kill({ group: true })). */
	if ((j->o.flags & ASP_SYNC_GROUP) && j->pid > 1 && sys_kill(-j->pid, sig) != -ASP_ESRCH)
		return;
	/* Not reaped, so its pid is still its own without the pidfd. */
	if (asp_kill(j->pidfd, j->pid, sig) == -ASP_EBADF && j->pidfd >= 0) {
		forget_fd(&j->pidfd);
		asp_kill(-1, j->pid, sig);
	}
}

/* A timeout or too much output: kill_signal, SIGKILL later; after the reap,
 * stop reading. */
static void terminate(struct job *j, long now)
{
	if (j->reaped) {
		j->stopped = 1;
		return;
	}
	signal_child(j, j->o.kill_signal);
	/* A stopped child acts on nothing but SIGKILL until continued (as the
	 * async API's stop does; not after a signal that stops it). */
	if (j->o.kill_signal != ASP_SIGKILL && j->o.kill_signal != ASP_SIGCONT && !ASP_STOP_SIGNAL(j->o.kill_signal))
		signal_child(j, ASP_SIGCONT);
	j->terminated = 1;
	if (j->kill_at < 0 && j->o.kill_signal != ASP_SIGKILL)
		j->kill_at = after_ms(now, j->o.force_kill_after_ms);
}

static int grow(struct kept *k, size_t need)
{
	size_t cap = k->cap ? k->cap : CHUNK;
	uint8_t *n;
	while (cap < need)
		cap *= 2;
	if (cap == k->cap)
		return 0;
	n = realloc(k->buf, cap);
	if (!n)
		return -ASP_ENOMEM;
	k->buf = n;
	k->cap = cap;
	return 0;
}

/* How many bytes at the end of b[0..n) start a UTF-8 character they do
 * not finish (0-3). Other bytes, valid or not, are complete as they are. */
static size_t utf8_cut(const uint8_t *b, size_t n)
{
	size_t k;
	for (k = 1; k <= 3 && k <= n; k++) {
		uint8_t c = b[n - k];
		size_t need;
		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: its lead is further back */
		need = c >= 0xf8 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > k ? k : 0;
	}
	return 0;
}

/* Appends n bytes to what is kept of both streams. */
static int keep_both(struct job *j, const uint8_t *b, size_t n)
{
	struct kept *all = &j->kept[2];
	if (n == 0)
		return 0; /* a read that was all the start of a character: nothing yet (and buf may still be NULL) */
	if (all->cap - all->len < n && grow(all, all->len + n) < 0) {
		j->nomem = 1;
		return -1;
	}
	memcpy(all->buf + all->len, b, n);
	all->len += n;
	return 0;
}

/*
 * With ASP_SYNC_KEEP_ALL, the bytes kept of either stream, in the order
 * read. A character that one read cut short waits for the rest of it, so
 * that the other stream's bytes never land inside it (text decoded from
 * `all` would show neither); flush_cuts() adds what is left at the end.
 */
static int keep_all(struct job *j, int which, const uint8_t *b, size_t n)
{
	uint8_t joined[3 + 2];
	size_t held = j->cut_len[which], tail;
	if (!(j->o.flags & ASP_SYNC_KEEP_ALL) || n == 0)
		return 0;
	if (n < 3) {
		/* A short read: whether it ends the character shows only with the cut bytes before it. */
		memcpy(joined, j->cut[which], held);
		memcpy(joined + held, b, n);
		b = joined;
		n += held;
		held = 0;
	}
	tail = utf8_cut(b, n);
	j->cut_len[which] = 0;
	if ((held && keep_both(j, j->cut[which], held) < 0) || keep_both(j, b, n - tail) < 0)
		return -1;
	memcpy(j->cut[which], b + n - tail, tail);
	j->cut_len[which] = (uint8_t)tail;
	return 0;
}

/* The end of the run: a character still cut short is kept as it came. */
static int flush_cuts(struct job *j)
{
	int which;
	for (which = 0; which < 2; which++) {
		size_t held = j->cut_len[which];
		j->cut_len[which] = 0;
		if (held && keep_both(j, j->cut[which], held) < 0)
			return -1;
	}
	return 0;
}

/* Up to `reads` reads from one output pipe; closed at EOF or an error.
 * Past the limit the bytes are read and dropped, so the writer never
 * blocks on a full pipe while it is being killed. */
static void read_out(struct job *j, int which, int reads)
{
	struct out_pipe *p = &j->out[which];
	struct kept *k = &j->kept[which];
	uint8_t drop[4096];
	while (p->fd >= 0 && reads-- > 0) {
		long n;
		size_t room = j->limit - k->len + 1; /* one byte more tells the limit was passed */
		int whole = (j->o.flags & ASP_SYNC_KEEP_READ) != 0; /* the read that passes the limit is kept */
		if (whole)
			room = CHUNK;
		if (p->exceeded) {
			n = sys_read(p->fd, drop, sizeof drop);
		} else {
			size_t want = room < CHUNK ? room : CHUNK;
			if (k->cap - k->len < want && grow(k, k->len + want) < 0) {
				j->nomem = 1;
				return;
			}
			if (room > k->cap - k->len)
				room = k->cap - k->len;
			if (room > 0x7ffff000)
				room = 0x7ffff000;
			n = sys_read(p->fd, k->buf + k->len, room);
		}
		if (n == -ASP_EINTR)
			continue;
		if (n == -ASP_EAGAIN)
			return;
		if (n == -ASP_EBADF) {
			lose(j, &p->fd);
			return;
		}
		/* A master's first EIO may come while what was written just
		 * before the slave's last close is still queued for it: the read
		 * flushes that queue before it sees the hang-up, and a write and
		 * close in between escape it. A second read flushes them. */
		if (n == -ASP_EIO && p->fd == j->pty && !p->eio) {
			p->eio = 1;
			reads++;
			continue;
		}
		if (n <= 0) {
			end_out(j, which);
			return;
		}
		if (p->exceeded)
			continue;
		if (keep_all(j, which, k->buf + k->len, whole || (size_t)n < j->limit - k->len ? (size_t)n : j->limit - k->len) < 0)
			return;
		k->len += (size_t)n;
		if (k->len > j->limit) {
			if (!whole)
				k->len = j->limit;
			p->exceeded = 1;
			if (!j->res->exceeded)
				j->res->exceeded = which == 0 ? ASP_SYNC_STDOUT : ASP_SYNC_STDERR;
			terminate(j, now_ns());
		}
	}
}

/* Feed stdin; its end closes once everything is written or the reader is
 * gone (EPIPE: SIGPIPE is blocked meanwhile, see asp_run_sync). */
static void write_in(struct job *j)
{
	size_t n = j->input_len - j->input_off;
	long r;
	if (n > INPUT_WRITE)
		n = INPUT_WRITE;
	do
		r = n ? sys_write(j->in_fd, j->input + j->input_off, n) : 0;
	while (r == -ASP_EINTR);
	if (r == -ASP_EAGAIN)
		return;
	if (r == -ASP_EBADF) {
		lose(j, &j->in_fd);
		return;
	}
	if (r > 0)
		j->input_off += (size_t)r;
	if (r < 0 || j->input_off == j->input_len)
		close_fd(&j->in_fd);
}

/* The status pipe, once the child is gone: a record (it failed before
 * exec) or EOF (it exec'd). Not watched before: the exit follows a record
 * at once, and waking at exec would cost a wake-up for nothing. */
static void read_status(struct job *j)
{
	int32_t rec[3];
	int r = asp_same_file(j->status_fd, &j->status_id) ? asp_status_read(j->status_fd, rec) : -ASP_EBADF;
	if (r == 1) {
		j->res->err = rec[0];
		j->res->step = rec[1];
		j->res->detail = rec[2];
	}
	if (r == -ASP_EBADF)
		lose(j, &j->status_fd);
	close_fd(&j->status_fd);
}

static void reaped(struct job *j, long r)
{
	if (r == -ASP_EAGAIN)
		return;
	if (r < 0) /* ECHILD: reaped elsewhere (waitpid(-1), SIGCHLD ignored) */
		j->res->wait_err = (int32_t)-r;
	j->reaped = 1;
	close_fd(&j->pidfd);
	/* Nobody reads a child's stdin once it is gone (a descendant may,
	 * but run() stops feeding it too). */
	close_fd(&j->in_fd);
}

static void try_reap(struct job *j, int block)
{
	struct asp_wait_result w;
	long r = asp_reap_result(j->pidfd, j->pid, block, &w);
	if (r == -ASP_EBADF && j->pidfd >= 0) { /* not reaped: by its pid, then */
		forget_fd(&j->pidfd);
		r = asp_reap_result(-1, j->pid, block, &w);
	}
	if (r == 1) {
		j->res->code = w.code;
		j->res->si_code = w.si_code;
		j->res->user_us = w.user_us;
		j->res->system_us = w.system_us;
		j->res->max_rss_kib = w.max_rss_kib;
	}
	reaped(j, r);
}

/* Something failed that the loop cannot go on without: no zombie, no fd
 * left all the same. */
static void abandon(struct job *j)
{
	if (!j->reaped) {
		signal_child(j, ASP_SIGKILL);
		try_reap(j, 1);
	}
	if (j->status_fd >= 0 && !asp_same_file(j->status_fd, &j->status_id))
		forget_fd(&j->status_fd);
	close_fd(&j->status_fd);
	end_out(j, 0);
	end_out(j, 1);
	close_owned(&j->pty);
}

static int earliest(long a, long b)
{
	return a < 0 ? (int)(b >= 0) : b >= 0 && b < a;
}

/* One ppoll: 0 to go on, -1 when the loop must give up (abandon). */
static int wait_once(struct job *j)
{
	struct asp_pollfd fds[4];
	int which[4];
	unsigned n = 0, i;
	int use_pidfd = j->pidfd >= 0;
	long wake = j->deadline, now, r;
	struct asp_timespec ts;

	if (j->in_fd >= 0)
		fds[n] = (struct asp_pollfd){j->in_fd, ASP_POLLOUT, 0}, which[n++] = 'I';
	for (i = 0; i < 2; i++)
		if (j->out[i].fd >= 0)
			fds[n] = (struct asp_pollfd){j->out[i].fd, ASP_POLLIN, 0}, which[n++] = (int)i;
	if (earliest(wake, j->kill_at))
		wake = j->kill_at;
	if (!j->reaped && n == 0 && wake < 0) { /* only the exit is left to wait for */
		try_reap(j, 1);
		return 0;
	}
	if (!j->reaped && use_pidfd)
		fds[n] = (struct asp_pollfd){j->pidfd, ASP_POLLIN, 0}, which[n++] = 'P';
	now = now_ns();
	if (!j->reaped && !use_pidfd) {
		if (earliest(wake, now + j->nap))
			wake = now + j->nap;
		if (j->nap < NAP_MAX_NS)
			j->nap *= 2;
	}
	if (wake >= 0) {
		long d = wake > now ? wake - now : 0;
		ts.sec = d / 1000000000L;
		ts.nsec = d % 1000000000L;
	}
	r = sys_ppoll(fds, n, wake >= 0 ? &ts : 0, 0);
	if (r == -ASP_EINTR || r == 0)
		return 0;
	if (r < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].revents & ASP_POLLNVAL) {
			/* Closed under us. Without its pidfd the child is still
			 * waited for, by pid; without a pipe the run cannot go on. */
			if (which[i] == 'P')
				forget_fd(&j->pidfd);
			else
				lose(j, which[i] == 'I' ? &j->in_fd : &j->out[which[i]].fd);
			continue;
		}
		if (which[i] == 'P')
			try_reap(j, 0);
		else if (which[i] == 'I')
			write_in(j);
		else
			read_out(j, which[i], READS_PER_WAKE);
	}
	return 0;
}

static int run(struct job *j)
{
	for (;;) {
		long now = now_ns();
		if (j->nomem || j->lost) {
			abandon(j);
			return j->nomem ? -ASP_ENOMEM : -ASP_EIO;
		}
		if (j->deadline >= 0 && now >= j->deadline) {
			j->deadline = -1;
			j->res->flags |= ASP_SYNC_TIMED_OUT;
			terminate(j, now);
		}
		if (j->kill_at >= 0 && now >= j->kill_at) {
			j->kill_at = -1;
			signal_child(j, ASP_SIGKILL);
		}
		if (!j->reaped && j->pidfd < 0)
			try_reap(j, 0);
		if (j->reaped) {
			j->kill_at = -1;
			if (j->status_fd >= 0)
				read_status(j);
			if (j->terminated || (j->res->flags & ASP_SYNC_TIMED_OUT))
				j->stopped = 1;
			if (j->stopped) {
				read_out(j, 0, DRAIN_READS);
				read_out(j, 1, DRAIN_READS);
				end_out(j, 0);
				end_out(j, 1);
			}
			if (j->out[0].fd < 0 && j->out[1].fd < 0)
				return j->nomem ? -ASP_ENOMEM : j->lost ? -ASP_EIO : 0;
		}
		if (wait_once(j) < 0) {
			abandon(j);
			return -ASP_EIO;
		}
	}
}

/* Each pipe is one stream at most. */
static int distinct(int32_t a, int32_t b, int32_t c)
{
	return (a < 0 || (a != b && a != c)) && (b < 0 || b != c);
}

static int pipe_slot(int32_t index, const int32_t *out)
{
	if (index < 0 || index >= 3)
		return -1;
	return out[ASP_OUT_PIPES + index];
}

/* opts.pty_stream: 0, or a stream with no pipe of its own, read from a
 * master (fds 0-2 are never asp_pty_open's). */
static int pty_valid(const struct asp_sync_opts *o)
{
	int32_t pipe = o->pty_stream == ASP_SYNC_STDOUT ? o->stdout_pipe : o->stderr_pipe;
	if (o->pty_stream == 0)
		return 1;
	return (o->pty_stream == ASP_SYNC_STDOUT || o->pty_stream == ASP_SYNC_STDERR) && pipe < 0 &&
	       o->pty_master > 2 && o->pty_slave > 2 && o->pty_master != o->pty_slave;
}

/* SIGPIPE blocked on this thread while we write the input, and one that a
 * write raised taken back, so that EPIPE alone reports a reader gone (the
 * runtimes ignore SIGPIPE, a C caller may not). */
static void sigpipe_block(uint64_t *old)
{
	uint64_t set = 1ull << (ASP_SIGPIPE - 1);
	sys_rt_sigprocmask(ASP_SIG_BLOCK, &set, old);
}

static void sigpipe_restore(const uint64_t *old, uint64_t pending_before)
{
	uint64_t set = 1ull << (ASP_SIGPIPE - 1), now = 0;
	struct asp_timespec zero = {0, 0};
	sys_rt_sigpending(&now);
	if ((now & set) && !(pending_before & set))
		sys_rt_sigtimedwait(&set, &zero);
	sys_rt_sigprocmask(ASP_SIG_SETMASK, old, 0);
}

/* The job of a child just spawned: its fds from asp_spawn's out[], the
 * output kept in `kept` (the stash, or none when it could not be had),
 * and its clock. */
static void job_start(struct job *j, struct asp_sync_result *res, const int32_t *out, struct kept *kept,
		      const void *input, uint32_t input_len)
{
	int i;
	j->res = res;
	j->pid = res->pid = out[ASP_OUT_PID];
	j->pidfd = out[ASP_OUT_PIDFD];
	j->status_fd = out[ASP_OUT_STATUS];
	sys_fd_id(j->status_fd, &j->status_id);
	j->in_fd = pipe_slot(j->o.stdin_pipe, out);
	j->out[0].fd = pipe_slot(j->o.stdout_pipe, out);
	j->out[1].fd = pipe_slot(j->o.stderr_pipe, out);
	if (j->pty >= 0)
		j->out[j->o.pty_stream - 1].fd = j->pty;
	/* A pipe the options did not name would never be read: close it. */
	for (i = 0; i < 3; i++)
		if (out[ASP_OUT_PIPES + i] >= 0 && i != j->o.stdin_pipe && i != j->o.stdout_pipe && i != j->o.stderr_pipe)
			sys_close(out[ASP_OUT_PIPES + i]);
	j->input = input;
	j->input_len = input_len;
	j->limit = j->o.max_buffer >= 0x1p62 ? (size_t)1 << 62 : (size_t)j->o.max_buffer;
	j->kill_at = -1;
	j->nap = NAP_MIN_NS;
	j->deadline = after_ms(now_ns(), j->o.timeout_ms);
	j->kept = kept;
	/* The fallback's path, where pidfds exist (tests). */
	if (j->o.flags & ASP_SYNC_NO_PIDFD)
		close_fd(&j->pidfd);
	if (j->in_fd >= 0 && j->input_len == 0)
		close_fd(&j->in_fd);
}

/* The output stays in the thread's stash for asp_sync_take, unless there
 * is none or it could not be kept (then ENOMEM, when there was some). */
static int stash_keep(struct stash *st, int r, const struct asp_sync_result *res)
{
	if (r < 0 || (!st->s[0].len && !st->s[1].len) || !key_ok || pthread_setspecific(key, st) != 0) {
		stash_free(st);
		if (r == 0 && (res->stdout_len || res->stderr_len))
			r = -ASP_ENOMEM;
	}
	return r;
}

ASP_EXPORT int asp_run_sync(const void *req, uint32_t len, const void *input, uint32_t input_len, const void *opts,
			    void *result)
{
	struct asp_sync_result res;
	struct stash *st;
	struct job j;
	struct kept none[3];
	int32_t out[ASP_OUT_PIPES + 3];
	uint64_t old_mask = 0, pending = 0;
	int r, i, guard = 0, slave = -1;

	if (!opts || !result || (input_len && !input))
		return -ASP_EINVAL;
	memset(&res, 0, sizeof res);
	memset(&j, 0, sizeof j);
	memcpy(&j.o, opts, sizeof j.o);
	j.pty = -1;
	/* The pair is ours from here on, whatever we return. */
	if (j.o.pty_stream == ASP_SYNC_STDOUT || j.o.pty_stream == ASP_SYNC_STDERR) {
		j.pty = j.o.pty_master;
		slave = j.o.pty_slave == j.pty ? -1 : j.o.pty_slave; /* one fd, closed once */
	}
	if (!(j.o.max_buffer > 0) || j.o.kill_signal < 1 || j.o.kill_signal > ASP_NSIG ||
	    !distinct(j.o.stdin_pipe, j.o.stdout_pipe, j.o.stderr_pipe) || !pty_valid(&j.o)) {
		close_owned(&slave);
		close_owned(&j.pty);
		memcpy(result, &res, sizeof res);
		return -ASP_EINVAL;
	}
	stash_drop(); /* the previous run's output, if it was never freed */
	for (i = 0; i < (int)(sizeof out / sizeof out[0]); i++)
		out[i] = -1;
	r = asp_spawn_private(req, len, out, sizeof out / sizeof out[0]);
	/* The child has its copies (or there is no child): the output ends
	 * once the child and what it started close theirs. */
	close_owned(&slave);
	if (r < 0) {
		close_owned(&j.pty);
		res.step = out[ASP_OUT_STEP];
		res.detail = out[ASP_OUT_DETAIL];
		memcpy(result, &res, sizeof res);
		return r;
	}
	st = calloc(1, sizeof *st);
	memset(none, 0, sizeof none);
	job_start(&j, &res, out, st ? st->s : none, input, input_len);
	j.nomem = !st;
	if (j.in_fd >= 0) {
		guard = 1;
		sys_rt_sigpending(&pending);
		sigpipe_block(&old_mask);
	}
	r = run(&j);
	if (flush_cuts(&j) < 0 && r == 0)
		r = -ASP_ENOMEM;
	if (guard)
		sigpipe_restore(&old_mask, pending);
	close_fd(&j.in_fd);
	close_fd(&j.pidfd);
	close_owned(&j.pty); /* after the reap: no SIGHUP for the program, only for what outlived it */
	res.stdout_len = (double)j.kept[0].len;
	res.stderr_len = (double)j.kept[1].len;
	res.all_len = (double)j.kept[2].len;
	memcpy(result, &res, sizeof res);
	return st ? stash_keep(st, r, &res) : r;
}

ASP_EXPORT int asp_sync_take(int stream, void *buf, uint32_t len)
{
	struct stash *st;
	struct kept *k;
	size_t n;
	if (stream < ASP_SYNC_STDOUT || stream > ASP_SYNC_ALL || len > 0x7fffffffu || (len && !buf))
		return -ASP_EINVAL;
	st = stash_get();
	if (!st)
		return 0;
	k = &st->s[stream - 1];
	n = k->len - k->taken;
	if (n > len)
		n = len;
	if (n == 0)
		return 0;
	memcpy(buf, k->buf + k->taken, n);
	k->taken += n;
	return (int)n;
}

ASP_EXPORT int asp_sync_free(void)
{
	stash_drop();
	return 0;
}
