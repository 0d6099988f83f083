/*
 * The child, between clone and execve.
 *
 * This code runs on a pooled stack while sharing the parent's memory (and
 * TLS: errno, the stack canary, locks). It must call nothing but raw
 * syscalls and the hidden mem* in mem.c; it is compiled without stack
 * protector and sanitizers, and CI checks `nm -u` of this object.
 *
 * All signals are blocked on entry (the parent blocked them around clone) and
 * stay blocked until the last step, so no handler runs here and an early
 * kill() waits for the new program. RLIMIT_CORE is 0 for the same span: a
 * crash here must never dump the parent's memory.
 */
#include "internal.h"
#include "program.h"

static uint32_t asp_strlen(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

struct child {
	struct asp_child_ctx *ctx;
	struct asp_rlimit64 core; /* applied just before execve */
	struct asp_rlimit64 inherited_core; /* the limit we started with */
	int32_t core_step;        /* step that asked for it, or SETUP */
	uint64_t sigmask;         /* applied just before execve */
	int32_t status_fd;
	const char *file;         /* the program, argv and envp for execve */
	uint32_t flen;
	char **argv, **envp;
};

static __attribute__((noreturn)) void child_fail(struct child *c, long err, int32_t step, int32_t detail)
{
	struct asp_status_record rec;
	uint64_t all = ~0ull;
	/* The mask may already be lifted and the core limit restored (exec
	 * failed): block everything again so nothing can dump our memory. */
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &all, 0);
	rec.err = (int32_t)-err;
	rec.step = step;
	rec.detail = detail;
	rec.magic = ASP_STATUS_MAGIC;
	/* One record under PIPE_BUF into an empty pipe: atomic, never short. */
	sys_write(c->status_fd, &rec, sizeof rec);
	sys_exit_group(127);
}

/* Where RLIMIT_NOFILE cannot be read: a bound on the fds worth closing. */
#define NOFILE_UNKNOWN 65536

static long close_range_slow(uint32_t first, uint32_t last)
{
	struct asp_rlimit64 lim;
	uint64_t fd, top;
	if (sys_prlimit64(0, ASP_RLIMIT_NOFILE, 0, &lim) < 0)
		lim.cur = NOFILE_UNKNOWN;
	top = lim.cur < last ? lim.cur : (uint64_t)last + 1;
	for (fd = first; fd < top; fd++)
		sys_close((int)fd);
	return 0;
}

static long close_between(uint32_t first, uint32_t last)
{
	long r;
	if (first > last)
		return 0;
	r = sys_close_range(first, last, 0);
	/* ENOSYS before Linux 5.9; EPERM from seccomp profiles older than
	 * close_range. Either way the fds must not reach the new program. */
	return r < 0 ? close_range_slow(first, last) : r;
}

/* The int32 of entry i in an array of them, `stride` bytes apart. */
static int32_t key_of(const uint8_t *base, uint32_t stride, uint32_t i)
{
	return (int32_t)asp_load32(base + (size_t)stride * i);
}

static int key_less(const uint8_t *base, uint32_t stride, uint32_t a, uint32_t b)
{
	int32_t ka = key_of(base, stride, a), kb = key_of(base, stride, b);
	return ka < kb || (ka == kb && a < b);
}

static void sift_down(uint32_t *ord, uint32_t root, uint32_t n, const uint8_t *base, uint32_t stride)
{
	for (;;) {
		uint32_t child = 2 * root + 1, t;
		if (child >= n)
			return;
		if (child + 1 < n && key_less(base, stride, ord[child], ord[child + 1]))
			child++;
		if (!key_less(base, stride, ord[root], ord[child]))
			return;
		t = ord[root];
		ord[root] = ord[child];
		ord[child] = t;
		root = child;
	}
}

/* ord = 0..n-1 sorted by key, then index: a heapsort (no recursion, no
 * allocation, n log n however the map is ordered). */
static void sort_entries(uint32_t *ord, uint32_t n, const uint8_t *base, uint32_t stride)
{
	uint32_t i, t;
	for (i = 0; i < n; i++)
		ord[i] = i;
	for (i = n / 2; i-- > 0;)
		sift_down(ord, i, n, base, stride);
	for (i = n; i-- > 1;) {
		t = ord[0];
		ord[0] = ord[i];
		ord[i] = t;
		sift_down(ord, 0, i, base, stride);
	}
}

