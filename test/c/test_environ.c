/*
 * INHERIT_ENV while another thread changes the environment (issue 12): no
 * crash, and each child sees an environment the process really had.
 */
#define _GNU_SOURCE
#include "helpers.h"
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

extern char **environ;
extern int test_scale;

/* Over glibc's mmap threshold (128 KiB of pointers): a move of the array by
 * realloc (mremap) unmaps the old one under a reader. */
enum { FILL = 20000, HEAP_FILL = 3000, MAX_INDEX = 4 << 20 };

static volatile int stop;
/* No variable of ours: what fills memory that is not the array (below). */
static char junk[] = "ASPT_JUNK=1";

static void fill_name(char *buf, size_t n, unsigned k) { snprintf(buf, n, "ASPT_F%07u", k); }

/*
 * Each round: X flips between a and b (a pointer replaced in place), the
 * oldest ASPT_F variable is removed (the entries after it shift down in
 * place under a reader) and two new ones are appended (the array grows:
 * realloc, a new address every few hundred). So in every state the process
 * really has, the ASPT_F indices form one contiguous range. A pause every
 * few rounds: a copy of 20 000 variables takes about a millisecond, and a
 * spawn fails with EAGAIN when the environment never stays still that long.
 */
static void *mutate(void *arg)
{
	unsigned lo = 0, hi = FILL, round = 0;
	char name[32];
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && hi < MAX_INDEX - 2) {
		setenv("ASPT_X", round++ % 2 ? "a" : "b", 1);
		fill_name(name, sizeof name, lo++);
		unsetenv(name);
		fill_name(name, sizeof name, hi++);
		setenv(name, "f", 1);
		fill_name(name, sizeof name, hi++);
		setenv(name, "f", 1);
		if (round % 8 == 0) {
			struct timespec pause = {0, 2000000};
			nanosleep(&pause, 0);
		}
	}
	return 0;
}

/* Spawn `env` and read all it prints into *text (malloc'd). 0, or -errno. */
static int spawn_env(const struct req *r, char **text, size_t *len, struct asp_wait_result *w)
{
	int32_t out[ASP_OUT_MAX];
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	int e = L.spawn(r->buf, (uint32_t)r->len, out, ASP_OUT_MAX), k;
	if (e < 0) {
		free(buf);
		return e;
	}
	for (;;) {
		if (cap - n < 65536)
			buf = realloc(buf, cap *= 2);
		k = L.read(out[ASP_OUT_PIPES], buf + n, (uint32_t)(cap - n - 1));
		if (k == -EAGAIN) {
			wait_readable(out[ASP_OUT_PIPES], 10000);
			continue;
		}
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = 0;
	L.close(out[ASP_OUT_PIPES]);
	L.close(out[ASP_OUT_STATUS]);
	while ((k = L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], w)) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 10000);
	L.close(out[ASP_OUT_PIDFD]);
	*text = buf;
	*len = n;
	return 0;
}

/* Whether the output of `env` is a state the mutator's environment had. */
static int consistent(char *text, uint8_t *seen)
{
	unsigned lo = ~0u, hi = 0, count = 0, k;
	int x = 0, stable = 0, ok = 1;
	char *line, *save;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(0, "\n", &save)) {
		if (sscanf(line, "ASPT_F%7u=", &k) == 1 && k < MAX_INDEX) {
			if (seen[k])
				ok = 0; /* twice */
			seen[k] = 1;
			count++;
			lo = k < lo ? k : lo;
			hi = k > hi ? k : hi;
		} else if (strcmp(line, "ASPT_X=a") == 0 || strcmp(line, "ASPT_X=b") == 0) {
			x++;
		} else if (strcmp(line, "ASPT_STABLE=1") == 0) {
			stable++;
		} else if (strcmp(line, junk) == 0) {
			ok = 0; /* another allocation's data read as entries */
		}
	}
	if (count)
		memset(seen + lo, 0, hi - lo + 1);
	if (ok && x == 1 && stable == 1 && count && hi - lo + 1 == count)
		return 1;
	fprintf(stderr, "    inconsistent: %u ASPT_F (%u..%u)%s, %d ASPT_X, %d ASPT_STABLE\n", count, lo, hi,
		ok ? "" : " with duplicates", x, stable);
	return 0;
}

