/* Signal dispositions and masks of the child; the parent left as it was. */
#define _GNU_SOURCE
#include "helpers.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* A seccomp filter's first statements: other architectures' calls pass,
 * then the syscall number is loaded. */
#define ARCH_THEN_NR \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

static volatile sig_atomic_t usr2_hits;
static void on_usr2(int sig)
{
	(void)sig;
	usr2_hits++;
}

/* What `cat /proc/self/status` prints, through a memfd (a forked copy of
 * this process has no reactor thread to close its copies of pipe ends). */
static int cat_status(char *text, size_t n)
{
	struct req r;
	struct asp_wait_result w;
	int32_t out[ASP_OUT_MAX];
	int fd = (int)syscall(SYS_memfd_create, "status", 1u /* MFD_CLOEXEC */), k;
	int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {fd, 1}, {2, 2}};
	ssize_t got;
	req_begin(&r, "/bin/cat", 0);
	req_arg(&r, "cat");
	req_arg(&r, "/proc/self/status");
	req_fd_map(&r, (const int32_t(*)[2])map, 3, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&r);
	k = fd < 0 ? -1 : L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX);
	free(r.buf);
	if (k < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 10000);
	L.close(out[ASP_OUT_PIDFD]);
	L.close(out[ASP_OUT_STATUS]);
	got = pread(fd, text, n - 1, 0);
	close(fd);
	text[got > 0 ? got : 0] = 0;
	return w.si_code == 1 && w.code == 0 && got > 0;
}

/*
 * Ignored and handled signals of ours, low and realtime, are all at their
 * default in the child: `cat` shows its own, and sets none. 1, or 0 after
 * reporting what differed.
 */
static int child_dispositions_default(void)
{
	static char text[1 << 14];
	struct sigaction ign = {0}, handler = {0}, old[4];
	const int sigs[4] = {SIGPIPE, SIGINT, SIGRTMIN + 5, SIGUSR2};
	char ignored[64], caught[64];
	int i, ran;
	ign.sa_handler = SIG_IGN;
	handler.sa_handler = on_usr2;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], sigs[i] == SIGUSR2 ? &handler : &ign, &old[i]);
	ran = cat_status(text, sizeof text);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], 0);
	proc_field(text, "SigIgn", ignored, sizeof ignored);
	proc_field(text, "SigCgt", caught, sizeof caught);
	if (ran && strcmp(ignored, "0000000000000000") == 0 && strcmp(caught, "0000000000000000") == 0)
		return 1;
	fprintf(stderr, "    cat ran: %d; its SigIgn %s, SigCgt %s\n", ran, ignored, caught);
	return 0;
}

static void child_dispositions(void) { CHECK(child_dispositions_default()); }

/*
 * The same where the child cannot read /proc/self/status (child_signals.c
 * opens it with O_NOCTTY, which this filter refuses: `cat` opens without),
 * in a forked copy of this process, which the filter stays with.
 */