/* Close [lo, fd) and return the next number to close from: keeps fd. */
static uint32_t close_up_to(uint32_t lo, int32_t fd)
{
	if (fd < 0 || (uint32_t)fd < lo)
		return lo; /* not an fd, or already kept */
	if (lo < (uint32_t)fd)
		close_between(lo, (uint32_t)fd - 1u);
	return (uint32_t)fd + 1u;
}

/* Close every fd but `keep` and the keys of ord[0..n) (ascending): one
 * close_range per gap. */
static void close_all_but(const uint32_t *ord, uint32_t n, const uint8_t *base, uint32_t stride, int32_t keep)
{
	uint32_t lo = 0, k;
	for (k = 0; k < n; k++) {
		int32_t fd = key_of(base, stride, ord[k]);
		if (keep >= 0 && keep < fd) {
			lo = close_up_to(lo, keep);
			keep = -1;
		}
		lo = close_up_to(lo, fd);
	}
	lo = close_up_to(lo, keep);
	close_between(lo, ~0u);
}

#define NONE 0xffffffffu
#define ENTRY_DONE 1u
#define ENTRY_MOVED 2u /* its source is our temporary copy above the top */

/* One FD_MAP being installed; the arrays are its working memory
 * (ASP_FDMAP_WORDS words per entry, in the slot). */
struct fd_move {
	struct child *c;
	int32_t step;
	const uint8_t *pairs, *dsts; /* the entries, and their targets (pairs + 4) */
	int32_t *src;      /* per entry: the fd to install (ctx->src_fds) */
	uint32_t n;
	int32_t top;       /* the highest target */
	uint32_t *queue;   /* entries ready to install (first: entries by source) */
	uint32_t *by_dst;  /* entries by target */
	int32_t *usrc;     /* distinct sources, ascending */
	uint32_t *pending; /* per distinct source: entries still to read it */
	uint32_t *waiters; /* per distinct source: first entry whose target it is */
	uint32_t *next;    /* per entry: next waiter on the same source */
	uint32_t *su;      /* per entry: its distinct source, or NONE */
	uint32_t *state;   /* per entry: ENTRY_* */
	uint32_t nu, qhead, qtail, left, cursor;
};

static int32_t dst_of(const struct fd_move *m, uint32_t i) { return key_of(m->dsts, 8, i); }
static int32_t enc_of(const struct fd_move *m, uint32_t i) { return key_of(m->pairs, 8, i); }

static __attribute__((noreturn)) void map_fail(struct fd_move *m, long err, int32_t fd)
{
	child_fail(m->c, err, m->step, fd);
}

/* asp_spawn resolved the sources (pipes, duplicates) of every entry. */
static void check_sources(struct fd_move *m)
{
	uint32_t i;
	if (m->c->ctx->nsrc != m->n)
		map_fail(m, -ASP_EINVAL, 0);
	for (i = 0; i < m->n; i++) {
		int32_t dst = dst_of(m, i);
		if (dst > m->top)
			m->top = dst;
		if (m->src[i] == ASP_FD_INVALID)
			map_fail(m, -ASP_EBADF, dst); /* closed when spawn was called */
		if (enc_of(m, i) != ASP_FD_DEVNULL && m->src[i] < 0)
			map_fail(m, -ASP_EINVAL, dst); /* a pipe asp_spawn did not make */
	}
}

/* The status fd is a target: move it above every target first. */
static void move_status_fd(struct fd_move *m)
{
	struct child *c = m->c;
	uint32_t i;
	long r;
	for (i = 0; i < m->n; i++) {
		if (dst_of(m, i) != c->status_fd)
			continue;
		r = sys_fcntl(c->status_fd, ASP_F_DUPFD_CLOEXEC, m->top + 1);
		if (r < 0)
			map_fail(m, r, c->status_fd);
		sys_close(c->status_fd);
		c->status_fd = (int32_t)r;
		return;
	}
}

/* Open /dev/null where asked, check the other sources are open, and make
 * our pipes' ends blocking. */