/* A large environment of our own: the one we had, FILL_COUNT ASPT_F
 * variables, ASPT_X=a and ASPT_STABLE=1. */
struct big_env {
	char **keep, **big, *fill;
	size_t nsaved, n, x; /* x: ASPT_X's index */
};

static void big_env_make(struct big_env *b, size_t fill_count)
{
	char **saved = environ;
	size_t i;
	b->nsaved = 0;
	while (saved[b->nsaved])
		b->nsaved++;
	/* The strings stay valid (glibc never frees environment strings), not
	 * the array: keep the pointers, to restore our environment after. */
	b->keep = malloc((b->nsaved + 1) * sizeof *b->keep);
	memcpy(b->keep, saved, (b->nsaved + 1) * sizeof *b->keep);
	/* The large environment in one go (fill_count setenv calls would each
	 * scan the array). */
	b->fill = malloc(fill_count * 16);
	b->big = malloc((b->nsaved + fill_count + 3) * sizeof *b->big);
	b->n = 0;
	for (i = 0; i < b->nsaved; i++)
		b->big[b->n++] = saved[i];
	for (i = 0; i < fill_count; i++) {
		char *s = b->fill + i * 16;
		snprintf(s, 16, "ASPT_F%07u=f", (unsigned)i);
		b->big[b->n++] = s;
	}
	b->x = b->n;
	b->big[b->n++] = "ASPT_X=a";
	b->big[b->n++] = "ASPT_STABLE=1";
	b->big[b->n] = 0;
	environ = b->big;
}

static void big_env_restore(struct big_env *b)
{
	size_t i;
	clearenv();
	for (i = 0; i < b->nsaved; i++)
		putenv(b->keep[i]);
	free(b->keep);
	free(b->big);
	free(b->fill);
}

/* Spawns `env` for 3 s (at least 3 times), each child's environment
 * checked: the count of those inconsistent and of failed spawns. */
struct tally {
	int spawns, bad, errors, first_error;
};

static void spawn_for_a_while(struct tally *t)
{
	long long ms = 3000 / test_scale;
	uint8_t *seen = calloc(MAX_INDEX, 1);
	struct timespec t0, now;
	struct req r;
	/* env, not a shell: a shell imports 20 000 variables slowly enough to
	 * bound the number of spawns this test gets in. */
	req_begin(&r, "/usr/bin/env", ASP_REQ_INHERIT_ENV);
	req_arg(&r, "env");
	req_capture(&r);
	req_end(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct asp_wait_result w;
		char *text;
		size_t len;
		int e = spawn_env(&r, &text, &len, &w);
		__atomic_store_n(&t->spawns, t->spawns + 1, __ATOMIC_RELEASE);
		if (e < 0) {
			t->errors++;
			t->first_error = t->first_error ? t->first_error : e;
		} else {
			if (w.si_code != 1 || w.code != 0 || !consistent(text, seen))
				t->bad++;
			free(text);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* At least 3 spawns, however slow the machine (an emulated arm64
		 * VM manages fewer in the time). */
	} while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < ms || t->spawns < 3);
	free(r.buf);
	free(seen);
	fprintf(stderr, "    %d spawns: %d inconsistent, %d failed (first %d)\n", t->spawns, t->bad, t->errors,
		t->first_error);
}

static void concurrent_setenv(void)
{
	struct big_env b;
	struct tally t = {0};
	pthread_t th;
	big_env_make(&b, FILL);
	setenv("ASPT_X", "a", 1); /* setenv copies the array into one of its own */
	stop = 0;
	pthread_create(&th, 0, mutate, 0);
	spawn_for_a_while(&t);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, 0);
	CHECK_EQ_INT(t.bad, 0);
	CHECK_EQ_INT(t.errors, 0);
	big_env_restore(&b);
}

/*
 * The array moving away and back while a copy reads it, its memory someone
 * else's meanwhile (realloc can do this: it frees the array, the memory
 * serves another allocation, a later realloc returns the same address; a
 * Deno parent whose Worker appended names once gave a child an empty
 * environment so). Here on purpose: the spawning thread is stopped by a
 * signal every 20 us; when that finds it inside the library (perhaps in
 * the middle of a copy, up to 8 times a spawn), environ points to a copy
 * while the array's slots hold pointers to a string that is no variable of
 * ours, the thread runs on for 20 us, it is stopped again, and the array
 * is restored (ASPT_X changed, so that the next spawn copies anew) and
 * environ pointed back at it. A copy that compares environ only before and
 * after its reads takes in what it read meanwhile. Plain assignments to
 * environ, no setenv: what a move and a move back look like to the reader.
 */
