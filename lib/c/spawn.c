/*
 * asp_spawn: the parent's side of a spawn. It never waits for the child:
 * the result of the pre-exec program and of execve arrives later on the
 * status pipe (a record on failure, EOF on success).
 *
 * Cost on the caller's thread: a scan of the steps (not of argv/envp: the
 * child decodes those), one copy of the request into a pooled stack, one
 * pipe2 per pipe, the clone, and closing the child's ends. No allocation
 * once the pool is warm. When the reactor runs, the child shares our fd
 * table until it has copied it, so that the clone does not grow with our
 * table (share.c).
 *
 * spawn_once runs in phases over one struct spawn — read the request, take
 * and lay out a stack slot, open the child's fds, clone, publish — and
 * every failure leaves through one path (undo), which closes what the
 * phases opened. asp_spawn_start (launch.c) runs the phases up to the clone
 * on the caller's thread (asp_spawn_prepare) and the clone on the launcher
 * thread (asp_spawn_launch).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "program.h"

#define CHILD_STACK ((size_t)64 << 10) /* the child's own frames (PATH buffer: 4.3 KiB) */
#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

struct scan {
	uint32_t npipes;
	int32_t map_step;     /* index of the FD_MAP step, or -1 */
	uint32_t map_count;
	uint32_t map_flags;
	const uint8_t *pairs;
	int32_t cgroup_step;  /* index of the CGROUP step, or -1 */
	const char *cgroup_path;
	int creds;            /* some step has ASP_OPF_CREDS */
};
#define SCAN_INIT {.map_step = -1, .cgroup_step = -1}

static void scan_fd_map(struct scan *sc, const struct asp_step *s, int32_t i)
{
	uint32_t k;
	sc->map_step = i;
	sc->map_count = s->u.fd_map.count;
	sc->map_flags = s->u.fd_map.flags;
	sc->pairs = s->u.fd_map.pairs;
	for (k = 0; k < s->u.fd_map.count; k++) {
		int32_t src = (int32_t)asp_load32(s->u.fd_map.pairs + 8 * k);
		if (src == ASP_FD_PIPE_READ || src == ASP_FD_PIPE_WRITE || src == ASP_FD_SOCKETPAIR)
			sc->npipes++;
	}
}

/* Decode every step (the child decodes them again: the request is the same
 * bytes) and note what the parent must prepare; the op table says which. */
static int scan_steps(const struct asp_reader *strings, const struct asp_req_header *h, struct scan *sc,
		      int32_t *bad_step)
{
	struct asp_reader r;
	uint32_t i, seen = 0;
	asp_steps_begin(strings, h, &r);
	for (i = 0; i < h->nsteps; i++) {
		struct asp_step s;
		int e = asp_step_next(&r, &s);
		if (e == 0)
			e = asp_step_once(&seen, s.op);
		if (e < 0) {
			*bad_step = (int32_t)i;
			return e;
		}
		if (asp_ops[s.op].flags & ASP_OPF_CREDS)
			sc->creds = 1;
		if (s.op == ASP_OP_FD_MAP)
			scan_fd_map(sc, &s, (int32_t)i);
		if (s.op == ASP_OP_CGROUP) {
			sc->cgroup_step = (int32_t)i;
			sc->cgroup_path = s.u.cgroup.path;
		}
	}
	if (sc->npipes > ASP_MAX_PIPES) {
		*bad_step = sc->map_step;
		return -ASP_EINVAL;
	}
	return 0;
}

struct spawn {
	const void *req;
	uint32_t len;
	int32_t *out;              /* the caller's output slots */
	struct asp_reader strings;
	struct asp_req_header h;
	struct scan sc;
	enum asp_mode m;
	int share;                 /* clone with CLONE_FILES (share.c) */
	int self;                  /* our pid */
	struct asp_slot *slot;     /* 0 until taken */
	struct asp_child_ctx *ctx; /* in the slot */
	uint8_t *stack_top;
	struct asp_held_fds held;  /* fds open only for the child */
	int handed_over;           /* `held` is the slot's pending fds now */
	uint32_t nparent;          /* our pipe ends, in out[ASP_OUT_PIPES...] */
	int status_read;           /* our end of the status pipe, or -1 */
	int cgroup_dir;            /* for clone3's CLONE_INTO_CGROUP, or -1 */
	int pid, pidfd;
	int32_t step;              /* where a failure is reported */
	int private_;              /* asp_spawn_private: no sharing, nothing handed out */
	int async;                 /* asp_spawn_prepare: the clone happens later, elsewhere */
	int32_t own_out[ASP_OUT_MAX]; /* async: out[] once the caller has its copy */
};