static void open_sources(struct fd_move *m)
{
	uint32_t i;
	long r;
	for (i = 0; i < m->n; i++) {
		int32_t enc = enc_of(m, i), dst = dst_of(m, i);
		if (enc == ASP_FD_DEVNULL) {
			r = sys_openat(ASP_AT_FDCWD, "/dev/null", ASP_O_RDWR | ASP_O_CLOEXEC, 0);
			if (r < 0)
				map_fail(m, r, dst);
			m->src[i] = (int32_t)r;
		} else if (enc == ASP_FD_PIPE_READ || enc == ASP_FD_PIPE_WRITE || enc == ASP_FD_SOCKETPAIR) {
			/* The parent made both ends O_NONBLOCK and nothing else
			 * (one pipe2 call); programs expect a blocking stdio. Our
			 * own file description, never one the user passed: no
			 * flag of theirs to keep, and EBADF if it was closed. */
			r = sys_fcntl(m->src[i], ASP_F_SETFL, 0);
			if (r < 0)
				map_fail(m, r, dst);
		} else if (sys_fcntl(m->src[i], ASP_F_GETFD, 0) < 0) {
			map_fail(m, -ASP_EBADF, dst);
		}
	}
}

/* An entry no longer reads its source: the last one frees the entries
 * waiting to overwrite it. */
static void release_source(struct fd_move *m, uint32_t i)
{
	uint32_t u = m->su[i], j;
	m->su[i] = NONE;
	if (u == NONE || --m->pending[u])
		return;
	for (j = m->waiters[u]; j != NONE; j = m->next[j])
		m->queue[m->qtail++] = j;
}

/* Count the entries reading each distinct source. Only the last entry of
 * each target runs (the others would be overwritten): then every waiting
 * entry waits on exactly one other. */
static void count_readers(struct fd_move *m)
{
	uint32_t i, k;
	sort_entries(m->by_dst, m->n, m->dsts, 8);
	for (k = 0; k < m->n; k++)
		m->state[m->by_dst[k]] = k + 1 < m->n && dst_of(m, m->by_dst[k]) == dst_of(m, m->by_dst[k + 1]);
	sort_entries(m->queue, m->n, (const uint8_t *)m->src, 4);
	for (k = 0; k < m->n; k++) {
		i = m->queue[k];
		m->su[i] = NONE;
		if (m->state[i])
			continue;
		if (!m->nu || m->usrc[m->nu - 1] != m->src[i]) {
			m->usrc[m->nu] = m->src[i];
			m->pending[m->nu] = 0;
			m->waiters[m->nu] = NONE;
			m->nu++;
		}
		m->su[i] = m->nu - 1;
		m->pending[m->nu - 1]++;
	}
}

/* Each entry whose target is some entry's source waits on that source;
 * the others are ready. Both lists in target order: one merge. */
static void queue_ready(struct fd_move *m)
{
	uint32_t i, k, u = 0;
	for (k = 0; k < m->n; k++) {
		int32_t dst;
		i = m->by_dst[k];
		if (m->state[i])
			continue;
		m->left++;
		dst = dst_of(m, i);
		while (u < m->nu && m->usrc[u] < dst)
			u++;
		if (u < m->nu && m->usrc[u] == dst && m->src[i] != dst) {
			m->next[i] = m->waiters[u];
			m->waiters[u] = i;
		} else {
			m->queue[m->qtail++] = i;
		}
	}
}

/* Only cycles are left: each source is read by one entry and is the target
 * of another. Moving one source above the top frees the entry waiting on
 * it, and the cycle unwinds down to the moved one. */
static void break_cycle(struct fd_move *m)
{
	uint32_t i;
	long r;
	while (m->state[m->cursor] & ENTRY_DONE)
		m->cursor++;
	i = m->cursor;
	if (m->state[i] & ENTRY_MOVED) /* cannot happen: never spin */
		map_fail(m, -ASP_EINVAL, dst_of(m, i));
	r = sys_fcntl(m->src[i], ASP_F_DUPFD_CLOEXEC, m->top + 1);
	if (r < 0)
		map_fail(m, r, dst_of(m, i));
	m->src[i] = (int32_t)r;
	m->state[i] = ENTRY_MOVED;
	release_source(m, i);
}

