/*
 * kill({ tree: true }): a child and every descendant, including those that
 * left its process group or session.
 *
 * Each process is stopped, and we wait until every thread of it really is
 * (SIGSTOP is asynchronous: a fork in progress would complete after its
 * parent's children were listed, and the new child, left out, would be
 * reparented to init when the parent dies). A stopped process can neither
 * fork, nor exit, nor reap, so its list of children is final and the pids in
 * it stay its children. Each listed child is pinned with a pidfd and
 * confirmed, after the pidfd was opened, to be a child of the stopped
 * process it was listed from (the kernel itself reaps the children of a
 * parent that ignores SIGCHLD, and their pids can be reused at once); every
 * signal goes through that pidfd. When a pass over all of them finds nobody
 * new, the signal goes to all, then SIGCONT (unless the signal stops: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU),
 * also when the walk fails halfway.
 *
 * Bound: a process not stopped within TREE_STOP_NS (1 s) of the call, or
 * 5 ms of our wait for it once that is over (in uninterruptible sleep: a hung
 * network file system, a vfork parent whose child does not exec), has its
 * children listed anyway; a fork it had in progress can then escape. A descendant we may not signal (EPERM: it runs
 * as another user) is left alone with its descendants. Reads /proc with raw
 * syscalls: no permission of a runtime's sandbox is involved.
 */
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

#define TREE_STOP_NS 1000000000L
#define TREE_GRACE_NS 5000000L
#define CGROUP_MAX_DEPTH 32

struct member {
	int32_t pid;
	int32_t pidfd; /* -1: signalled by pid (the caller's child without a pidfd; kernels before 5.3) */
};

struct tree {
	struct member *v;
	uint32_t n, cap;
	int scan; /* no /proc/<pid>/task/<tid>/children: find children by scanning /proc */
};

static long now_ns(void)
{
	struct asp_timespec ts = {0, 0};
	sys_clock_gettime(ASP_CLOCK_MONOTONIC, &ts);
	return ts.sec * 1000000000L + ts.nsec;
}

static void nap(long ns)
{
	struct asp_timespec ts = {0, ns};
	sys_clock_nanosleep(ASP_CLOCK_MONOTONIC, 0, &ts, 0);
}

static long send(const struct member *m, int sig)
{
	if (m->pidfd >= 0)
		return sys_pidfd_send_signal(m->pidfd, sig, 0, 0);
	return sys_kill(m->pid, sig);
}

static int is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static long open_dir(int dirfd, const char *path)
{
	return asp_fd_high(sys_openat(dirfd, path, ASP_O_RDONLY | ASP_O_DIRECTORY | ASP_O_CLOEXEC, 0));
}

/* struct linux_dirent64 */
struct dirent64 {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};
#define ASP_DT_DIR 4

/* fn(ctx, dirfd, name, type) for each entry but "." and ".."; stops at a
 * non-zero result of fn and returns it. */
typedef int (*entry_fn)(void *ctx, int dirfd, const char *name, int type);
static int each_entry(int dirfd, entry_fn fn, void *ctx)
{
	_Alignas(8) char buf[4096];
	long n, off;
	for (;;) {
		n = sys_getdents64(dirfd, buf, sizeof buf);
		if (n <= 0)
			return (int)n;
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int r = 0;
			off += d->reclen;
			if (d->name[0] == '.' && (!d->name[1] || (d->name[1] == '.' && !d->name[2])))
				continue;
			r = fn(ctx, dirfd, d->name, d->type);
			if (r)
				return r;
		}
	}
}

/* fn(ctx, n) for each decimal number in a file (a children list, cgroup.procs);
 * stops at a non-zero result of fn and returns it. */
typedef int (*number_fn)(void *ctx, int32_t n);
static int each_number(int dirfd, const char *path, number_fn fn, void *ctx)
{
	char buf[4096];
	long fd = asp_fd_high(sys_openat(dirfd, path, ASP_O_RDONLY | ASP_O_CLOEXEC, 0)), n, i;
	int32_t v = 0;
	int in = 0, r = 0;
	if (fd < 0)
		return (int)fd;
	while (!r && ((n = sys_read((int)fd, buf, sizeof buf)) > 0 || n == -ASP_EINTR)) {
		for (i = 0; i < n && !r; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				v = v * 10 + (buf[i] - '0');
				in = 1;
			} else if (in) {
				r = fn(ctx, v);
				v = in = 0;
			}
		}
	}
	if (!r && n < 0)
		r = (int)n;
	if (!r && in)
		r = fn(ctx, v);
	sys_close((int)fd);
	return r;
}