static sem_t paused, resumed;
static uintptr_t paused_at; /* the stopped thread's instruction pointer */

static void on_pause(int sig, siginfo_t *info, void *context)
{
	ucontext_t *uc = context;
	int saved = errno;
	(void)sig;
	(void)info;
#if defined(__x86_64__)
	paused_at = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
	paused_at = (uintptr_t)uc->uc_mcontext.pc;
#endif
	sem_post(&paused);
	while (sem_wait(&resumed) < 0 && errno == EINTR)
		;
	errno = saved;
}

struct bounce {
	pthread_t reader;
	struct big_env *b;
	char **away;
	const struct tally *t;
	uintptr_t lib_lo, lib_hi; /* the library's code */
	unsigned episodes;
};

/* At most this many episodes per spawn: each may make a copy start over,
 * and a machine slow enough (an emulated arm64 VM) would never finish one. */
#define EPISODES_PER_SPAWN 8

/* Every stop blocks in sem_wait, a context switch: a stop that spins would
 * let the array move away and back between one read and the next check
 * while the thread counts as running, the case environ.c documents it
 * leaves (CI saw this test fail so). */
static void pause_reader(const struct bounce *bo)
{
	pthread_kill(bo->reader, SIGUSR1);
	while (sem_wait(&paused) < 0 && errno == EINTR)
		;
}

static void resume_reader(void) { sem_post(&resumed); }

/* The library's executable segments, found before the test starts (not
 * with dladdr while the reader is stopped: it may hold the loader's lock). */
static int find_library(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct bounce *bo = arg;
	Dl_info where;
	int i;
	(void)size;
	if (!dladdr((void *)L.spawn, &where) || (uintptr_t)where.dli_fbase != info->dlpi_addr)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (!bo->lib_lo || lo < bo->lib_lo)
			bo->lib_lo = lo;
		if (lo + ph->p_memsz > bo->lib_hi)
			bo->lib_hi = lo + ph->p_memsz;
	}
	return 1;
}

static void spin_us(long us)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

static void *bounce(void *arg)
{
	struct bounce *bo = arg;
	char **home = bo->b->big;
	size_t n = bo->b->n, i;
	int spawns = 0, here = 0;
	prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0); /* gaps of 20 us, not 70 */
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct timespec gap = {0, 20000};
		nanosleep(&gap, 0);
		if (__atomic_load_n(&bo->t->spawns, __ATOMIC_ACQUIRE) != spawns) {
			spawns = __atomic_load_n(&bo->t->spawns, __ATOMIC_ACQUIRE);
			here = 0;
		}
		if (here >= EPISODES_PER_SPAWN)
			continue;
		pause_reader(bo);
		if (paused_at < bo->lib_lo || paused_at >= bo->lib_hi) {
			resume_reader();
			continue;
		}
		here++;
		memcpy(bo->away, home, (n + 1) * sizeof *home);
		__atomic_store_n(&environ, bo->away, __ATOMIC_RELEASE);
		for (i = 0; i < n; i++)
			home[i] = junk;
		resume_reader();
		spin_us(20); /* a read or two, not all of them */
		pause_reader(bo);
		memcpy(home, bo->away, (n + 1) * sizeof *home);
		home[bo->b->x] = bo->episodes++ % 2 ? "ASPT_X=a" : "ASPT_X=b";
		__atomic_store_n(&environ, home, __ATOMIC_RELEASE);
		resume_reader();
	}
	return 0;
}

static void array_moves_away_and_back(void)
{
	struct sigaction sa, old;
	struct big_env b;
	struct bounce bo;
	struct tally t = {0};
	pthread_t th;
	big_env_make(&b, HEAP_FILL);
	bo.t = &t;
	bo.reader = pthread_self();
	bo.b = &b;
	bo.away = malloc((b.n + 1) * sizeof *bo.away);
	bo.episodes = 0;
	sem_init(&paused, 0, 0);
	sem_init(&resumed, 0, 0);
	bo.lib_lo = bo.lib_hi = 0;
	dl_iterate_phdr(find_library, &bo);
	CHECK(bo.lib_lo < bo.lib_hi);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_pause;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	stop = 0;
	pthread_create(&th, 0, bounce, &bo);
	spawn_for_a_while(&t);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, 0);
	sigaction(SIGUSR1, &old, 0);
	fprintf(stderr, "    %u episodes\n", bo.episodes);
	CHECK_EQ_INT(t.bad, 0);
	CHECK_EQ_INT(t.errors, 0);
	CHECK(bo.episodes > 0);
	environ = b.big;
	big_env_restore(&b);
	free(bo.away);
	sem_destroy(&paused);
	sem_destroy(&resumed);
}