/* Install every ready entry, breaking cycles when none is. */
static void install(struct fd_move *m)
{
	while (m->left) {
		uint32_t i;
		int32_t dst;
		long r;
		if (m->qhead == m->qtail) {
			break_cycle(m);
			continue;
		}
		i = m->queue[m->qhead++];
		dst = dst_of(m, i);
		r = m->src[i] == dst ? sys_fcntl(dst, ASP_F_SETFD, 0) : sys_dup3(m->src[i], dst, 0);
		if (r < 0)
			map_fail(m, r, dst);
		if (m->state[i] & ENTRY_MOVED)
			sys_close(m->src[i]);
		m->state[i] = ENTRY_DONE;
		m->left--;
		release_source(m, i);
	}
}

/*
 * Install the fd map as a parallel move: an entry is installed (dup3, which
 * also clears FD_CLOEXEC on the target) once no other entry still needs its
 * target as a source; a cycle (1<->2) is broken by moving one source aside.
 * So swaps and collisions work, and the child needs at most one or two fds
 * beyond the map: near RLIMIT_NOFILE it does not fail where the parent could
 * still spawn. "fd n -> fd n" only clears FD_CLOEXEC (dup2(n, n) would keep it).
 * The status fd is moved first if it is a target. Of entries with the same
 * target, the last one wins.
 *
 * In n log n: this runs while sharing the parent's memory, and a map may
 * have 4096 entries. Entries sorted by source give each distinct source a
 * count of entries still reading it; an entry waits on the source equal to
 * its target until that count is 0, then joins a queue of ready entries.
 */
static void run_fd_map(struct child *c, const struct asp_step *s, int32_t step)
{
	uint32_t n = s->u.fd_map.count, *w = c->ctx->map_work;
	int close_others = (s->u.fd_map.flags & ASP_FDMAP_CLOSE_OTHERS) != 0;
	struct fd_move m = {
		.c = c,
		.step = step,
		.pairs = s->u.fd_map.pairs,
		.dsts = s->u.fd_map.pairs + 4,
		.src = c->ctx->src_fds,
		.n = n,
		.top = -1,
		.queue = w,
		.by_dst = w + n,
		.usrc = (int32_t *)(w + 2 * n),
		.pending = w + 3 * n,
		.waiters = w + 4 * n,
		.next = w + 5 * n,
		.su = w + 6 * n,
		.state = w + 7 * n,
	};

	check_sources(&m);
	move_status_fd(&m);
	/* Closing the rest anyway: do it first, keeping only the sources and
	 * the status fd, so that /dev/null and a cycle's temporary find room
	 * even when the parent's table (which we copied) was full. */
	if (close_others) {
		sort_entries(m.queue, n, (const uint8_t *)m.src, 4);
		close_all_but(m.queue, n, (const uint8_t *)m.src, 4, c->status_fd);
	}
	open_sources(&m);
	count_readers(&m);
	queue_ready(&m);
	install(&m);
	/* Close everything but the targets and the status fd. */
	if (close_others)
		close_all_but(m.by_dst, n, m.dsts, 8, c->status_fd);
}

/* procs_fd: the cgroup's cgroup.procs, opened for writing by asp_spawn. */
static long join_cgroup(int32_t procs_fd)
{
	long r = sys_write(procs_fd, "0", 1);
	sys_close(procs_fd);
	return r < 0 ? r : 0;
}

/* Whether the thread that spawned us still runs (and with it our parent
 * process): PR_SET_PDEATHSIG fires when that thread ends, so a Worker that
 * ended before our prctl would never send it. */
static int spawner_alive(const struct asp_child_ctx *ctx)
{
	if (sys_getppid() != ctx->parent_pid)
		return 0;
	/* A forked child reads its own copy of the word: ask the kernel too
	 * (a thread id reused since can only make a dead thread look alive). */
	if (sys_tgkill(ctx->parent_pid, ctx->parent_tid, 0) == -ASP_ESRCH)
		return 0;
	return !ctx->parent_alive || __atomic_load_n(ctx->parent_alive, __ATOMIC_ACQUIRE) == ctx->parent_gen;
}