struct proc_stat {
	char state;
	int32_t ppid;
	uint64_t start; /* field 22: clock ticks after boot */
};

/* A /proc stat file: fields after the command (which may hold spaces and ')'). */
static int read_stat(int dirfd, const char *path, struct proc_stat *st)
{
	char buf[1024], *p = 0;
	long fd = asp_fd_high(sys_openat(dirfd, path, ASP_O_RDONLY | ASP_O_CLOEXEC, 0)), n, i;
	int field = 3;
	if (fd < 0)
		return (int)fd;
	n = sys_read((int)fd, buf, sizeof buf - 1);
	sys_close((int)fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	for (i = 0; i < n; i++)
		if (buf[i] == ')')
			p = buf + i;
	if (!p || p[1] != ' ' || !p[2])
		return -ASP_EINVAL;
	p += 2;
	st->state = *p;
	st->ppid = 0;
	st->start = 0;
	for (; *p && field <= 22; p++) {
		if (*p == ' ') {
			field++;
			continue;
		}
		if (field == 4)
			st->ppid = st->ppid * 10 + (*p - '0');
		else if (field == 22)
			st->start = st->start * 10 + (uint64_t)(*p - '0');
	}
	return field > 22 ? 0 : -ASP_EINVAL;
}

static int pid_stat(int32_t pid, struct proc_stat *st)
{
	char path[32];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	return read_stat(ASP_AT_FDCWD, path, st);
}

/* ---- stopped? ---------------------------------------------------------- */

/* The stat of entry `name` of a /proc directory: 1 when read, 0 when the
 * name is no pid or that process (or thread) is gone, or -errno. */
static int entry_stat(int dirfd, const char *name, struct proc_stat *st)
{
	char path[48];
	int r;
	if (!is_digits(name))
		return 0;
	snprintf(path, sizeof path, "%s/stat", name);
	r = read_stat(dirfd, path, st);
	if (r == -ASP_ENOENT || r == -ASP_ESRCH)
		return 0;
	return r < 0 ? r : 1;
}

static int task_running(void *ctx, int dirfd, const char *name, int type)
{
	struct proc_stat st;
	int r = entry_stat(dirfd, name, &st);
	if (r <= 0)
		return r;
	/* T: stopped, t: stopped by a tracer, Z/X: dead */
	return st.state != 'T' && st.state != 't' && st.state != 'Z' && st.state != 'X';
}

/* 1 once every thread of pid is stopped (or dead, or gone), 0 if one runs. */
static int is_stopped(int32_t pid)
{
	char path[32];
	long fd;
	int r;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	fd = open_dir(ASP_AT_FDCWD, path);
	if (fd == -ASP_ENOENT || fd == -ASP_ESRCH)
		return 1;
	if (fd < 0)
		return (int)fd;
	r = each_entry((int)fd, task_running, 0);
	sys_close((int)fd);
	return r < 0 ? r : !r;
}

/* Sleeps between checks (20 µs doubling to 2 ms): stopping takes a
 * scheduling of the process, which on a loaded machine can take a while.
 * Past the deadline each process still gets TREE_GRACE_NS. */
static int wait_stopped(int32_t pid, long deadline)
{
	long pause = 20000, t0 = now_ns(), t;
	int r;
	while ((r = is_stopped(pid)) == 0 && ((t = now_ns()) < deadline || t - t0 < TREE_GRACE_NS)) {
		nap(pause);
		if (pause < 2000000)
			pause *= 2;
	}
	return r < 0 ? r : 0;
}

/* ---- members ----------------------------------------------------------- */

static int find(const struct tree *t, int32_t pid)
{
	uint32_t i;
	for (i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return 1;
	return 0;
}

static int reserve(struct tree *t)
{
	struct member *v;
	uint32_t cap;
	if (t->n < t->cap)
		return 0;
	cap = t->cap ? 2 * t->cap : 64;
	v = realloc(t->v, cap * sizeof *v);
	if (!v)
		return -ASP_ENOMEM;
	t->v = v;
	t->cap = cap;
	return 0;
}

struct listing {
	struct tree *t;
	int32_t parent;
};

/*
 * A child of `parent` (stopped) joins the tree, stopped. Its pidfd is opened
 * first, then its stat read: if the process the pidfd names still lives
 * afterwards (the SIGSTOP through the pidfd succeeds), the stat we read was
 * its own, so it is that parent's child and not a process that reused the pid.
 */
static int adopt(void *ctx, int32_t pid)
{
	struct listing *l = ctx;
	struct tree *t = l->t;
	struct proc_stat st;
	long fd, r;
	if (pid <= 0 || find(t, pid))
		return 0;
	r = reserve(t);
	if (r < 0)
		return (int)r;
	fd = asp_fd_high(sys_pidfd_open(pid, 0));
	if (fd == -ASP_ESRCH)
		return 0;
	if (fd == -ASP_ENOSYS)
		fd = -1; /* the parent is stopped and cannot reap it: only a kernel autoreap could free the pid */
	else if (fd < 0)
		return (int)fd;
	r = pid_stat(pid, &st);
	if (r == 0 && st.ppid != l->parent)
		r = -ASP_ESRCH;
	if (r == 0) {
		t->v[t->n] = (struct member){pid, (int32_t)fd};
		r = send(&t->v[t->n], ASP_SIGSTOP);
	}
	if (r == 0) {
		t->n++;
		return 0;
	}
	if (fd >= 0)
		sys_close((int)fd);
	/* gone, or another user's process we may not signal */
	return r == -ASP_ESRCH || r == -ASP_ENOENT || r == -ASP_EPERM ? 0 : (int)r;
}

static int scan_entry(void *ctx, int dirfd, const char *name, int type)
{
	struct listing *l = ctx;
	struct proc_stat st;
	int r = entry_stat(dirfd, name, &st);
	if (r <= 0)
		return r;
	return st.ppid == l->parent ? adopt(l, (int32_t)atoi(name)) : 0;
}

/* Without the children files (CONFIG_PROC_CHILDREN), or without access to
 * them (a non-dumpable process): every process's parent, from its stat. */
static int scan_children(struct listing *l)
{
	long fd = open_dir(ASP_AT_FDCWD, "/proc");
	int r;
	if (fd < 0)
		return (int)fd;
	r = each_entry((int)fd, scan_entry, l);
	sys_close((int)fd);
	return r;
}

static int task_children(void *ctx, int dirfd, const char *name, int type)
{
	char path[48];
	if (!is_digits(name))
		return 0;
	snprintf(path, sizeof path, "%s/children", name);
	return each_number(dirfd, path, adopt, ctx);
}

static int list_children(struct tree *t, int32_t parent)
{
	struct listing l = {t, parent};
	char path[32];
	long fd;
	int r;
	if (t->scan)
		return scan_children(&l);
	snprintf(path, sizeof path, "/proc/%d/task", (int)parent);
	fd = open_dir(ASP_AT_FDCWD, path);
	if (fd == -ASP_ENOENT || fd == -ASP_ESRCH)
		return 0; /* gone */
	if (fd < 0)
		return (int)fd;
	r = each_entry((int)fd, task_children, &l);
	sys_close((int)fd);
	if (r == -ASP_ENOENT || r == -ASP_EACCES || r == -ASP_EPERM)
		r = scan_children(&l);
	return r;
}

static int walk(struct tree *t, long deadline)
{
	uint32_t i = 0, j, before;
	int r;
	for (;;) {
		for (; i < t->n; i++) {
			r = wait_stopped(t->v[i].pid, deadline);
			if (r == 0)
				r = list_children(t, t->v[i].pid);
			if (r < 0)
				return r;
		}
		/* A process still running while its parent's children were listed
		 * may have added one there since (clone with CLONE_PARENT). */
		before = t->n;
		for (j = 0; j < before; j++) {
			r = list_children(t, t->v[j].pid);
			if (r < 0)
				return r;
		}
		if (t->n == before)
			return 0;
	}
}

/* ---- cgroup.kill ------------------------------------------------------- */

struct cg_check {
	const struct tree *t;
	int32_t self;
	uint64_t start; /* the child's start time */
	int depth;
};

/*
 * Non-zero unless a process in the cgroup is part of the tree: one we
 * walked, or one started after the child that is not a child of ours (a
 * descendant reparented before we came). We ourselves and our other
 * children there forbid cgroup.kill.
 */
static int cg_foreign(void *ctx, int32_t pid)
{
	const struct cg_check *c = ctx;
	struct proc_stat st;
	int r;
	if (pid == c->self)
		return 1;
	if (find(c->t, pid))
		return 0;
	r = pid_stat(pid, &st);
	if (r == -ASP_ENOENT || r == -ASP_ESRCH)
		return 0;
	if (r < 0)
		return r;
	return st.ppid == c->self || st.start < c->start;
}

static int cg_foreign_in(struct cg_check *c, int dirfd);

static int cg_sub(void *ctx, int dirfd, const char *name, int type)
{
	struct cg_check *c = ctx;
	long fd;
	int r;
	if (type != ASP_DT_DIR)
		return 0;
	fd = open_dir(dirfd, name);
	if (fd == -ASP_ENOENT)
		return 0;
	if (fd < 0)
		return (int)fd;
	c->depth++;
	r = cg_foreign_in(c, (int)fd);
	c->depth--;
	sys_close((int)fd);
	return r;
}

/* cgroup.kill reaches the cgroups below too. */
static int cg_foreign_in(struct cg_check *c, int dirfd)
{
	int r = each_number(dirfd, "cgroup.procs", cg_foreign, c);
	if (r)
		return r;
	if (c->depth >= CGROUP_MAX_DEPTH)
		return 1;
	return each_entry(dirfd, cg_sub, c);
}

/* cgroup.kill also reaches descendants reparented out of the walk's reach,
 * but only when nothing else lives in the cgroup. */
static void cgroup_kill(const struct tree *t, const char *dir)
{
	struct cg_check c = {t, (int32_t)sys_getpid(), 0, 0};
	struct proc_stat st;
	long dirfd, fd;
	if (pid_stat(t->v[0].pid, &st) < 0)
		return;
	c.start = st.start;
	dirfd = open_dir(ASP_AT_FDCWD, dir);
	if (dirfd < 0)
		return;
	if (cg_foreign_in(&c, (int)dirfd) == 0) {
		fd = asp_fd_high(sys_openat((int)dirfd, "cgroup.kill", ASP_O_WRONLY | ASP_O_CLOEXEC, 0));
		if (fd >= 0) {
			sys_write((int)fd, "1", 1);
			sys_close((int)fd);
		}
	}
	sys_close((int)dirfd);
}

/* ---- the export -------------------------------------------------------- */

static int have_children_files(void)
{
	char path[48];
	long fd;
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)sys_gettid());
	fd = asp_fd_high(sys_openat(ASP_AT_FDCWD, path, ASP_O_RDONLY | ASP_O_CLOEXEC, 0));
	if (fd < 0)
		return 0;
	sys_close((int)fd);
	return 1;
}