static void child_dispositions_without_proc(void)
{
	struct sock_filter f[] = {
		ARCH_THEN_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int ok = seccomp_install(f, sizeof f / sizeof f[0]) &&
			 open("/proc/self/status", O_RDONLY | O_CLOEXEC | O_NOCTTY) == -1 && errno == EACCES;
		_exit(ok && child_dispositions_default() ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK_EQ_INT(status, 0);
}

extern int test_scale;
static volatile int toggling;
static void on_usr1(int sig) { (void)sig; }
static void *toggle_usr1(void *unused)
{
	struct sigaction ign = {0}, handler = {0};
	(void)unused;
	ign.sa_handler = SIG_IGN;
	handler.sa_handler = on_usr1;
	while (toggling) {
		sigaction(SIGUSR1, &ign, 0);
		sigaction(SIGUSR1, &handler, 0);
	}
	return 0;
}

/*
 * Another thread switching a signal between ignored and handled while we
 * spawn: whatever it was at the clone, the program starts with it at its
 * default. The child must read its own dispositions: a build that read the
 * parent's, live, after the clone, left SIGUSR1 ignored in a fifth of the
 * children (the review of 7879a20).
 */
static void dispositions_changing_meanwhile(void)
{
	static struct run_result res;
	struct sigaction dfl = {0};
	char ignored[64];
	pthread_t t;
	int i, bad = 0;
	toggling = 1;
	CHECK_EQ_INT(pthread_create(&t, 0, toggle_usr1, 0), 0);
	for (i = 0; i < 300 / test_scale; i++) {
		run_sh("exec cat /proc/self/status", 0, &res);
		if (strcmp(proc_field(res.text, "SigIgn", ignored, sizeof ignored), "0000000000000000") != 0 && bad++ < 3)
			fprintf(stderr, "    child %d started with SigIgn %s\n", i, ignored);
	}
	toggling = 0;
	pthread_join(t, 0);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &dfl, 0);
	CHECK_EQ_INT(bad, 0);
}

/*
 * A signal that reaches the child before exec waits for the new program;
 * a handler of ours never runs in the child, which shares our memory (the
 * fallbacks clone without CLONE_CLEAR_SIGHAND: the child resets handled
 * signals itself before it lifts its mask). Here SIGUSR2 then kills `true`
 * (unless, under vfork, it had already exited). What this catches is the
 * clone fallback's: clone3 resets handlers itself, fork shares no memory,
 * and vfork runs the child before we could signal it. Needs SCHED_FIFO
 * (root, or CAP_SYS_NICE), as death_signal_thread_ended does.
 */
static void handled_signal_before_exec(void)
{
	struct { int err; int32_t out[ASP_OUT_MAX]; } s;
	struct sigaction handler = {0}, old;
	struct asp_wait_result w;
	struct req q;
	int r;
	handler.sa_handler = on_usr2;
	sigaction(SIGUSR2, &handler, &old);
	usr2_hits = 0;
	req_begin(&q, "/bin/true", 0);
	req_arg(&q, "true");
	req_end(&q);
	s.err = spawn_stopped(&q, s.out);
	free(q.buf);
	CHECK_EQ_INT(s.err, 0);
	if (s.err == 0) {
		kill(s.out[ASP_OUT_PID], SIGUSR2);
		kill(s.out[ASP_OUT_PID], SIGCONT);
		while ((r = L.wait(s.out[ASP_OUT_PIDFD], s.out[ASP_OUT_PID], &w)) == -EAGAIN)
			wait_readable(s.out[ASP_OUT_PIDFD], 5000);
		CHECK_EQ_INT(r, 1);
		CHECK((w.si_code == CLD_KILLED && w.code == SIGUSR2) || (w.si_code == CLD_EXITED && w.code == 0));
		L.close(s.out[ASP_OUT_PIDFD]);
		L.close(s.out[ASP_OUT_STATUS]);
	}
	sigaction(SIGUSR2, &old, 0);
	CHECK_EQ_INT(usr2_hits, 0);
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

/* dir and the files in it (a core a failed check left). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	if (d)
		closedir(d);
	rmdir(dir);
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
	remove_dir(dir);
}

/*
 * The test binary's --probe-under-seccomp mode: a fresh process whose
 * seccomp filter kills any process calling clock_gettime (the probe child
 * times the two resets with it; we read the vDSO), with core dumps on,
 * loads the library and asks its capabilities. The probe child dies, and
 * must neither dump our memory nor take us with it: 0 when we are alive
 * and children reset every signal.
 */
int probe_under_seccomp(const char *lib)
{
	struct sock_filter f[] = {
		ARCH_THEN_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct rlimit core;
	getrlimit(RLIMIT_CORE, &core);
	core.rlim_cur = core.rlim_max;
	setrlimit(RLIMIT_CORE, &core);
	if (lib_load(lib) < 0 || !seccomp_install(f, sizeof f / sizeof f[0]))
		return 2;
	return (L.capabilities() & ASP_CAP_SIGNALS_BY_PROC) ? 1 : 0;
}

static int count_cores(const char *dir);
static void remove_dir(const char *dir);

/* Before the probe child called suspend_core, it dumped its memory (ours)
 * into `core` here (a hostile review's reproduction, 2026-12-07). */
static void probe_killed_by_seccomp(void)
{
	char dir[] = "/tmp/aspawn-probe-XXXXXX", self[4096], lib[4096], pattern[256] = {0};
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int status = -1, fd;
	pid_t pid;
	CHECK(n > 0 && realpath(test_library, lib) != 0 && mkdtemp(dir) != 0);
	self[n > 0 ? n : 0] = 0;
	pid = fork();
	if (pid == 0) {
		unsetenv("ASPAWN_SIGNAL_RESET"); /* the probe's own verdict */
		if (chdir(dir) == 0)
			execl(self, self, "--probe-under-seccomp", lib, (char *)0);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A core lands here only where core_pattern names a file (it may be
	 * a pipe to a handler); this host's is `core`. */
	fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, pattern, sizeof pattern - 1) < 0)
			pattern[0] = 0;
		close(fd);
	}
	if (pattern[0] != '|' && pattern[0] != '/')
		CHECK_EQ_INT(count_cores(dir), 0);
	remove_dir(dir);
}

/* ASPAWN_SIGNAL_RESET overrides the probe's choice of how children reset
 * their signals (scripts/test-c.sh alternates it, so both ways run the
 * tests above on every host). */
static void reset_way_as_asked(void)
{
	const char *way = getenv("ASPAWN_SIGNAL_RESET");
	int by_proc = (L.capabilities() & ASP_CAP_SIGNALS_BY_PROC) != 0;
	if (way && strcmp(way, "proc") == 0)
		CHECK(by_proc);
	else if (way && strcmp(way, "all") == 0)
		CHECK(!by_proc);
}

TEST_LIST(signal_tests) = {
	{"signals: ASPAWN_SIGNAL_RESET decides how children reset them", reset_way_as_asked},
	{"signals: a probe child killed by seccomp dumps no core of ours, and we live", probe_killed_by_seccomp,
	 "qemu-user does not emulate seccomp filters"},
	{"signals: child dispositions and mask; ours unchanged", child_signals},
	{"signals: SIGQUIT before exec dumps no core", early_sigquit},
	{"signals: ignored and handled ones, realtime too, are default in the child", child_dispositions},
	{"signals: the same where the child cannot read /proc/self/status", child_dispositions_without_proc,
	 "qemu-user does not emulate seccomp filters"},
	{"signals: one another thread switches between ignored and handled meanwhile is default in every child", dispositions_changing_meanwhile},
	{"signals: a handled one sent before exec waits for the program; our handler never runs", handled_signal_before_exec},
	{0, 0},
};
