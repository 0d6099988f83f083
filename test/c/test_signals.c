/* Signal dispositions and masks of the child; the parent left as it was. */
#define _GNU_SOURCE
#include "helpers.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static void add_mask(struct req *r)
{
	uint64_t mask = (1ull << (SIGUSR1 - 1)) | (1ull << (SIGTERM - 1));
	req_step(r, ASP_OP_SIGMASK, &mask, 8);
}

static void child_signals(void)
{
	struct run_result res;
	char v[64];
	sigset_t before, after;
	/* Runtimes ignore SIGPIPE; the child must not inherit that. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&before);
	sigemptyset(&after);
	sigprocmask(SIG_SETMASK, 0, &before);
	run_sh("exec cat /proc/self/status", 0, &res);
	CHECK_EQ_STR(proc_field(res.text, "SigIgn", v, sizeof v), "0000000000000000");
	CHECK_EQ_STR(proc_field(res.text, "SigBlk", v, sizeof v), "0000000000000000");
	run_sh("exec cat /proc/self/status", add_mask, &res);
	CHECK_EQ_STR(proc_field(res.text, "SigBlk", v, sizeof v), "0000000000004200");
	sigprocmask(SIG_SETMASK, 0, &after);
	/* The kernel's mask is 64 bits; the rest of sigset_t is padding. */
	CHECK(memcmp(&before, &after, 8) == 0);
}

static int count_cores(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "core", 4) == 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

static void early_sigquit(void)
{
	/* SIGQUIT right after spawn, with core dumps possible (hard limit
	 * unlimited, soft limit 0 as usual): it must be held until the child's
	 * last step and act while RLIMIT_CORE is 0 — a core here would be our
	 * memory. (A non-zero soft limit leaves a window of a few syscalls
	 * before execve; see child.c.) */
	char dir[] = "/tmp/aspawn-core-XXXXXX", cwd[512];
	struct rlimit old, zero;
	int i, killed = 0;
	CHECK(mkdtemp(dir) != 0);
	CHECK(getcwd(cwd, sizeof cwd) != 0);
	CHECK_EQ_INT(chdir(dir), 0);
	getrlimit(RLIMIT_CORE, &old);
	zero.rlim_cur = 0;
	zero.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_CORE, &zero);
	for (i = 0; i < 10; i++) {
		struct req r;
		int32_t out[ASP_OUT_MAX], rec[3];
		struct asp_wait_result w;
		req_begin(&r, "/nonexistent", 0); /* never execs: only our code runs */
		req_arg(&r, "x");
		req_end(&r);
		CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
		free(r.buf);
		CHECK_EQ_INT(L.kill(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], SIGQUIT), 0);
		while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
			wait_readable(out[ASP_OUT_PIDFD], 5000);
		CHECK(w.si_code != 3 /* CLD_DUMPED */);
		if (w.si_code == 2 && w.code == SIGQUIT)
			killed++;
		L.status_read(out[ASP_OUT_STATUS], rec);
		L.close(out[ASP_OUT_STATUS]);
		L.close(out[ASP_OUT_PIDFD]);
	}
	/* It was delivered (before exec failed) at least sometimes — unless
	 * the vfork fallback held us until the child was gone. */
	if (!(L.capabilities() & ASP_CAP_VFORK))
		CHECK(killed > 0);
	setrlimit(RLIMIT_CORE, &old);
	CHECK_EQ_INT(count_cores(dir), 0);
	CHECK_EQ_INT(chdir(cwd), 0);
	rmdir(dir);
}

TEST_LIST(signal_tests) = {
	{"signals: child dispositions and mask; ours unchanged", child_signals},
	{"signals: SIGQUIT before exec dumps no core", early_sigquit},
	{0, 0},
};