/* Spawn /bin/sh -c script, without pipes (see below); its exit code, or -1. */
static int spawn_sh_status(const char *script, uint32_t deathsig)
{
	struct req r;
	int32_t out[ASP_OUT_MAX];
	struct asp_wait_result w;
	int k;
	req_begin(&r, "/bin/sh", ASP_REQ_INHERIT_ENV);
	req_arg(&r, "sh");
	req_arg(&r, "-c");
	req_arg(&r, script);
	if (deathsig)
		req_step_u32(&r, ASP_OP_PDEATHSIG, deathsig);
	req_end(&r);
	k = L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX);
	free(r.buf);
	if (k < 0)
		return -1;
	while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 10000);
	L.close(out[ASP_OUT_PIDFD]);
	L.close(out[ASP_OUT_STATUS]);
	return w.si_code == 1 ? w.code : -1;
}

/*
 * The library keeps our pid and thread id (threads.c): a fork()ed child must
 * not spawn with its parent's. With them, the environment would be read in
 * the parent's memory (the child's new variable missing), and the death
 * signal's check would find its spawner gone (getppid is not that pid).
 */
static void forked_child_spawns_as_itself(void)
{
	int status = -1;
	pid_t pid;
	CHECK_EQ_INT(spawn_sh_status("true", SIGKILL), 0); /* both known now */
	pid = fork();
	if (pid == 0) {
		int ok;
		/* No pipes: with the reactor running in our parent, a forked copy
		 * has no reactor thread to close the parent's copies of pipe ends. */
		setenv("ASPT_FORKED", "in the child", 1);
		ok = spawn_sh_status("test \"$ASPT_FORKED\" = 'in the child'", 0) == 0 &&
		     spawn_sh_status("test \"$ASPT_FORKED\" = 'in the child'", SIGKILL) == 0;
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK_EQ_INT(status, 0);
}

/* Where seccomp denies process_vm_readv, the copy goes through a pipe. */
static void without_process_vm_readv(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* No pipes: with the reactor running in our parent, a forked copy
		 * has no reactor thread to close the parent's copies of pipe ends. */
		struct req r;
		int ok = seccomp_install(f, sizeof f / sizeof f[0]) &&
			 syscall(SYS_process_vm_readv, getpid(), 0, 0, 0, 0, 0) == -1 && errno == EPERM, i;
		setenv("ASPT_PIPE", "through the pipe", 1);
		req_begin(&r, "/bin/sh", ASP_REQ_INHERIT_ENV);
		req_arg(&r, "sh");
		req_arg(&r, "-c");
		req_arg(&r, "test \"$ASPT_PIPE\" = 'through the pipe'");
		req_end(&r);
		/* Twice: a fresh copy, then the kept one checked (both by pipe). */
		for (i = 0; i < 2 && ok; i++) {
			int32_t out[ASP_OUT_MAX];
			struct asp_wait_result w;
			ok = L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX) == 0;
			while (ok && L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
				wait_readable(out[ASP_OUT_PIDFD], 10000);
			ok = ok && w.si_code == 1 && w.code == 0;
		}
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK_EQ_INT(status, 0);
}

TEST_LIST(environ_tests) = {
	{"environ: spawns while another thread changes a large environment", concurrent_setenv},
	{"environ: the array moves away and back while a copy reads it", array_moves_away_and_back,
	 "qemu-user runs vfork as fork, and its forks while another thread signals this one risk a child stuck inside qemu (as the launch tests saw)"},
	{"environ: copied through a pipe where seccomp denies process_vm_readv", without_process_vm_readv,
	 "qemu-user does not emulate seccomp filters"},
	{"environ: a fork()ed child spawns with its own pid and environment", forked_child_spawns_as_itself},
	{0, 0},
};
