/*
 * asp_spawn: the parent's side of a spawn. It never waits for the child:
 * the result of the pre-exec program and of execve arrives later on the
 * status pipe (a record on failure, EOF on success).
 *
 * Cost on the caller's thread: a scan of the steps (not of argv/envp: the
 * child decodes those), one copy of the request into a pooled stack, one
 * pipe2 per pipe, the clone, and closing the child's ends. No allocation
 * once the pool is warm.
 *
 * The fd table: clone copies it, and that copy grows with the table (23 ->
 * 88 us from 3 to 20 000 fds here, and a parent with thousands of live
 * children holds that many pidfds). So when the reactor runs, the child is
 * cloned with CLONE_FILES and copies the table itself as its first step —
 * the caller's cost stays flat (~15 us with 10 000 fds) — and only the part
 * below the highest fd it needs, which low_fds.c keeps low. The
 * price: until the child has unshared, the fds it needs must stay open in
 * our table, so they are handed to the stack pool, which closes them when
 * the child reports it (through the reactor's eventfd) or is gone; and fds
 * the caller passes are duplicated first, so the caller may close its own
 * right after spawn returns.
 */
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
		if (src == ASP_FD_PIPE_READ || src == ASP_FD_PIPE_WRITE)
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

/* fds we hold only for the child. */
struct child_fds {
	int32_t fd[ASP_MAX_CHILD_FDS];
	uint32_t n;
};

static void close_all(const int32_t *fds, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++)
		sys_close(fds[i]);
}

/* The library's own long-lived fds: a caller naming one of those numbers
 * names an fd of its own that it closed. */
static int ours(int32_t fd)
{
	return asp_reactor_owns_fd(fd) || asp_low_fds_owns(fd);
}

/*
 * Resolve each FD_MAP source into ctx->src_fds: a new pipe (our end to
 * out[], the child's end kept for it), /dev/null (-1: the child opens it), or
 * a caller's fd — duplicated when the table will be shared, so the caller may
 * close its own at once. A closed caller's fd in a large map fails here
 * (EBADF, *detail its target); in a smaller one the child reports it.
 */
