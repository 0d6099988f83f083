/*
 * A consistent copy of `environ` for ASP_REQ_INHERIT_ENV, safe while other
 * threads change the environment (setenv, unsetenv, putenv, clearenv: a
 * Node Worker with SHARE_ENV, Deno.env.set in a Worker, a native addon).
 *
 * Why a plain walk of environ crashes (glibc's stdlib/setenv.c): setenv
 * appends by realloc'ing the pointer array, which frees the old array before
 * `environ = new` is stored; clearenv frees it too. A reader still walking
 * the old array reads freed memory: malloc's list pointers or the strings
 * malloc put there since, or an unmapped range (a large array is mmap'd and
 * moved by mremap). unsetenv shifts the entries after the removed one down,
 * in place, sweeping upwards. What glibc never does: free or change a
 * "NAME=value" string it installed (setenv keeps every string it made;
 * unsetenv frees nothing); the initial environment's strings are never
 * freed either. putenv's strings belong to their caller.
 *
 * So nothing here dereferences the array or a string itself: every read is
 * done by the kernel, with process_vm_readv on our own pid (a bad address is
 * EFAULT or a short count, never a signal; a process may always read
 * itself) or, where seccomp denies that syscall, by writev to a pipe (EFAULT
 * too) and a read back. And:
 *   build: count the array, then read it from the top down (read_down: a
 *     stable entry is then never skipped by a concurrent unsetenv, at worst
 *     read twice); then unsetenv of a name nobody sets, which takes and
 *     releases glibc's envlock, so a setenv or clearenv that was under way
 *     has stored its new array when it returns: if environ is still the
 *     array we read, that array was never freed under us — unless it moved
 *     away and back meanwhile (realloc freed it, its memory served someone
 *     else, a later realloc returned the same address: the likely way a
 *     loaded Deno parent, whose Worker appended names, once gave a child
 *     an empty environment; test_environ.c makes it happen). So environ
 *     is also looked at between the reads, and a reading during which this
 *     thread was switched out (its context switch count moved, or could not
 *     be counted) is kept only if the array still holds exactly what was
 *     read, else done again. That is a bound in time, not a proof: what it
 *     leaves is a move and a move back within one kernel read (of the
 *     array, or of up to 1024 of its pointers) while this thread ran
 *     (setenv scans the whole array first), or while the hypervisor held
 *     its CPU. Then the strings,
 *     by whole pages (one range per page run, not per string), and each
 *     name kept once. Every variable is as before or after each change.
 *   check (every spawn): one process_vm_readv of the array and of the pages
 *     holding the strings, which must equal the copy. A freed array never
 *     does (free writes its list pointers over the first entries; munmap
 *     makes it EFAULT), nor a changed string (putenv's, changed in place or
 *     freed and reused).
 * With the environment unchanged since the last spawn, the check is all it
 * costs: one syscall. A build fails when the array moved meanwhile (a
 * setenv that reallocated it), or changed in place after a reading during
 * which this thread was switched out; it is retried, and after 512
 * attempts and 200 ms (or 2 s) of an array that never stays put, the spawn
 * fails with EAGAIN.
 * Left: a putenv string freed by its owner right after removing it, while a
 * build reads it, may reach the child as garbage (never a crash).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "internal.h"

extern char **environ;

#define ASP_IOV_MAX 1024
#define ASP_F_GETPIPE_SZ 1032
/* unsetenv takes glibc's envlock; nothing ever sets this name. */
#define BARRIER_NAME "\001aspawn-environ-barrier"

struct asp_iovec {
	void *base;
	size_t len;
};