static void close_all(const int32_t *fds, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		sys_close(fds[i]);
}

/* Room is checked up front (read_request): at most ASP_MAX_MAPPED sources
 * and pipes, the status pipe and a cgroup. */
static void hold(struct asp_held_fds *held, int32_t fd) { held->fd[held->n++] = fd; }

/* The library's own long-lived fds: a caller naming one of those numbers
 * names an fd of its own that it closed. */
static int ours(int32_t fd)
{
	return asp_reactor_owns_fd(fd) || asp_share_owns_fd(fd);
}

/*
 * The caller's fds among the FD_MAP's sources, into ctx->src_fds —
 * duplicated when the table will be shared, so the caller may close its own
 * at once. Done before we create any fd: a caller's fd that is closed must
 * be reported as such (EBADF), not found again under the number a new pipe
 * of ours just took. A closed one in a large map fails here (EBADF, *detail
 * its target); in a smaller one the child reports it.
 */
static int take_callers_fds(struct spawn *sp, int32_t *detail)
{
	const struct scan *sc = &sp->sc;
	/* Shared, or cloned later by the launcher: the caller may close its
	 * own as soon as we return. */
	int dup = sp->share || sp->async;
	uint32_t k;
	for (k = 0; k < sc->map_count; k++) {
		int32_t src = (int32_t)asp_load32(sc->pairs + 8 * k), fd = src;
		if (src >= 0) {
			long d = dup ? sys_fcntl(src, ASP_F_DUPFD_CLOEXEC, 3) : sys_fcntl(src, ASP_F_GETFD, 0);
			if (d == -ASP_EMFILE || d == -ASP_ENFILE)
				return (int)d; /* out of fds: the caller's problem, now */
			if (d >= 0 && ours(src)) { /* a closed fd of the caller's, whose number we hold */
				if (dup)
					sys_close((int)d);
				d = -ASP_EBADF;
			}
			if (d < 0 && sc->map_count > ASP_MAX_MAPPED) {
				/* Maps this large fail at once, as they did
				 * when their sources were not resolved. */
				*detail = (int32_t)asp_load32(sc->pairs + 8 * k + 4);
				return -ASP_EBADF;
			}
			if (d < 0)
				fd = ASP_FD_INVALID;
			else if (dup)
				hold(&sp->held, fd = (int32_t)d);
		}
		sp->ctx->src_fds[k] = fd;
	}
	return 0;
}

/* The FD_MAP's new pipes and socketpairs: our end to out[], the child's
 * into ctx->src_fds (/dev/null, -1 there, the child opens itself). */
static int make_pipes(struct spawn *sp)
{
	uint32_t k;
	for (k = 0; k < sp->sc.map_count; k++) {
		int32_t src = (int32_t)asp_load32(sp->sc.pairs + 8 * k);
		int fds[2];
		long e;
		if (src != ASP_FD_PIPE_READ && src != ASP_FD_PIPE_WRITE && src != ASP_FD_SOCKETPAIR)
			continue;
		/* Both ends non-blocking in one call; the child clears
		 * O_NONBLOCK on its end. A socketpair's [0] is ours, as a
		 * stdout pipe's is. */
		e = src == ASP_FD_SOCKETPAIR ? asp_socketpair_high(fds, ASP_O_CLOEXEC | ASP_O_NONBLOCK)
					     : asp_pipe_high(fds, ASP_O_CLOEXEC | ASP_O_NONBLOCK);
		if (e < 0)
			return (int)e;
		sp->out[ASP_OUT_PIPES + sp->nparent++] = src == ASP_FD_PIPE_READ ? fds[1] : fds[0];
		sp->ctx->src_fds[k] = src == ASP_FD_PIPE_READ ? fds[0] : fds[1];
		hold(&sp->held, sp->ctx->src_fds[k]);
	}
	return 0;
}