static int resolve_sources(const struct scan *sc, struct asp_child_ctx *ctx, int share, int32_t *parent_ends,
			   uint32_t *nparent, struct child_fds *cf, int32_t *detail)
{
	uint32_t k;
	if (sc->map_step < 0)
		return 0;
	/* The caller's fds first, before we create any: a caller's fd that is
	 * closed must be reported as such (EBADF), not found again under the
	 * number a new pipe of ours just took. */
	for (k = 0; k < sc->map_count; k++) {
		int32_t src = (int32_t)asp_load32(sc->pairs + 8 * k), fd = src;
		if (src >= 0) {
			long d = share ? sys_fcntl(src, ASP_F_DUPFD_CLOEXEC, 3) : sys_fcntl(src, ASP_F_GETFD, 0);
			if (d == -ASP_EMFILE || d == -ASP_ENFILE)
				return (int)d; /* out of fds: the caller's problem, now */
			if (d >= 0 && ours(src)) { /* a closed fd of the caller's, whose number we hold */
				if (share)
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
			else if (share)
				cf->fd[cf->n++] = fd = (int32_t)d;
		}
		ctx->src_fds[k] = fd;
	}
	for (k = 0; k < sc->map_count; k++) {
		int32_t src = (int32_t)asp_load32(sc->pairs + 8 * k);
		int fds[2];
		long e;
		if (src != ASP_FD_PIPE_READ && src != ASP_FD_PIPE_WRITE)
			continue;
		/* Both ends non-blocking in one call; the child clears
		 * O_NONBLOCK on its end. */
		e = asp_pipe_high(fds, ASP_O_CLOEXEC | ASP_O_NONBLOCK);
		if (e < 0)
			return (int)e;
		parent_ends[(*nparent)++] = src == ASP_FD_PIPE_READ ? fds[1] : fds[0];
		ctx->src_fds[k] = src == ASP_FD_PIPE_READ ? fds[0] : fds[1];
		cf->fd[cf->n++] = ctx->src_fds[k];
	}
	return 0;
}

/*
 * Shared fd table: move the child's fds onto low reserved numbers where they
 * landed high, and tell the child the highest it needs, so that it copies
 * only the bottom of our table (low_fds.c). An fd map that does not close
 * the rest lets the child keep any fd: then it copies everything.
 */
static void keep_low(const struct scan *sc, struct asp_child_ctx *ctx, struct child_fds *cf)
{
	uint32_t i, k;
	int32_t top = ctx->wake_fd > 2 ? ctx->wake_fd : 2;
	for (i = 0; i < cf->n; i++) {
		int32_t from = cf->fd[i], to = asp_low_fd_move(from);
		if (to == from)
			continue;
		cf->fd[i] = to;
		for (k = 0; k < ctx->nsrc; k++)
			if (ctx->src_fds[k] == from)
				ctx->src_fds[k] = to;
		if (ctx->status_fd == from)
			ctx->status_fd = to;
		if (ctx->cgroup_fd == from)
			ctx->cgroup_fd = to;
	}
	ctx->keep_below = 0;
	if (sc->map_step < 0 || !(sc->map_flags & ASP_FDMAP_CLOSE_OTHERS) || !(asp_caps() & ASP_CAP_CLOSE_RANGE))
		return;
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
	ctx->keep_below = ((uint32_t)top + 64u) & ~63u;
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

static int spawn_once(const void *req, uint32_t len, int32_t *out, uint32_t out_len)
{
	struct asp_reader strings;
	struct asp_req_header h;
	struct scan sc = SCAN_INIT;
	struct child_fds cf;
	struct asp_slot *slot;
	struct asp_child_ctx *ctx;
	struct asp_env *env = 0;
	enum asp_mode m;
	uint8_t *top, *copy, *stack_top;
	char *inherited;
	const char *env_strings = 0;
	size_t ptrs_size, map_size, need, inherited_size = 0;
	uint32_t ninherited = 0, nparent = 0;
	int32_t step = ASP_STEP_SETUP;
	int status[2] = {-1, -1}, cgroup_fd = -1, pidfd = -1, pid, err, share, wake, self;
	uint64_t all = ~0ull, old;

	if (!out || out_len < ASP_OUT_PIPES)
		return -ASP_EINVAL;
	out[ASP_OUT_PID] = out[ASP_OUT_PIDFD] = out[ASP_OUT_STATUS] = -1;
	out[ASP_OUT_STEP] = ASP_STEP_SETUP;
	out[ASP_OUT_DETAIL] = 0;
	if (!req)
		return -ASP_EINVAL;
	err = asp_req_open(req, len, &strings, &h);
	if (err < 0)
		return err;
	err = scan_steps(&strings, &h, &sc, &out[ASP_OUT_STEP]);
	if (err < 0)
		return err;
	if (out_len < ASP_OUT_PIPES + sc.npipes)
		return -ASP_EINVAL;
	m = asp_mode();
	wake = asp_reactor_wake_fd();
	share = (m == ASP_MODE_CLONE3 || m == ASP_MODE_CLONE) && wake >= 0 &&
		(sc.map_step < 0 || sc.map_count <= ASP_MAX_MAPPED);

	/* The parent's environment is copied now: the child must not read
	 * `environ` itself, which this process may change while it runs; and
	 * another thread may be changing it now (environ.c). */
	self = (int)sys_getpid();
	if (h.flags & ASP_REQ_INHERIT_ENV) {
		err = asp_env_get(self, &env);
		if (err < 0)
			return err;
		env_strings = asp_env_strings(env, &ninherited, &inherited_size);
	}
	ptrs_size = ((size_t)h.argc + h.envc + ninherited + 2) * sizeof(char *);
	/* The FD_MAP's sources and the child's working memory for it. */
	map_size = (size_t)sc.map_count * (1 + ASP_FDMAP_WORDS) * 4;
	need = ALIGN16(sizeof *ctx) + ALIGN16(len) + ALIGN16(inherited_size) + ALIGN16(ptrs_size) + ALIGN16(map_size) +
	       CHILD_STACK;
	err = asp_pool_acquire(need, &slot);
	if (err < 0) {
		asp_env_put(env);
		return err;
	}

	/* Top of the slot, downwards: context, request, inherited environment,
	 * pointer arrays, fd map, stack. */
	top = slot->map + slot->map_size;
	ctx = (struct asp_child_ctx *)(top - ALIGN16(sizeof *ctx));
	copy = (uint8_t *)ctx - ALIGN16(len);
	inherited = (char *)copy - ALIGN16(inherited_size);
	ctx->ptrs = (char **)(inherited - ALIGN16(ptrs_size));
	ctx->src_fds = (int32_t *)((uint8_t *)ctx->ptrs - ALIGN16(map_size));
	ctx->map_work = (uint32_t *)(ctx->src_fds + sc.map_count);
	ctx->nsrc = sc.map_count;
	ctx->inherited = inherited;
	ctx->ninherited = ninherited;
	if (env) {
		memcpy(inherited, env_strings, inherited_size);
		asp_env_put(env);
	}
	stack_top = (uint8_t *)ctx->src_fds;
	__builtin_memcpy(copy, req, len);
	ctx->req = copy;
	ctx->req_size = len;
	ctx->parent_pid = self;
	ctx->parent_alive = asp_thread_alive_word(&ctx->parent_gen);
	ctx->parent_tid = (int32_t)sys_gettid();
	ctx->cgroup_fd = -1;
	ctx->cgroup_step = ASP_STEP_SETUP;
	ctx->probe = 0;
	ctx->files_shared = (uint32_t)share;
	ctx->unshared = 0;
	ctx->wake_fd = wake;
	ctx->keep_below = 0;
	cf.n = 0;

	err = resolve_sources(&sc, ctx, share, &out[ASP_OUT_PIPES], &nparent, &cf, &out[ASP_OUT_DETAIL]);
	if (err == -ASP_EBADF)
		step = sc.map_step;
	if (err < 0)
		goto fail;
	err = (int)asp_pipe_high(status, ASP_O_CLOEXEC | ASP_O_NONBLOCK);
	if (err < 0)
		goto fail;
	ctx->status_fd = status[1];
	cf.fd[cf.n++] = status[1];
	if (sc.cgroup_path) {
		step = sc.cgroup_step;
		err = open_cgroup(sc.cgroup_path, m == ASP_MODE_CLONE3);
		if (err < 0)
			goto fail;
		cgroup_fd = err;
		ctx->cgroup_step = sc.cgroup_step;
		if (m != ASP_MODE_CLONE3) { /* the child writes itself into cgroup.procs */
			ctx->cgroup_fd = cgroup_fd;
			cf.fd[cf.n++] = cgroup_fd;
			cgroup_fd = -1;
		}
	}
	if ((sc.creds || asp_nodump_guard()) && m != ASP_MODE_FORK) {
		asp_creds_enter(asp_nodump_guard());
		slot->creds = 1;
	}
	/* Before clone: the child may report `unshared` before clone returns. */
	if (share) {
		keep_low(&sc, ctx, &cf);
		memcpy(slot->pending, cf.fd, cf.n * sizeof cf.fd[0]);
		slot->ctx = ctx;
		__atomic_store_n(&slot->npending, cf.n, __ATOMIC_RELEASE);
	}

	/* The child inherits this mask: it runs with every signal blocked
	 * until its last step, so no handler of ours ever runs on its stack
	 * and no signal kills it while RLIMIT_CORE is still ours. */
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &all, &old);
	pid = asp_spawn_child(m, slot, ctx, stack_top, cgroup_fd, share, &pidfd);
	sys_rt_sigprocmask(ASP_SIG_SETMASK, &old, 0);

	if (cgroup_fd >= 0) /* clone3 has used it */
		sys_close(cgroup_fd);
	if (pid < 0) {
		err = pid;
		/* clone3 reports a bad cgroup itself; anything but a resource
		 * shortage is blamed on it. */
		if (!(sc.cgroup_path && m == ASP_MODE_CLONE3 && err != -ASP_EAGAIN && err != -ASP_ENOMEM))
			step = ASP_STEP_SETUP;
		if (share)
			asp_pool_drop_pending(slot);
		else
			close_all(cf.fd, cf.n);
		close_all(&out[ASP_OUT_PIPES], nparent);
		sys_close(status[0]);
		if (slot->creds) {
			slot->creds = 0;
			asp_creds_leave();
		}
		asp_pool_release(slot);
		out[ASP_OUT_STEP] = step;
		return err;
	}
	/* Without CLONE_FILES the child has its own copy of the table. */
	if (!share)
		close_all(cf.fd, cf.n);
	/* On the fallbacks the child is done with the slot: exec'd (vfork) or
	 * never shared it (fork). */
	if (m == ASP_MODE_VFORK || m == ASP_MODE_FORK) {
		if (slot->creds) {
			slot->creds = 0;
			asp_creds_leave();
		}
		asp_pool_release(slot);
	}
	if (pidfd < 0 && (asp_caps() & ASP_CAP_PIDFD))
		pidfd = (int)sys_pidfd_open(pid, 0); /* pidfds are always O_CLOEXEC */
	pidfd = (int)asp_fd_high(pidfd);
	if (pidfd < 0)
		pidfd = -1;
	out[ASP_OUT_PID] = pid;
	out[ASP_OUT_PIDFD] = pidfd;
	out[ASP_OUT_STATUS] = status[0];
	out[ASP_OUT_STEP] = 0;
	hand_out(pidfd, status[0], &out[ASP_OUT_PIPES], nparent);
	return 0;

fail:
	close_all(cf.fd, cf.n);
	close_all(&out[ASP_OUT_PIPES], nparent);
	if (status[0] >= 0)
		sys_close(status[0]);
	asp_pool_release(slot);
	out[ASP_OUT_STEP] = step;
	return err;
}

ASP_EXPORT int asp_spawn(const void *req, uint32_t len, int32_t *out, uint32_t out_len)
{
	int r = spawn_once(req, len, out, out_len);
	/* Out of fds: what the low-fd reserve holds free goes back to the
	 * process, and we try once more. */
	if ((r == -ASP_EMFILE || r == -ASP_ENFILE) && asp_low_fds_release() > 0)
		r = spawn_once(req, len, out, out_len);
	return r;
}