/* Before installing dst: move the status fd out of the way if it is dst
 * (an fd map moved it above the map's targets, but OPEN and DUP targets
 * may lie above those). */
static long free_target(struct child *c, int32_t dst)
{
	long r;
	if (dst != c->status_fd)
		return 0;
	r = sys_fcntl(c->status_fd, ASP_F_DUPFD_CLOEXEC, dst + 1);
	if (r < 0)
		return r;
	sys_close(c->status_fd);
	c->status_fd = (int32_t)r;
	return 0;
}

/* src onto dst for the new program (dup3 clears FD_CLOEXEC; src == dst
 * only needs that cleared). */
static long install_fd(int32_t src, int32_t dst)
{
	return src == dst ? sys_fcntl(dst, ASP_F_SETFD, 0) : sys_dup3(src, dst, 0);
}

/* OPEN: the file at the path as this step finds it (working directory,
 * credentials, umask), onto its fd. */
static long open_onto(struct child *c, const struct asp_step *s)
{
	uint32_t f = s->u.open.flags;
	int32_t dst = s->u.open.fd;
	int flags = ASP_O_CLOEXEC | ASP_O_NOCTTY;
	long fd, r;
	if (f & ASP_OPEN_WRITE)
		flags |= ASP_O_WRONLY | ASP_O_CREAT | (f & ASP_OPEN_APPEND ? ASP_O_APPEND : ASP_O_TRUNC);
	fd = sys_openat(ASP_AT_FDCWD, s->u.open.path, flags, (int)s->u.open.mode);
	if (fd < 0)
		return fd;
	r = free_target(c, dst);
	if (r == 0)
		r = install_fd((int32_t)fd, dst);
	if (fd != dst)
		sys_close((int)fd);
	return r < 0 ? r : 0;
}

/* DUP: dst shares src's open file (a merge: 2>&1). Never our status fd,
 * which a request may name when src is not an fd the program gets. */
static long dup_onto(struct child *c, const struct asp_step *s)
{
	long r;
	if (s->u.pair.src == c->status_fd)
		return -ASP_EBADF;
	r = free_target(c, s->u.pair.dst);
	if (r == 0)
		r = install_fd(s->u.pair.src, s->u.pair.dst);
	return r < 0 ? r : 0;
}