#define CGROUP2_SUPER_MAGIC 0x63677270

/*
 * A cgroup v2 directory for clone3 (CLONE_INTO_CGROUP), or on the fallbacks
 * its cgroup.procs opened for writing, so that a bad path, a v1 hierarchy or
 * a missing permission fails here, synchronously, on every mechanism (only
 * the kernel's checks at write time, such as EBUSY for a cgroup with
 * controllers enabled below it, remain the child's to report).
 */
static int open_cgroup(const char *path, int for_clone3)
{
	uint64_t st[16];
	long dir = asp_fd_high(sys_openat(ASP_AT_FDCWD, path, ASP_O_RDONLY | ASP_O_DIRECTORY | ASP_O_CLOEXEC, 0)), procs;
	if (dir < 0)
		return (int)dir;
	if (sys_fstatfs((int)dir, st) < 0 || st[0] != CGROUP2_SUPER_MAGIC) {
		sys_close((int)dir);
		return -ASP_EOPNOTSUPP;
	}
	if (for_clone3)
		return (int)dir;
	procs = asp_fd_high(sys_openat((int)dir, "cgroup.procs", ASP_O_WRONLY | ASP_O_CLOEXEC, 0));
	sys_close((int)dir);
	return (int)procs;
}

/* The fds a spawn hands to the calling thread's JS context: the reactor
 * reclaims them if that context ends without closing them. */
static void hand_out(int pidfd, int status, const int32_t *pipes, uint32_t npipes)
{
	int32_t fds[2 + ASP_MAX_PIPES];
	uint8_t kinds[2 + ASP_MAX_PIPES];
	uint32_t n = 0, i;
	int ch = asp_thread_channel();
	if (ch < 0)
		return;
	fds[n] = pidfd;
	kinds[n++] = ASP_OWN_PIDFD;
	fds[n] = status;
	kinds[n++] = ASP_OWN_FD;
	for (i = 0; i < npipes; i++) {
		fds[n] = pipes[i];
		kinds[n++] = ASP_OWN_FD;
	}
	asp_owner_set(ch, fds, kinds, n);
}

/* Check the request and scan its steps; choose how to clone. */
static int read_request(struct spawn *sp, uint32_t out_len)
{
	int err;
	if (!sp->req)
		return -ASP_EINVAL;
	err = asp_req_open(sp->req, sp->len, &sp->strings, &sp->h);
	if (err < 0)
		return err;
	err = scan_steps(&sp->strings, &sp->h, &sp->sc, &sp->step);
	if (err < 0)
		return err;
	if (out_len < ASP_OUT_PIPES + sp->sc.npipes)
		return -ASP_EINVAL;
	/* A launch holds a copy of every source until the launcher clones:
	 * `held` has room for ASP_MAX_MAPPED of them. */
	if (sp->async && sp->sc.map_count > ASP_MAX_MAPPED) {
		sp->step = sp->sc.map_step;
		return -ASP_E2BIG;
	}
	sp->m = asp_mode();
	/* A private spawn's caller waits on its pipes itself: the child's ends
	 * must close with the child, not when the reactor sweeps. */
	sp->share = !sp->private_ && asp_share_wanted(sp->m, sp->sc.map_count);
	return 0;
}

/*
 * A stack slot, laid out from its top down: the child's context, the
 * request, the parent's environment, the pointer arrays for execve, the
 * FD_MAP's sources and working memory, then the stack. The environment is
 * copied now: the child must not read `environ` itself, which this process
 * may change while it runs, and another thread may be changing it now
 * (environ.c).
 */