/*
 * Signal our child (pidfd, or pid when we have no pidfd) and all its
 * descendants; with a cgroup path (or NULL / ""), SIGKILL also writes that
 * cgroup's cgroup.kill when only the tree lives there. 1 when signalled, 0
 * when the child is gone (reaped), -errno when the walk failed (nothing was
 * signalled then, and everything stopped was continued).
 */
ASP_EXPORT int asp_kill_tree(int pidfd, int pid, int sig, const char *cgroup)
{
	struct tree t = {0, 0, 0, !have_children_files()};
	uint32_t i;
	long r;
	if (pid <= 0 || sig < 0 || sig > ASP_NSIG)
		return -ASP_EINVAL;
	if (reserve(&t) < 0)
		return -ASP_ENOMEM;
	t.v[0] = (struct member){pid, pidfd >= 0 ? pidfd : -1};
	r = send(&t.v[0], ASP_SIGSTOP);
	if (r < 0) {
		free(t.v);
		return r == -ASP_ESRCH ? 0 : (int)r;
	}
	t.n = 1;
	r = walk(&t, now_ns() + TREE_STOP_NS);
	if (r == 0) {
		if (sig == ASP_SIGKILL && cgroup && *cgroup)
			cgroup_kill(&t, cgroup);
		for (i = 0; i < t.n; i++)
			send(&t.v[i], sig);
	}
	if (r < 0 || !ASP_STOP_SIGNAL(sig))
		for (i = 0; i < t.n; i++)
			send(&t.v[i], ASP_SIGCONT);
	for (i = 1; i < t.n; i++)
		if (t.v[i].pidfd >= 0)
			sys_close(t.v[i].pidfd);
	free(t.v);
	return r < 0 ? (int)r : 1;
}