/* An immutable copy, shared by the spawns using it (refs). */
struct asp_env {
	uint32_t refs;
	uint32_t n;
	char **at;        /* the array it was copied from */
	char **ptrs;      /* its n + 1 pointers */
	uint32_t *off;    /* per string: offset in the page copy */
	uint32_t *len;    /* per string: length without the NUL */
	struct asp_iovec *runs; /* runs of consecutive pages holding the strings */
	uint32_t nruns;
	size_t pages_size;
	size_t size;      /* bytes of `strings` */
	char *strings;    /* NUL-separated copies */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct asp_env *current;
static int use_pipe;
static int pipe_fds[2] = {-1, -1};
static size_t pipe_cap;

/* The pipe lives for one asp_env_get: no fd of ours stays open. */
static void close_pipe(void)
{
	if (pipe_fds[0] >= 0) {
		sys_close(pipe_fds[0]);
		sys_close(pipe_fds[1]);
		pipe_fds[0] = pipe_fds[1] = -1;
	}
}

static void prepare_fork(void) { pthread_mutex_lock(&lock); }
static void parent_fork(void) { pthread_mutex_unlock(&lock); }
static void child_fork(void) { pthread_mutex_unlock(&lock); }
static void init(void) { pthread_atfork(prepare_fork, parent_fork, child_fork); }

static int open_pipe(void)
{
	int fds[2], i;
	long r;
	if (pipe_fds[0] >= 0)
		return 0;
	r = sys_pipe2(fds, ASP_O_CLOEXEC | ASP_O_NONBLOCK);
	if (r < 0)
		return (int)r;
	/* Never on 0-2, which the application may have closed. */
	for (i = 0; i < 2; i++) {
		if (fds[i] > 2)
			continue;
		r = sys_fcntl(fds[i], ASP_F_DUPFD_CLOEXEC, 3);
		sys_close(fds[i]);
		fds[i] = (int)r;
	}
	r = fds[0] < 0 ? fds[0] : fds[1] < 0 ? fds[1] : sys_fcntl(fds[1], ASP_F_GETPIPE_SZ, 0);
	if (r <= 0) {
		for (i = 0; i < 2; i++)
			if (fds[i] >= 0)
				sys_close(fds[i]);
		return r < 0 ? (int)r : -ASP_EINVAL;
	}
	pipe_cap = (size_t)r;
	pipe_fds[0] = fds[0];
	pipe_fds[1] = fds[1];
	return 0;
}

/* The pipe way: writev of as many ranges as the empty pipe holds (a range
 * larger than that goes in pieces), then read them back. */
static long copy_by_pipe(uint8_t *dst, const struct asp_iovec *src, uint32_t n)
{
	size_t done = 0, off = 0; /* off: bytes of src[i] already taken */
	uint32_t i = 0;
	int e = open_pipe();
	if (e < 0)
		return e;
	while (i < n) {
		struct asp_iovec part[ASP_IOV_MAX];
		uint32_t k = 0;
		size_t want = 0;
		long w, r, got;
		while (i < n && k < ASP_IOV_MAX && want < pipe_cap) {
			size_t take = src[i].len - off;
			if (take > pipe_cap - want)
				take = pipe_cap - want;
			part[k].base = (uint8_t *)src[i].base + off;
			part[k++].len = take;
			want += take;
			off += take;
			if (off == src[i].len) {
				i++;
				off = 0;
			}
		}
		w = sys_writev(pipe_fds[1], part, k);
		if (w == -ASP_EFAULT)
			return (long)done;
		if (w < 0)
			return w;
		for (r = 0; r < w; r += got) {
			got = sys_read(pipe_fds[0], dst + done + r, (size_t)(w - r));
			if (got <= 0)
				return got < 0 ? got : -ASP_EFAULT;
		}
		done += (size_t)w;
		if ((size_t)w < want)
			return (long)done; /* stopped at a bad address */
	}
	return (long)done;
}

/*
 * Copy the ranges src[0..n) of our own memory to dst, one after the other,
 * without ever faulting: the bytes copied (fewer than asked: a bad address),
 * or -errno.
 */
static int self; /* our pid (the caller's: getpid is a syscall) */

static long safe_copy(void *dst, const struct asp_iovec *src, uint32_t n)
{
	size_t done = 0;
	uint32_t i = 0;
	while (i < n && !use_pipe) {
		uint32_t k = n - i < ASP_IOV_MAX ? n - i : ASP_IOV_MAX, j;
		size_t want = 0;
		struct asp_iovec local;
		long r;
		for (j = 0; j < k; j++)
			want += src[i + j].len;
		local.base = (uint8_t *)dst + done;
		local.len = want;
		r = sys_process_vm_readv(self, &local, 1, &src[i], k);
		if ((r == -ASP_EPERM || r == -ASP_ENOSYS) && done == 0 && i == 0) {
			use_pipe = 1; /* seccomp: the pipe, from now on */
			break;
		}
		if (r == -ASP_EFAULT)
			return (long)done;
		if (r < 0)
			return r;
		done += (size_t)r;
		if ((size_t)r < want)
			return (long)done;
		i += k;
	}
	if (use_pipe)
		return copy_by_pipe(dst, src, n);
	return (long)done;
}

static char **load_environ(void) { return __atomic_load_n(&environ, __ATOMIC_ACQUIRE); }

/* Growable scratch buffers, used under the lock. */
struct buf {
	uint8_t *p;
	size_t size;
};
static struct buf arr1, arr2, pages, misc;

static void *reserve(struct buf *b, size_t need)
{
	if (need > b->size) {
		size_t n = need + need / 2 + 4096;
		uint8_t *p = realloc(b->p, n);
		if (!p)
			return 0;
		b->p = p;
		b->size = n;
	}
	return b->p;
}

/* The pointers of the array at e up to its NULL, into b: their count, or
 * -EFAULT (not a whole array there), or -errno. */
static long read_array(char **e, size_t hint, struct buf *b)
{
	size_t page = asp_page_size(), have = 0, want;
	uintptr_t end = ((uintptr_t)e + hint * sizeof *e + page) & ~(uintptr_t)(page - 1);
	want = end - (uintptr_t)e;
	for (;;) {
		struct asp_iovec src;
		char **p;
		size_t i;
		long got;
		if (!reserve(b, have + want))
			return -ASP_ENOMEM;
		src.base = (uint8_t *)e + have;
		src.len = want;
		got = safe_copy(b->p + have, &src, 1);
		if (got < 0)
			return got;
		p = (char **)b->p;
		for (i = have / sizeof *p; i < (have + (size_t)got) / sizeof *p; i++)
			if (!p[i])
				return (long)i;
		if ((size_t)got < want)
			return -ASP_EFAULT;
		have += want;
		want = have; /* doubling */
	}
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* The pages holding a set of strings, copied: pg[npg] sorted, their copy in
 * `pages`, and where each string's copy starts and how long it is. */
struct page_set {
	uintptr_t *pg;
	uint32_t npg;
	struct asp_iovec *runs;
	uint32_t nruns;
};

static uint32_t find_page(const struct page_set *ps, uintptr_t p)
{
	uint32_t lo = 0, hi = ps->npg;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ps->pg[mid] <= p)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* A string that ran off the pages we have asks for the `span` pages after
 * them (doubling, so a long string takes few rounds). */
#define MAX_PAGES_BYTES ((size_t)256 << 20)

static long read_strings(char *const *ptrs, uint32_t n, uint32_t *off, uint32_t *len, struct page_set *ps)
{
	size_t page = asp_page_size();
	uint32_t i, cap = n + 16, count = 0;
	uintptr_t *pg = reserve(&misc, cap * sizeof *pg);
	if (!pg)
		return -ASP_ENOMEM;
	for (i = 0; i < n; i++)
		pg[count++] = (uintptr_t)ptrs[i] & ~(uintptr_t)(page - 1);
	for (;;) {
		uint32_t k, nmissing = 0, u = 0;
		struct asp_iovec *runs;
		long got;
		qsort(pg, count, sizeof *pg, cmp_ptr);
		for (k = 0; k < count; k++)
			if (!u || pg[k] != pg[u - 1])
				pg[u++] = pg[k];
		count = u;
		if ((size_t)count * page > MAX_PAGES_BYTES)
			return -ASP_ENOMEM;
		/* Runs of consecutive pages, stored after the page list. */
		runs = (struct asp_iovec *)reserve(&misc, (size_t)cap * sizeof *pg + (size_t)count * sizeof *runs);
		if (!runs)
			return -ASP_ENOMEM;
		pg = (uintptr_t *)misc.p;
		runs = (struct asp_iovec *)(misc.p + (size_t)cap * sizeof *pg);
		for (k = 0, u = 0; k < count; k++) {
			if (u && (uintptr_t)runs[u - 1].base + runs[u - 1].len == pg[k]) {
				runs[u - 1].len += page;
				continue;
			}
			runs[u].base = (void *)pg[k];
			runs[u++].len = page;
		}
		if (!reserve(&pages, (size_t)count * page))
			return -ASP_ENOMEM;
		got = safe_copy(pages.p, runs, u);
		if (got < 0)
			return got;
		if ((size_t)got < (size_t)count * page)
			return -ASP_EFAULT;
		ps->pg = pg;
		ps->npg = count;
		ps->runs = runs;
		ps->nruns = u;
		/* Each string: from its page to its NUL, through consecutive pages. */
		for (i = 0; i < n; i++) {
			uint32_t first = find_page(ps, (uintptr_t)ptrs[i]), last = first;
			size_t o = (size_t)first * page + ((uintptr_t)ptrs[i] & (page - 1));
			const uint8_t *z;
			while (last + 1 < count && pg[last + 1] == pg[last] + page)
				last++;
			z = memchr(pages.p + o, 0, ((size_t)last + 1) * page - o);
			if (z) {
				off[i] = (uint32_t)o;
				len[i] = (uint32_t)(z - (pages.p + o));
				continue;
			}
			/* Ran off: ask for the next pages (doubling). */
			for (k = 0; k <= last - first; k++) {
				if (count + nmissing + 1 > cap) {
					cap = (cap + 1) * 2; /* realloc keeps the list */
					pg = reserve(&misc, (size_t)cap * sizeof *pg);
					if (!pg)
						return -ASP_ENOMEM;
				}
				pg[count + nmissing++] = pg[last] + page * (k + 1);
			}
		}
		if (!nmissing)
			return 0;
		count += nmissing;
	}
}

/*
 * The array e[0..n) read from the top down, one pointer at a time, through
 * the pipe (writev copies its ranges in order, and costs nothing per range,
 * where process_vm_readv pins pages per range). unsetenv shifts entries
 * down, sweeping upwards: a reader going down meets the sweep once, so an
 * entry present throughout is read once or twice, never skipped (going up,
 * a sweep overtaking the reader skips one). Returns 0, -EFAULT, -EAGAIN
 * (environ moved), -errno.
 */
static long read_down(char **e, size_t n, struct buf *b)
{
	size_t top = n, per;
	long e_pipe = open_pipe();
	if (e_pipe < 0)
		return e_pipe;
	if (!reserve(b, (n + 1) * sizeof *e))
		return -ASP_ENOMEM;
	per = pipe_cap / sizeof *e < ASP_IOV_MAX ? pipe_cap / sizeof *e : ASP_IOV_MAX;
	while (top) {
		struct asp_iovec seg[ASP_IOV_MAX];
		char *tmp[ASP_IOV_MAX];
		size_t k = top < per ? top : per, j;
		long w, got, r;
		for (j = 0; j < k; j++) {
			seg[j].base = e + top - 1 - j;
			seg[j].len = sizeof *e;
		}
		w = sys_writev(pipe_fds[1], seg, (unsigned)k);
		if (w < 0)
			return w;
		for (r = 0; r < w; r += got) {
			got = sys_read(pipe_fds[0], (uint8_t *)tmp + r, (size_t)(w - r));
			if (got <= 0)
				return got < 0 ? got : -ASP_EFAULT;
		}
		if ((size_t)w < k * sizeof *e)
			return -ASP_EFAULT;
		for (j = 0; j < k; j++)
			((char **)b->p)[top - 1 - j] = tmp[j];
		top -= k;
		if (load_environ() != e)
			return -ASP_EAGAIN; /* moved: maybe back by the end (above) */
	}
	((char **)b->p)[n] = 0;
	return 0;
}

static const uint8_t *name_base;
static const uint32_t *name_off;

static int name_cmp(const uint8_t *a, const uint8_t *b)
{
	while (*a && *a != '=' && *a == *b)
		a++, b++;
	return (int)(*a == '=' ? 0 : *a) - (int)(*b == '=' ? 0 : *b);
}

/* By name, then by position. */
static int cmp_entry(const void *x, const void *y)
{
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int c = name_cmp(name_base + name_off[i], name_base + name_off[j]);
	return c ? c : (i > j) - (i < j);
}

/* This thread's context switches so far, or -1 (getrusage denied: then
 * every reading is checked with still_there). */
static long context_switches(void)
{
	struct rusage u;
	if (getrusage(RUSAGE_THREAD, &u) < 0)
		return -1;
	return u.ru_nvcsw + u.ru_nivcsw;
}

/*
 * Whether the array at e holds just what read_down read (arr2), now: a
 * reading that was preempted is kept only so (a long one on a loaded
 * machine would otherwise never be kept), for then what it read is the
 * array as it is, whatever happened to that memory meanwhile.
 */
static int still_there(char **e, size_t n)
{
	struct asp_iovec src = {e, (n + 1) * sizeof *e};
	long got;
	if (!reserve(&arr1, src.len))
		return 0;
	got = safe_copy(arr1.p, &src, 1);
	return got == (long)src.len && memcmp(arr1.p, arr2.p, src.len) == 0;
}

/*
 * Read environ's array: counted, then read top down (read_down); if glibc
 * has not replaced it when the barrier returns, it was never freed under
 * us, so what we read is the array's own entries, each as before or after
 * any change. *e: the array read (0: none); *a, *m: our copy of its entries.
 */
static int read_array_stable(char ***e, char ***a, uint32_t *m)
{
	char **e1 = load_environ();
	long n = 0, r = 0, before;
	int switched;
	*a = 0;
	*m = 0;
	if (e1) {
		/* The pipe first: the less time between reading environ and the
		 * barrier, the likelier the array has not moved. */
		r = open_pipe();
		if (r < 0)
			return (int)r;
	}
	before = context_switches();
	e1 = load_environ();
	if (e1) {
		n = read_array(e1, current ? current->n + 1 : 64, &arr1);
		if (n >= 0 && n > 0x3fffffff)
			return -ASP_E2BIG;
		if (n >= 0)
			r = load_environ() == e1 ? read_down(e1, (size_t)n, &arr2) : -ASP_EAGAIN;
		if (n == -ASP_EFAULT || r == -ASP_EFAULT)
			return -ASP_EAGAIN;
		if (n < 0 || r < 0)
			return n < 0 ? (int)n : (int)r;
		*a = (char **)arr2.p;
		while (*m < (uint32_t)n && (*a)[*m])
			(*m)++;
	}
	switched = before < 0 || context_switches() != before;
	/* Any setenv or clearenv under way while we read has stored its new
	 * array once this returns (it takes glibc's envlock). */
	unsetenv(BARRIER_NAME);
	if (load_environ() != e1 || (switched && e1 && !still_there(e1, (size_t)n)))
		return -ASP_EAGAIN;
	*e = e1;
	return 0;
}

/* Each name once, the first by position: a reading across a shift (or of
 * an array whose shift was preempted half-way: it looks the same every
 * time) holds one entry twice. Compacts a, off and len; returns how many
 * entries are kept, *size the bytes of their strings with NULs. */
static uint32_t drop_duplicates(char **a, uint32_t *off, uint32_t *len, uint32_t m, size_t *size)
{
	uint32_t *order = len + m + 1, i, kept = 0;
	uint8_t *drop = (uint8_t *)(order + m + 1);
	memset(drop, 0, m);
	for (i = 0; i < m; i++)
		order[i] = i;
	name_base = pages.p;
	name_off = off;
	qsort(order, m, sizeof *order, cmp_entry);
	for (i = 1; i < m; i++)
		if (name_cmp(pages.p + off[order[i - 1]], pages.p + off[order[i]]) == 0)
			drop[order[i]] = 1;
	*size = 0;
	for (i = 0; i < m; i++) {
		if (drop[i])
			continue;
		a[kept] = a[i];
		off[kept] = off[i];
		len[kept] = len[i];
		*size += (size_t)len[i] + 1;
		kept++;
	}
	return kept;
}

/* The copy, in one allocation: pointers, the page runs, offsets and
 * lengths, then the strings. */
static struct asp_env *make_env(char **e1, char *const *a, uint32_t m, const uint32_t *off, const uint32_t *len,
				const struct page_set *ps, size_t size)
{
	size_t ptrs_bytes = ((size_t)m + 1) * sizeof(char *), soff;
	struct asp_env *env = malloc(sizeof *env + ptrs_bytes + 2 * (size_t)m * sizeof(uint32_t) +
				     (size_t)ps->nruns * sizeof(struct asp_iovec) + size + 1);
	uint8_t *mem;
	uint32_t i;
	if (!env)
		return 0;
	mem = (uint8_t *)(env + 1);
	env->refs = 1;
	env->n = m;
	env->at = e1;
	env->ptrs = (char **)mem;
	if (m)
		memcpy(env->ptrs, a, ptrs_bytes - sizeof(char *));
	env->ptrs[m] = 0;
	/* A torn reading never matches the array: the next spawn builds anew. */
	mem += ptrs_bytes;
	env->runs = (struct asp_iovec *)mem;
	if (ps->nruns)
		memcpy(env->runs, ps->runs, ps->nruns * sizeof *env->runs);
	env->nruns = ps->nruns;
	env->pages_size = (size_t)ps->npg * asp_page_size();
	mem += (size_t)ps->nruns * sizeof *env->runs;
	env->off = (uint32_t *)mem;
	env->len = env->off + m;
	if (m) {
		memcpy(env->off, off, (size_t)m * sizeof *off);
		memcpy(env->len, len, (size_t)m * sizeof *len);
	}
	mem += 2 * (size_t)m * sizeof(uint32_t);
	env->strings = (char *)mem;
	env->size = size;
	for (i = 0, soff = 0; i < m; i++) {
		memcpy(env->strings + soff, pages.p + off[i], (size_t)len[i] + 1);
		soff += (size_t)len[i] + 1;
	}
	return env;
}

/* A fresh copy: 0, -EAGAIN (the array moved while we read: try again), or
 * -errno. */
static int build(struct asp_env **out)
{
	char **e1 = 0, **a;
	uint32_t *off, *len, m;
	struct page_set ps = {0, 0, 0, 0};
	size_t size;
	long r = read_array_stable(&e1, &a, &m);
	if (r < 0)
		return (int)r;
	/* off, len and drop_duplicates' order: m + 1 words each; its flags. */
	off = malloc(((size_t)m + 1) * (3 * sizeof *off + 1));
	if (!off)
		return -ASP_ENOMEM;
	len = off + m + 1;
	r = m ? read_strings(a, m, off, len, &ps) : 0;
	if (r < 0) {
		free(off);
		return r == -ASP_EFAULT ? -ASP_EAGAIN : (int)r;
	}
	m = drop_duplicates(a, off, len, m, &size);
	*out = make_env(e1, a, m, off, len, &ps, size);
	free(off);
	return *out ? 0 : -ASP_ENOMEM;
}

/* Whether the environment is still exactly `env`: one read of the array and
 * of the pages of the strings, compared. */
static int unchanged(const struct asp_env *env)
{
	char **e = load_environ();
	struct asp_iovec iov[ASP_IOV_MAX], *src = iov;
	size_t ptrs_bytes = ((size_t)env->n + 1) * sizeof(char *), soff = 0;
	const uint8_t *copy;
	uint32_t i;
	long r;
	int ok = 0;
	if (e != env->at)
		return 0;
	if (!e)
		return 1;
	if (env->nruns + 2 > ASP_IOV_MAX) {
		src = malloc(((size_t)env->nruns + 2) * sizeof *src);
		if (!src)
			return 0;
	}
	/* The terminator first: an ascending read overtaken by unsetenv's
	 * sweep can return exactly the old entries when the sweep catches up
	 * at the end (an entry appended since is skipped); the slot after
	 * them holds that entry until the sweep has passed all of it. */
	src[0].base = e + env->n;
	src[0].len = sizeof(char *);
	src[1].base = e;
	src[1].len = ptrs_bytes - sizeof(char *);
	memcpy(src + 2, env->runs, env->nruns * sizeof *src);
	if (!reserve(&pages, ptrs_bytes + env->pages_size))
		goto out;
	r = safe_copy(pages.p, src, env->nruns + 2);
	if (r < 0 || (size_t)r < ptrs_bytes + env->pages_size || *(char **)pages.p ||
	    memcmp(pages.p + sizeof(char *), env->ptrs, ptrs_bytes - sizeof(char *)) != 0)
		goto out;
	copy = pages.p + ptrs_bytes;
	for (i = 0; i < env->n; i++) {
		if (memcmp(copy + env->off[i], env->strings + soff, (size_t)env->len[i] + 1) != 0)
			goto out;
		soff += (size_t)env->len[i] + 1;
	}
	ok = 1;
out:
	if (src != iov)
		free(src);
	return ok;
}

ASP_HIDDEN void asp_env_put(struct asp_env *env)
{
	if (env && __atomic_sub_fetch(&env->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(env);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

ASP_HIDDEN int asp_env_get(int pid, struct asp_env **out)
{
	double start = 0;
	uint32_t attempt;
	int err = 0;
	pthread_once(&once, init);
	pthread_mutex_lock(&lock);
	self = pid;
	for (attempt = 0;; attempt++) {
		struct asp_env *fresh;
		if (current && unchanged(current))
			break;
		/* Another thread keeps reallocating the array (a burst of new
		 * names): let it run. Given up only after both many attempts and
		 * some time, so that a busy machine starving this thread of CPU
		 * does not count as a long burst. */
		if (attempt == 0) {
			start = now_ms();
		} else if ((attempt >= 512 && now_ms() - start > 200) || now_ms() - start > 2000) {
			err = -ASP_EAGAIN;
			goto out;
		} else if (attempt >= 64 && attempt % 16 == 0) {
			struct timespec pause = {0, 50000};
			nanosleep(&pause, 0);
		} else if (attempt >= 4) {
			sched_yield();
		}
		err = build(&fresh);
		if (err == 0) {
			asp_env_put(current);
			current = fresh;
			break;
		} else if (err != -ASP_EAGAIN) {
			goto out;
		}
	}
	__atomic_add_fetch(&current->refs, 1, __ATOMIC_RELAXED);
	*out = current;
	err = 0;
out:
	close_pipe();
	pthread_mutex_unlock(&lock);
	return err;
}

/* The NUL-separated strings, their count and total size. */
ASP_HIDDEN const char *asp_env_strings(const struct asp_env *env, uint32_t *count, size_t *size)
{
	*count = env->n;
	*size = env->size;
	return env->strings;
}