static int take_slot(struct spawn *sp)
{
	struct asp_env *env = 0;
	const char *env_strings = 0;
	size_t ptrs_size, map_size, env_size = 0;
	uint32_t nenv = 0;
	uint8_t *top, *copy;
	char *inherited, **ptrs;
	int err;

	sp->self = asp_self_pid();
	if (sp->h.flags & ASP_REQ_INHERIT_ENV) {
		err = asp_env_get(sp->self, &env);
		if (err < 0)
			return err;
		env_strings = asp_env_strings(env, &nenv, &env_size);
	}
	ptrs_size = ((size_t)sp->h.argc + sp->h.envc + nenv + ASP_PTRS_EXTRA) * sizeof(char *);
	map_size = (size_t)sp->sc.map_count * (1 + ASP_FDMAP_WORDS) * 4;
	err = asp_pool_acquire(ALIGN16(sizeof *sp->ctx) + ALIGN16(sp->len) + ALIGN16(env_size) + ALIGN16(ptrs_size) +
				       ALIGN16(map_size) + CHILD_STACK,
			       &sp->slot);
	if (err < 0) {
		asp_env_put(env);
		return err;
	}
	top = sp->slot->map + sp->slot->map_size;
	sp->ctx = (struct asp_child_ctx *)(top - ALIGN16(sizeof *sp->ctx));
	copy = (uint8_t *)sp->ctx - ALIGN16(sp->len);
	inherited = (char *)copy - ALIGN16(env_size);
	ptrs = (char **)(inherited - ALIGN16(ptrs_size));
	sp->stack_top = (uint8_t *)ptrs - ALIGN16(map_size);
	memcpy(copy, sp->req, sp->len);
	if (env) {
		memcpy(inherited, env_strings, env_size);
		asp_env_put(env);
	}
	*sp->ctx = (struct asp_child_ctx){
		.req = copy,
		.req_size = sp->len,
		.status_fd = -1,
		.parent_pid = sp->self,
		.parent_tid = (int32_t)asp_self_tid(),
		.cgroup_fd = -1,
		.cgroup_step = ASP_STEP_SETUP,
		.signals_by_proc = (asp_caps() & ASP_CAP_SIGNALS_BY_PROC) != 0,
		.nsrc = sp->sc.map_count,
		.ptrs = ptrs,
		.nptrs = (uint32_t)(ptrs_size / sizeof(char *)),
		.inherited = inherited,
		.ninherited = nenv,
		.src_fds = (int32_t *)sp->stack_top,
		.map_work = (uint32_t *)sp->stack_top + sp->sc.map_count,
	};
	sp->ctx->parent_alive = asp_thread_alive_word(&sp->ctx->parent_gen);
	return 0;
}

/* Every fd the child needs: its FD_MAP's sources, the status pipe, and the
 * cgroup (clone3 takes its directory; on the fallbacks the child writes
 * itself into its cgroup.procs). */
static int open_child_fds(struct spawn *sp)
{
	int status[2], err;
	err = take_callers_fds(sp, &sp->out[ASP_OUT_DETAIL]);
	if (err == 0)
		err = make_pipes(sp);
	if (err == -ASP_EBADF)
		sp->step = sp->sc.map_step;
	if (err < 0)
		return err;
	err = (int)asp_pipe_high(status, ASP_O_CLOEXEC | ASP_O_NONBLOCK);
	if (err < 0)
		return err;
	sp->status_read = status[0];
	sp->ctx->status_fd = status[1];
	hold(&sp->held, status[1]);
	if (!sp->sc.cgroup_path)
		return 0;
	sp->step = sp->sc.cgroup_step;
	err = open_cgroup(sp->sc.cgroup_path, sp->m == ASP_MODE_CLONE3);
	if (err < 0)
		return err;
	sp->ctx->cgroup_step = sp->sc.cgroup_step;
	if (sp->m == ASP_MODE_CLONE3) {
		sp->cgroup_dir = err;
	} else {
		sp->ctx->cgroup_fd = err;
		hold(&sp->held, err);
	}
	return 0;
}