static long run_step(struct child *c, const struct asp_step *s, int32_t step, int32_t *detail)
{
	long r;
	/* Done before any step: by clone3 (CLONE_INTO_CGROUP) or at setup. */
	if (asp_ops[s->op].flags & ASP_OPF_PARENT)
		return 0;
	switch (s->op) {
	case ASP_OP_FD_MAP:
		run_fd_map(c, s, step);
		return 0;
	case ASP_OP_CHDIR:
		return sys_chdir(s->u.str);
	case ASP_OP_SETSID:
		return sys_setsid();
	case ASP_OP_CTTY:
		/* 0: never steal a terminal that is another session's. */
		return sys_ioctl(s->u.i32, ASP_TIOCSCTTY, (void *)0);
	case ASP_OP_SETPGID:
		return sys_setpgid(0, s->u.i32);
	case ASP_OP_SETGROUPS:
		return sys_setgroups(s->u.list.count, (const uint32_t *)s->u.list.data);
	case ASP_OP_CLEAR_GROUPS:
		/* The default with uid/gid: drop root's supplementary groups. An
		 * unprivileged caller may not call setgroups at all: keep its own. */
		return sys_geteuid() == 0 ? sys_setgroups(0, 0) : 0;
	case ASP_OP_SETGID:
		return sys_setresgid(s->u.u32, s->u.u32, s->u.u32);
	case ASP_OP_SETUID:
		return sys_setresuid(s->u.u32, s->u.u32, s->u.u32);
	case ASP_OP_UMASK:
		sys_umask(s->u.u32 & 0777);
		return 0;
	case ASP_OP_NICE:
		return sys_setpriority(ASP_PRIO_PROCESS, 0, s->u.i32);
	case ASP_OP_RLIMIT: {
		struct asp_rlimit64 lim = {s->u.rlimit.soft, s->u.rlimit.hard};
		*detail = (int32_t)s->u.rlimit.resource;
		if (s->u.rlimit.resource == ASP_RLIMIT_CORE) {
			/* Applied after everything else (see the file comment). */
			c->core = lim;
			c->core_step = step;
			return 0;
		}
		return sys_prlimit64(0, (int)s->u.rlimit.resource, &lim, 0);
	}
	case ASP_OP_PDEATHSIG:
		/* After the credential steps: changing credentials clears it. */
		r = sys_prctl(ASP_PR_SET_PDEATHSIG, s->u.u32, 0, 0, 0);
		if (r < 0)
			return r;
		/* The spawning thread may have ended before the prctl: then
		 * nobody will send the signal, so send it ourselves (delivered
		 * when the mask is lifted, like any early signal). */
		if (!spawner_alive(c->ctx))
			sys_kill((int)sys_getpid(), (int)s->u.u32);
		return 0;
	case ASP_OP_NO_NEW_PRIVS:
		return sys_prctl(ASP_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	case ASP_OP_SECCOMP: {
		struct asp_sock_fprog prog = {(unsigned short)s->u.list.count, s->u.list.data};
		return sys_seccomp(ASP_SECCOMP_SET_MODE_FILTER, 0, &prog);
	}
	case ASP_OP_SIGMASK:
		c->sigmask = s->u.u64;
		return 0;
	case ASP_OP_OPEN:
		*detail = s->u.open.fd;
		return open_onto(c, s);
	case ASP_OP_DUP:
		*detail = s->u.pair.dst;
		return dup_onto(c, s);
	}
	return -ASP_EINVAL;
}

/* Length of the name part of "NAME=value" (or of "NAME"). */
static uint32_t env_name_len(const char *e)
{
	uint32_t n = 0;
	while (e[n] && e[n] != '=')
		n++;
	return n;
}

static int env_same_name(const char *a, const char *b)
{
	uint32_t n = env_name_len(a), i;
	if (n != env_name_len(b))
		return 0;
	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/*
 * envp = the request's env strings; with INHERIT_ENV, first the parent's
 * environment (copied by asp_spawn) minus every name the request sets or
 * removes, then the request's "NAME=value" strings ("NAME" alone removes).
 */
static long build_env(struct asp_reader *strings, uint32_t envc, struct asp_child_ctx *ctx, char **envp,
		      int inherit)
{
	const char *e = ctx->inherited, *s;
	uint32_t i, k, n = 0;
	long r;
	if (inherit) {
		for (k = 0; k < ctx->ninherited; k++, e += asp_strlen(e) + 1) {
			struct asp_reader scan = *strings;
			int overridden = 0;
			for (i = 0; i < envc && !overridden; i++) {
				if (asp_read_string(&scan, &s, 0) < 0)
					return -ASP_EINVAL;
				overridden = env_same_name(e, s);
			}
			if (!overridden)
				envp[n++] = (char *)e;
		}
	}
	for (i = 0; i < envc; i++) {
		r = asp_read_string(strings, &s, 0);
		if (r < 0)
			return r;
		if (!inherit || s[env_name_len(s)] == '=')
			envp[n++] = (char *)s;
	}
	envp[n] = 0;
	return 0;
}

static const char *env_lookup(char *const *envp, const char *name, uint32_t nlen)
{
	for (; *envp; envp++) {
		const char *e = *envp;
		uint32_t i = 0;
		while (i < nlen && e[i] == name[i])
			i++;
		if (i == nlen && e[i] == '=')
			return e + nlen + 1;
	}
	return 0;
}

/*
 * execvp semantics: try each PATH entry of the child's own environment (an
 * empty entry is the current directory); report EACCES over ENOENT when
 * some entry existed but was not executable; stop at the first error that
 * is not about the entry itself. With `sh`, a file the kernel cannot run
 * (ENOEXEC) is given to /bin/sh, and the search goes on as it would after
 * that exec's own error.
 */
static long try_exec(const char *path, char **argv, char *const *envp, int sh)
{
	static const char bin_sh[] = "/bin/sh";
	char *arg0 = argv[0];
	long r = sys_execve(path, argv, envp);
	if (r != -ASP_ENOEXEC || !sh)
		return r;
	/* argv[-1] is ours (decode_strings); argv[0] is given back for the
	 * next entry of the search. */
	argv[-1] = (char *)bin_sh;
	argv[0] = (char *)path;
	r = sys_execve(bin_sh, argv - 1, envp);
	argv[0] = arg0;
	return r;
}

static long child_exec(const char *file, uint32_t flen, char **argv, char *const *envp, int search, int sh)
{
	char buf[ASP_PATH_MAX + ASP_NAME_MAX + 1];
	const char *path, *p;
	int seen_eacces = 0;
	uint32_t i;

	if (file[0] == 0)
		return -ASP_ENOENT;
	for (i = 0; i < flen; i++)
		if (file[i] == '/')
			search = 0;
	if (!search)
		return try_exec(file, argv, envp, sh);
	if (flen > ASP_NAME_MAX)
		return -ASP_ENAMETOOLONG;
	path = env_lookup(envp, "PATH", 4);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p++) {
		const char *start = p;
		uint32_t dlen, k = 0;
		long r;
		while (*p && *p != ':')
			p++;
		dlen = (uint32_t)(p - start);
		if (dlen + 1 + flen + 1 <= sizeof buf) {
			for (i = 0; i < dlen; i++)
				buf[k++] = start[i];
			if (dlen)
				buf[k++] = '/';
			for (i = 0; i < flen; i++)
				buf[k++] = file[i];
			buf[k] = 0;
			r = try_exec(buf, argv, envp, sh);
			switch (-r) {
			case ASP_EACCES:
				seen_eacces = 1;
				/* fallthrough */
			case ASP_ENOENT:
			case ASP_ENOTDIR:
			case ASP_ESTALE:
			case ASP_ENODEV:
			case ASP_ETIMEDOUT:
			case ASP_ELOOP:
			case ASP_ENAMETOOLONG:
				break;
			default:
				return r;
			}
		}
		if (!*p)
			break;
	}
	return seen_eacces ? -ASP_EACCES : -ASP_ENOENT;
}

/*
 * Cloned with CLONE_FILES: take a private copy of the fd table before
 * anything else, then tell the parent (through the reactor), which may then
 * close its copies of our fds (share.c). When we need no fd from keep_below
 * up, the kernel copies only the fds below it.
 */
static void unshare_files(struct child *c)
{
	struct asp_share *sh = &c->ctx->share;
	uint64_t one = 1;
	long r = -ASP_EINVAL;
	if (sh->keep_below)
		r = sys_close_range(sh->keep_below, ~0u, ASP_CLOSE_RANGE_UNSHARE);
	/* Not only EINVAL: seccomp profiles older than close_range answer
	 * EPERM. unshare copies everything, and works. */
	if (r < 0)
		r = sys_unshare(ASP_CLONE_FILES);
	/* On failure the status fd must stay open in the shared table for the
	 * record; the parent closes its copies when we exit. */
	if (r < 0)
		child_fail(c, r, ASP_STEP_SETUP, 0);
	__atomic_store_n(&sh->unshared, 1, __ATOMIC_RELEASE);
	sys_write(sh->wake_fd, &one, sizeof one);
}

/* RLIMIT_CORE to 0 until the last step (the file comment says why); the
 * limit to restore is kept in c->core. */
static void suspend_core(struct child *c)
{
	struct asp_rlimit64 zero;
	long r = sys_prlimit64(0, ASP_RLIMIT_CORE, 0, &c->core);
	if (r < 0)
		child_fail(c, r, ASP_STEP_SETUP, 0);
	c->inherited_core = c->core;
	if (c->core.cur == 0)
		return; /* the usual soft limit: already what we want */
	zero.cur = 0;
	zero.max = c->core.max;
	r = sys_prlimit64(0, ASP_RLIMIT_CORE, &zero, 0);
	if (r < 0)
		child_fail(c, r, ASP_STEP_SETUP, 0);
}

/* argv and envp from the request's strings (and the inherited environment). */
static void decode_strings(struct child *c, struct asp_reader *strings, struct asp_req_header *h)
{
	struct asp_child_ctx *ctx = c->ctx;
	uint32_t i;
	long r = asp_req_open(ctx->req, ctx->req_size, strings, h);
	if (r == 0)
		r = asp_read_string(strings, &c->file, &c->flen);
	/* ptrs was sized from the caller's request, this is our copy of it: a
	 * C caller that changed it meanwhile must not make us write past it. */
	if (r == 0 && (uint64_t)h->argc + h->envc + ctx->ninherited + ASP_PTRS_EXTRA > ctx->nptrs)
		r = -ASP_EINVAL;
	if (r < 0)
		child_fail(c, r, ASP_STEP_SETUP, 0);
	c->argv = ctx->ptrs + 1; /* ptrs[0]: /bin/sh's slot (try_exec) */
	c->envp = c->argv + h->argc + 1;
	for (i = 0; r == 0 && i < h->argc; i++)
		r = asp_read_string(strings, (const char **)&c->argv[i], 0);
	if (r == 0)
		r = build_env(strings, h->envc, ctx, c->envp, (h->flags & ASP_REQ_INHERIT_ENV) != 0);
	if (r < 0)
		child_fail(c, r, ASP_STEP_SETUP, 0);
	c->argv[h->argc] = 0;
}

static void run_steps(struct child *c, const struct asp_reader *strings, const struct asp_req_header *h)
{
	struct asp_reader steps;
	uint32_t i;
	asp_steps_begin(strings, h, &steps);
	for (i = 0; i < h->nsteps; i++) {
		struct asp_step s;
		int32_t detail = 0;
		long r = asp_step_next(&steps, &s);
		if (r == 0)
			r = run_step(c, &s, (int32_t)i, &detail);
		if (r < 0)
			child_fail(c, r, (int32_t)i, detail);
	}
}

/*
 * Last: the requested mask (pending signals are delivered now, while
 * RLIMIT_CORE is still 0), then the core limit. A non-zero core limit
 * leaves a window of a few syscalls (this prlimit, and failed execve
 * attempts of the PATH search) in which a core-dumping signal would dump
 * our shared memory; with the usual soft limit of 0 there is no window at
 * all, so skip the restore then.
 */
static void restore_signals_and_core(struct child *c)
{
	long r = sys_rt_sigprocmask(ASP_SIG_SETMASK, &c->sigmask, 0);
	if (r < 0)
		child_fail(c, r, ASP_STEP_SETUP, 0);
	if (c->core.cur == 0 && c->core.max == c->inherited_core.max)
		return;
	r = sys_prlimit64(0, ASP_RLIMIT_CORE, &c->core, 0);
	if (r < 0)
		child_fail(c, r, c->core_step, ASP_RLIMIT_CORE);
}

ASP_HIDDEN int asp_child_main(struct asp_child_ctx *ctx)
{
	struct child c = {.ctx = ctx, .core_step = ASP_STEP_SETUP, .status_fd = ctx->status_fd};
	struct asp_reader strings;
	struct asp_req_header h;
	long r;

	/* The probe's exit status tells probe.c how signals are reset faster.
	 * Its calls may meet a seccomp filter too: RLIMIT_CORE 0 first, as in
	 * any child (probe.c holds the nodump guard where that is not enough). */
	if (ctx->probe) {
		suspend_core(&c);
		sys_exit_group(asp_child_pick_reset());
	}
	if (ctx->share.files_shared)
		unshare_files(&c);
	suspend_core(&c);
	asp_child_reset_signals((int)ctx->signals_by_proc);
	decode_strings(&c, &strings, &h);
	/* On the fallbacks, join the cgroup first, as clone3 would have
	 * started us there (and before an fd map closes the fd). */
	if (ctx->cgroup_fd >= 0) {
		r = join_cgroup(ctx->cgroup_fd);
		if (r < 0)
			child_fail(&c, r, ctx->cgroup_step, 0);
	}
	run_steps(&c, &strings, &h);
	restore_signals_and_core(&c);
	r = child_exec(c.file, c.flen, c.argv, c.envp, (h.flags & ASP_REQ_SEARCH_PATH) != 0,
		       (h.flags & ASP_REQ_SH_FALLBACK) != 0);
	child_fail(&c, r, ASP_STEP_EXEC, 0);
}
