/*
 * INHERIT_ENV while another thread changes the environment (issue 12): no
 * crash, and each child sees an environment the process really had.
 */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
extern int test_scale;

/* Over glibc's mmap threshold (128 KiB of pointers): a move of the array by
 * realloc (mremap) unmaps the old one under a reader. */
enum { FILL = 20000, MAX_INDEX = 4 << 20 };

static volatile int stop;

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

static void concurrent_setenv(void)
{
	char **saved = environ, **keep, **big, *fill;
	size_t nsaved = 0, i, n = 0;
	int spawns = 0, bad = 0, errors = 0, first_error = 0;
	long long ms = 3000 / test_scale;
	uint8_t *seen = calloc(MAX_INDEX, 1);
	struct timespec t0, t;
	pthread_t th;
	struct req r;

	while (saved[nsaved])
		nsaved++;
	/* The strings stay valid (glibc never frees environment strings), not
	 * the array: keep the pointers, to restore our environment after. */
	keep = malloc((nsaved + 1) * sizeof *keep);
	memcpy(keep, saved, (nsaved + 1) * sizeof *keep);
	/* The large environment in one go (FILL setenv calls would each scan
	 * the array); setenv then copies it into an array of its own. */
	fill = malloc((size_t)FILL * 16);
	big = malloc((nsaved + FILL + 2) * sizeof *big);
	for (i = 0; i < nsaved; i++)
		big[n++] = saved[i];
	for (i = 0; i < FILL; i++) {
		char *s = fill + i * 16;
		snprintf(s, 16, "ASPT_F%07u=f", (unsigned)i);
		big[n++] = s;
	}
	big[n++] = "ASPT_STABLE=1";
	big[n] = 0;
	environ = big;
	setenv("ASPT_X", "a", 1);

	/* env, not a shell: a shell imports 20 000 variables slowly enough to
	 * bound the number of spawns this test gets in. */
	req_begin(&r, "/usr/bin/env", ASP_REQ_INHERIT_ENV);
	req_arg(&r, "env");
	req_capture(&r);
	req_end(&r);

	pthread_create(&th, 0, mutate, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct asp_wait_result w;
		char *text;
		size_t len;
		int e = spawn_env(&r, &text, &len, &w);
		spawns++;
		if (e < 0) {
			errors++;
			first_error = first_error ? first_error : e;
		} else {
			if (w.si_code != 1 || w.code != 0 || !consistent(text, seen))
				bad++;
			free(text);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		/* At least 3 spawns, however slow the machine (an emulated arm64
		 * VM manages fewer in the time). */
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms || spawns < 3);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, 0);
	free(r.buf);

	fprintf(stderr, "    %d spawns: %d inconsistent, %d failed (first %d)\n", spawns, bad, errors, first_error);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(errors, 0);

	/* Our environment as before. */
	clearenv();
	for (i = 0; i < nsaved; i++)
		putenv(keep[i]);
	free(keep);
	free(big);
	free(fill);
	free(seen);
}

/* Where seccomp denies process_vm_readv, the copy goes through a pipe. */
static void without_process_vm_readv(void)
{
#if defined(__x86_64__)
	const uint32_t arch = 0xc000003eu;
#else
	const uint32_t arch = 0xc00000b7u;
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof f[0], f};
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* No pipes: with the reactor running in our parent, a forked copy
		 * has no reactor thread to close the parent's copies of pipe ends. */
		struct req r;
		int ok = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
			 prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 &&
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
	{"environ: copied through a pipe where seccomp denies process_vm_readv", without_process_vm_readv,
	 "qemu-user does not emulate seccomp filters"},
	{0, 0},
};