/* Clone: from here on the child may run at any moment. */
static int clone_child(struct spawn *sp)
{
	struct asp_slot *slot = sp->slot;
	uint64_t all = ~0ull, old;
	int close_others = sp->sc.map_step >= 0 && (sp->sc.map_flags & ASP_FDMAP_CLOSE_OTHERS);

	if ((sp->sc.creds || asp_nodump_guard()) && sp->m != ASP_MODE_FORK) {
		asp_dumpable_hold(asp_nodump_guard() ? ASP_DUMPABLE_CLEAR : ASP_DUMPABLE_KEEP);
		slot->dumpable_hold = 1;
	}
	/* Before clone: the child may report `unshared` before clone returns. */
	if (sp->share) {
		asp_share_prepare(sp->ctx, &sp->held, close_others);
		asp_share_hand_over(&slot->pending, sp->ctx, &sp->held);
		sp->handed_over = 1;
	}
	/* The child inherits this mask: it runs with every signal blocked
	 * until its last step, so no handler of ours ever runs on its stack
	 * and no signal kills it while RLIMIT_CORE is still ours. */
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &all, &old);
	sp->pid = asp_spawn_child(sp->m, slot, sp->ctx, sp->stack_top, sp->cgroup_dir, sp->share, &sp->pidfd);
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &old, 0);
	if (sp->cgroup_dir >= 0) { /* clone3 has used it */
		sys_close(sp->cgroup_dir);
		sp->cgroup_dir = -1;
	}
	if (sp->pid >= 0)
		return 0;
	/* clone3 reports a bad cgroup itself; anything but a resource
	 * shortage is blamed on it. */
	if (!(sp->sc.cgroup_step >= 0 && sp->m == ASP_MODE_CLONE3 && sp->pid != -ASP_EAGAIN && sp->pid != -ASP_ENOMEM))
		sp->step = ASP_STEP_SETUP;
	return sp->pid;
}

/* The child runs: close what it no longer needs from us, fill out[]. */
static void publish(struct spawn *sp)
{
	int pidfd = sp->pidfd;
	/* Without CLONE_FILES the child has its own copy of the table. */
	if (!sp->share)
		close_all(sp->held.fd, sp->held.n);
	/* On the fallbacks the child is done with the slot: exec'd (vfork) or
	 * never shared it (fork). */
	if (sp->m == ASP_MODE_VFORK || sp->m == ASP_MODE_FORK)
		asp_pool_release(sp->slot);
	if (pidfd < 0 && (asp_caps() & ASP_CAP_PIDFD))
		pidfd = (int)sys_pidfd_open(sp->pid, 0); /* pidfds are always O_CLOEXEC */
	pidfd = (int)asp_fd_high(pidfd);
	if (pidfd < 0)
		pidfd = -1;
	sp->out[ASP_OUT_PID] = sp->pid;
	sp->out[ASP_OUT_PIDFD] = pidfd;
	sp->out[ASP_OUT_STATUS] = sp->status_read;
	sp->out[ASP_OUT_STEP] = 0;
	/* An async launch hands its pidfd out where its ticket is collected
	 * (asp_launched), on the thread of the context that owns it. */
	if (!sp->private_ && !sp->async)
		hand_out(pidfd, sp->status_read, &sp->out[ASP_OUT_PIPES], sp->nparent);
}

/* A phase failed: close what the phases opened, give the slot back. */
static int undo(struct spawn *sp, int err)
{
	if (sp->cgroup_dir >= 0)
		sys_close(sp->cgroup_dir);
	if (sp->handed_over)
		asp_share_drop(&sp->slot->pending);
	else
		close_all(sp->held.fd, sp->held.n);
	close_all(&sp->out[ASP_OUT_PIPES], sp->nparent);
	if (sp->status_read >= 0)
		sys_close(sp->status_read);
	if (sp->slot)
		asp_pool_release(sp->slot);
	sp->out[ASP_OUT_STEP] = sp->step;
	return err;
}

/* The phases before the clone: 0, or a failure undone. */
static int prepare(struct spawn *sp, uint32_t out_len)
{
	int32_t *out = sp->out;
	int err;
	if (!out || out_len < ASP_OUT_PIPES)
		return -ASP_EINVAL;
	out[ASP_OUT_PID] = out[ASP_OUT_PIDFD] = out[ASP_OUT_STATUS] = -1;
	out[ASP_OUT_STEP] = ASP_STEP_SETUP;
	out[ASP_OUT_DETAIL] = 0;
	err = read_request(sp, out_len);
	if (err == 0)
		err = take_slot(sp);
	if (err == 0)
		err = open_child_fds(sp);
	return err < 0 ? undo(sp, err) : 0;
}

/* A spawn before its first phase: nothing taken, nothing opened. */
static void spawn_init(struct spawn *sp, const void *req, uint32_t len, int32_t *out)
{
	*sp = (struct spawn){
		.req = req,
		.len = len,
		.out = out,
		.sc = SCAN_INIT,
		.status_read = -1,
		.cgroup_dir = -1,
		.pid = -1,
		.pidfd = -1,
		.step = ASP_STEP_SETUP,
	};
}

static int spawn_once(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int private_)
{
	struct spawn sp;
	int err;
	spawn_init(&sp, req, len, out);
	sp.private_ = private_;
	err = prepare(&sp, out_len);
	if (err < 0)
		return err;
	err = clone_child(&sp);
	if (err < 0)
		return undo(&sp, err);
	publish(&sp);
	return 0;
}

/* Out of fds: what the low-fd reserve holds free goes back to the process,
 * and we try once more. */
static int out_of_fds(int r)
{
	return (r == -ASP_EMFILE || r == -ASP_ENFILE) && asp_low_fds_release() > 0;
}

static int spawn_retry(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int private_)
{
	int r = spawn_once(req, len, out, out_len, private_);
	if (out_of_fds(r))
		r = spawn_once(req, len, out, out_len, private_);
	return r;
}

ASP_EXPORT int asp_spawn(const void *req, uint32_t len, int32_t *out, uint32_t out_len)
{
	return spawn_retry(req, len, out, out_len, 0);
}

ASP_HIDDEN int asp_spawn_private(const void *req, uint32_t len, int32_t *out, uint32_t out_len)
{
	return spawn_retry(req, len, out, out_len, 1);
}

/*
 * The phases before the clone, on the caller's thread: out[] as asp_spawn
 * fills it, but no pid or pidfd yet. The status pipe and our pipe ends are
 * the calling context's now; *prepared is for asp_spawn_launch.
 */
ASP_HIDDEN int asp_spawn_prepare(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int ch,
				 uint32_t status_id, struct spawn **prepared)
{
	struct spawn *sp = malloc(sizeof *sp);
	int err, retried = 0;
	if (!sp)
		return -ASP_ENOMEM;
	for (;;) {
		spawn_init(sp, req, len, out);
		sp->async = 1;
		err = prepare(sp, out_len);
		if (err == 0 || retried++ || !out_of_fds(err))
			break;
	}
	/* Watched before it is handed out: a failure undoes what no owner knows. */
	if (err == 0 && ch >= 0) {
		err = asp_watch(ch, sp->status_read, ASP_EVENT_IN, status_id);
		sp->step = ASP_STEP_SETUP;
		if (err < 0)
			undo(sp, err);
	}
	if (err < 0) {
		free(sp);
		return err;
	}
	hand_out(-1, sp->status_read, &out[ASP_OUT_PIPES], sp->nparent);
	out[ASP_OUT_STATUS] = sp->status_read;
	out[ASP_OUT_STEP] = 0;
	/* The request was copied into the slot: what pointed into the caller's
	 * bytes goes, and out[] is the caller's again. */
	sp->req = 0;
	sp->strings = (struct asp_reader){0};
	sp->sc.pairs = 0;
	sp->sc.cgroup_path = 0;
	memcpy(sp->own_out, out, (ASP_OUT_PIPES + sp->nparent) * sizeof *out);
	sp->out = sp->own_out;
	*prepared = sp;
	return 0;
}

/* The launch failed: the child's status pipe says so, as a child would. */
static void report(struct spawn *sp, int err)
{
	struct asp_status_record rec = {-err, sp->step, sp->out[ASP_OUT_DETAIL], ASP_STATUS_MAGIC};
	sys_write(sp->ctx->status_fd, &rec, sizeof rec);
}

/*
 * The clone of a prepared spawn, on the launcher thread, which is the
 * child's parent thread (its death signal follows it). out[PID, PIDFD]
 * once it runs, or -errno and out[STEP, DETAIL] as its status record says.
 * Our ends of its pipes and the status pipe are the caller's: a failure
 * leaves them open. Frees sp.
 */
ASP_HIDDEN int asp_spawn_launch(struct spawn *sp, int32_t *out)
{
	int err;
	sp->ctx->parent_tid = (int32_t)asp_self_tid();
	sp->ctx->parent_alive = asp_thread_alive_word(&sp->ctx->parent_gen);
	err = clone_child(sp);
	if (err < 0) {
		report(sp, err);
		sp->nparent = 0;
		sp->status_read = -1;
		undo(sp, err);
	} else {
		publish(sp);
	}
	memcpy(out, sp->out, ASP_OUT_PIPES * sizeof *out);
	free(sp);
	return err;
}
