/* Each pre-exec step, working and failing, on real processes (run as root). */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

/* Field k (1-based, as in proc(5)) of a /proc/<pid>/stat line. */
static long stat_field(const char *text, int k)
{
	const char *p = strrchr(text, ')');
	int i;
	if (!p)
		return -999;
	p += 2;
	for (i = 3; i < k && *p; i++) {
		while (*p && *p != ' ')
			p++;
		if (*p)
			p++;
	}
	return strtol(p, 0, 10);
}

static void add_chdir_tmp(struct req *r) { req_step_string(r, ASP_OP_CHDIR, "/tmp"); }
static void add_chdir_missing(struct req *r) { req_step_string(r, ASP_OP_CHDIR, "/nonexistent-dir"); }

static void chdir_step(void)
{
	struct run_result res;
	run_sh("pwd", add_chdir_tmp, &res);
	CHECK_EQ_STR(res.text, "/tmp\n");
	run_sh("pwd", add_chdir_missing, &res);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], ENOENT);
	CHECK_EQ_INT(res.rec[1], 1); /* step 0 is the fd map */
	CHECK_EQ_INT(res.w.code, 127);
}

static void add_setsid(struct req *r) { req_step(r, ASP_OP_SETSID, 0, 0); }
static void add_setpgid(struct req *r) { req_step_u32(r, ASP_OP_SETPGID, 0); }

static void session_and_group(void)
{
	struct run_result res;
	int pid;
	run_sh("exec cat /proc/self/stat", add_setsid, &res);
	pid = res.out[ASP_OUT_PID];
	CHECK_EQ_INT(stat_field(res.text, 5), pid); /* pgrp */
	CHECK_EQ_INT(stat_field(res.text, 6), pid); /* session */

	run_sh("exec cat /proc/self/stat", add_setpgid, &res);
	pid = res.out[ASP_OUT_PID];
	CHECK_EQ_INT(stat_field(res.text, 5), pid);
	CHECK_EQ_INT(stat_field(res.text, 6), getsid(0));

	/* setsid fails in a process group leader: after setpgid it is one. */
	{
		struct req r;
		req_sh(&r, "true");
		req_capture(&r);
		add_setpgid(&r);
		add_setsid(&r);
		run_req(&r, &res);
		CHECK_EQ_INT(res.record, 1);
		CHECK_EQ_INT(res.rec[0], EPERM);
		CHECK_EQ_INT(res.rec[1], 2);
	}
}

static void add_umask(struct req *r) { req_step_u32(r, ASP_OP_UMASK, 077); }
static void add_nice(struct req *r) { req_step_u32(r, ASP_OP_NICE, 5); }

static void umask_and_nice(void)
{
	struct run_result res;
	run_sh("umask", add_umask, &res);
	CHECK_EQ_STR(res.text, "0077\n");
	run_sh("exec cat /proc/self/stat", add_nice, &res);
	CHECK_EQ_INT(stat_field(res.text, 19), 5);
}

static void add_nofile(struct req *r) { req_rlimit(r, 7 /* NOFILE */, 64, 128); }
static void add_bad_rlimit(struct req *r) { req_rlimit(r, 7, 256, 128); }
static void add_core(struct req *r) { req_rlimit(r, 4 /* CORE */, 1 << 20, 1 << 20); }

static void rlimits(void)
{
	struct run_result res;
	char line[256];
	run_sh("ulimit -n", add_nofile, &res);
	CHECK_EQ_STR(res.text, "64\n");
	run_sh("ulimit -n", add_bad_rlimit, &res);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], EINVAL);
	CHECK_EQ_INT(res.rec[1], 1);
	CHECK_EQ_INT(res.rec[2], 7);
	/* The core limit is held at 0 before exec and applied last. */
	run_sh("exec cat /proc/self/limits", add_core, &res);
	proc_field(res.text, "Max core file size", line, sizeof line);
	CHECK(strncmp(line, "1048576", 7) == 0);
}

static void add_creds(struct req *r)
{
	uint32_t groups[3] = {2, 100, 200};
	req_step(r, ASP_OP_SETGROUPS, groups, sizeof groups);
	req_step_u32(r, ASP_OP_SETGID, 65534);
	req_step_u32(r, ASP_OP_SETUID, 65534);
}
static void add_setuid_then_setgid(struct req *r)
{
	req_step_u32(r, ASP_OP_SETUID, 65534);
	req_step_u32(r, ASP_OP_SETGID, 1234);
}

static void credentials(void)
{
	struct run_result res;
	run_sh("id -u; id -g; id -G", add_creds, &res);
	CHECK_EQ_STR(res.text, "65534\n65534\n65534 100 200\n");
	/* Once unprivileged, the next credential step fails. */
	run_sh("id -u", add_setuid_then_setgid, &res);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], EPERM);
	CHECK_EQ_INT(res.rec[1], 2);
	/* Our own credentials never changed, and we are still dumpable. */
	CHECK_EQ_INT(getuid(), 0);
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 1);
}

static void dumpable_overlapping(void)
{
	/* Two setuid children in flight at once: the flag comes back only
	 * when both have left our memory. */
	struct req r;
	int32_t out[2][ASP_OUT_MAX], rec[3];
	struct asp_wait_result w;
	int i;
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 1);
	for (i = 0; i < 2; i++) {
		req_sh(&r, "sleep 0.2");
		req_step_u32(&r, ASP_OP_SETUID, 65534);
		req_end(&r);
		CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out[i], ASP_OUT_MAX), 0);
		free(r.buf);
	}
	for (i = 0; i < 2; i++) {
		int n;
		while ((n = L.status_read(out[i][ASP_OUT_STATUS], rec)) == -EAGAIN)
			wait_readable(out[i][ASP_OUT_STATUS], 5000);
		CHECK_EQ_INT(n, 0);
	}
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 1);
	for (i = 0; i < 2; i++) {
		while (L.wait(out[i][ASP_OUT_PIDFD], out[i][ASP_OUT_PID], &w) == -EAGAIN)
			wait_readable(out[i][ASP_OUT_PIDFD], 5000);
		CHECK_EQ_INT(w.code, 0);
		L.close(out[i][ASP_OUT_PIDFD]);
		L.close(out[i][ASP_OUT_STATUS]);
	}
}

static void add_nnp(struct req *r) { req_step(r, ASP_OP_NO_NEW_PRIVS, 0, 0); }

static void no_new_privs(void)
{
	struct run_result res;
	char v[64];
	run_sh("exec cat /proc/self/status", add_nnp, &res);
	CHECK_EQ_STR(proc_field(res.text, "NoNewPrivs", v, sizeof v), "1");
	run_sh("exec cat /proc/self/status", 0, &res);
	CHECK_EQ_STR(proc_field(res.text, "NoNewPrivs", v, sizeof v), "0");
}

static void death_signal(void)
{
	/* A middle process spawns `sleep 100` with a death signal and exits;
	 * as subreaper we inherit the orphan and see it die. */
	int p[2], pid, grandchild = 0, status;
	struct timespec t0, t1;
	CHECK_EQ_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	CHECK_EQ_INT(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		struct req r;
		int32_t out[ASP_OUT_MAX];
		req_sh(&r, "exec sleep 100");
		req_death_signal(&r);
		req_end(&r);
		if (L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX) < 0)
			_exit(1);
		/* Let it exec first, so the signal hits the real program. */
		while (L.status_read(out[ASP_OUT_STATUS], out + ASP_OUT_PIPES) == -EAGAIN)
			wait_readable(out[ASP_OUT_STATUS], 5000);
		if (write(p[1], &out[ASP_OUT_PID], 4) != 4)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	CHECK_EQ_INT(read(p[0], &grandchild, 4), 4);
	close(p[0]);
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(grandchild > 0);
	if (grandchild > 0) {
		CHECK_EQ_INT(waitpid(grandchild, &status, 0), grandchild);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}


static void death_signal_thread_ended(void)
{
	/* PR_SET_PDEATHSIG follows the spawning thread: when that thread has
	 * ended before the child's prctl, the kernel will never send the
	 * signal, and the child must see it and send it to itself. */
	struct req q;
	struct { int err; int32_t out[ASP_OUT_MAX]; } s;
	struct asp_wait_result w;
	int r;
	req_sh(&q, "exec sleep 30");
	req_death_signal(&q);
	req_end(&q);
	s.err = spawn_stopped(&q, s.out);
	free(q.buf);
	CHECK_EQ_INT(s.err, 0);
	if (s.err)
		return;
	kill(s.out[ASP_OUT_PID], SIGCONT);
	while ((r = L.wait(s.out[ASP_OUT_PIDFD], s.out[ASP_OUT_PID], &w)) == -EAGAIN)
		if (wait_readable(s.out[ASP_OUT_PIDFD], 5000) <= 0)
			break;
	CHECK_EQ_INT(r, 1);
	if (r != 1) {
		kill(s.out[ASP_OUT_PID], SIGKILL);
		while (L.wait(s.out[ASP_OUT_PIDFD], s.out[ASP_OUT_PID], &w) == -EAGAIN)
			wait_readable(s.out[ASP_OUT_PIDFD], 5000);
	} else {
		CHECK_EQ_INT(w.si_code, CLD_KILLED);
		CHECK_EQ_INT(w.code, SIGKILL);
	}
	L.close(s.out[ASP_OUT_PIDFD]);
	L.close(s.out[ASP_OUT_STATUS]);
}

static void add_seccomp_kill(struct req *r)
{
	struct { uint32_t count, pad; struct filter f[1]; } p = {1, 0, {{BPF_RET_K, 0, 0, 0x80000000u /* KILL_PROCESS */}}};
	add_nnp(r);
	req_step(r, ASP_OP_SECCOMP, &p, sizeof p);
}

static void seccomp(void)
{
	struct run_result res;
	run_sh("echo never", add_seccomp_kill, &res);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.si_code != 1, 1);
	CHECK_EQ_INT(res.w.code, SIGSYS);
}

static void add_seccomp_block_write(struct req *r)
{
#if defined(__x86_64__)
	req_seccomp_errno(r, 1 /* write */, EPERM);
#else
	req_seccomp_errno(r, 64 /* write */, EPERM);
#endif
}

static void seccomp_errno(void)
{
	struct req r;
	struct run_result res;
	req_begin(&r, "/bin/echo", 0);
	req_arg(&r, "echo");
	req_arg(&r, "blocked");
	req_capture(&r);
	add_seccomp_block_write(&r);
	run_req(&r, &res);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.si_code, 1);
	CHECK_EQ_INT(res.w.code, 1);
	CHECK_EQ_STR(res.text, "");
}

/* The cgroup v2 mount, from mountinfo; mounted by us at /tmp if absent. */
static int cgroup2_root(char *buf, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];
	buf[0] = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *sep = strstr(line, " - cgroup2 "), mnt[512];
		if (sep && sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
			snprintf(buf, n, "%s", mnt);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!buf[0]) {
		mkdir("/tmp/aspawn-cgroup2", 0755);
		if (mount("none", "/tmp/aspawn-cgroup2", "cgroup2", 0, 0) == 0)
			snprintf(buf, n, "/tmp/aspawn-cgroup2");
	}
	return buf[0] ? 0 : -1;
}

static char cg_path[600];
static void add_cgroup(struct req *r)
{
	struct req tmp = {0};
	int32_t fd = -1;
	req_put(&tmp, &fd, 4);
	req_string_raw(&tmp, cg_path, strlen(cg_path));
	req_step(r, ASP_OP_CGROUP, tmp.buf, (uint32_t)tmp.len);
	free(tmp.buf);
}

static void cgroup(void)
{
	char root[512], want[700];
	struct run_result res;
	CHECK_EQ_INT(cgroup2_root(root, sizeof root), 0);
	snprintf(cg_path, sizeof cg_path, "%s/aspawn-test-%d", root, getpid());
	CHECK_EQ_INT(mkdir(cg_path, 0755), 0);
	run_sh("exec cat /proc/self/cgroup", add_cgroup, &res);
	CHECK_EQ_INT(res.err, 0);
	CHECK_EQ_INT(res.record, 0);

	snprintf(want, sizeof want, "0::%s\n", cg_path + strlen(root));
	CHECK(strstr(res.text, want) != 0);
	CHECK_EQ_INT(rmdir(cg_path), 0);
	/* A missing cgroup fails synchronously, naming the step. */
	run_sh("true", add_cgroup, &res);
	CHECK_EQ_INT(res.err, -ENOENT);
	CHECK_EQ_INT(res.out[ASP_OUT_STEP], 1);
}

static void nodump_guard(void)
{
	/* Before Linux 5.16 (and in the round test-c.sh runs with
	 * ASPAWN_NODUMP_GUARD=1) our memory is non-dumpable while a child
	 * shares it — a core dump there would kill us — and dumpable again once
	 * every child has left, whether it exec'd, failed or was killed. */
	const char *g = getenv("ASPAWN_NODUMP_GUARD");
	int forced = g && strcmp(g, "1") == 0, n;
	size_t big = (size_t)8 << 20;
	char *s = malloc(big + 1);
	struct req r;
	int32_t out[ASP_OUT_MAX], rec[3];
	struct asp_wait_result w;
	struct run_result res;
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 1);
	/* A child busy before exec: an 8 MiB environment string to decode
	 * (execve then refuses it: E2BIG). */
	memset(s, 'x', big);
	memcpy(s, "BIG=", 4);
	s[big] = 0;
	req_sh(&r, "true");
	req_env(&r, s);
	req_end(&r);
	free(s);
	CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
	if (forced && (L.capabilities() & ASP_CAP_CLONE_VM))
		CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 0);
	free(r.buf);
	while ((n = L.status_read(out[ASP_OUT_STATUS], rec)) == -EAGAIN)
		wait_readable(out[ASP_OUT_STATUS], 5000);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(rec[0], E2BIG);
	while (L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 5000);
	L.close(out[ASP_OUT_PIDFD]);
	L.close(out[ASP_OUT_STATUS]);
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 1);
	run_sh("true", 0, &res);
	CHECK_EQ_INT(res.w.code, 0);
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE), 1);
}

/* ---- OPEN and DUP: files the child opens, merges of its own fds ---- */

static char open_dir[64];
static char open_path[128];

static void req_dup(struct req *r, int32_t src, int32_t dst)
{
	int32_t pair[2] = {src, dst};
	req_step(r, ASP_OP_DUP, pair, sizeof pair);
}

static void read_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t k = f ? fread(buf, 1, n - 1, f) : 0;
	buf[k] = 0;
	if (f)
		fclose(f);
}

/* Relative to the CHDIR before it, with the umask before it. */
static void add_open_write(struct req *r)
{
	req_step_u32(r, ASP_OP_UMASK, 027);
	req_step_string(r, ASP_OP_CHDIR, open_dir);
	req_open(r, 5, ASP_OPEN_WRITE, 0666, "out.txt");
}
static void add_open_append(struct req *r) { req_open(r, 5, ASP_OPEN_WRITE | ASP_OPEN_APPEND, 0600, open_path); }
static void add_open_stdin(struct req *r) { req_open(r, 0, 0, 0, open_path); }
static void add_open_stdout(struct req *r) { req_open(r, 1, ASP_OPEN_WRITE, 0600, open_path); }
static void add_open_missing(struct req *r) { req_open(r, 4, ASP_OPEN_WRITE, 0600, "/nonexistent-dir/x"); }

static void open_step(void)
{
	struct run_result res;
	struct stat st;
	char buf[256];
	snprintf(open_dir, sizeof open_dir, "/tmp/aspawn-open-%d", (int)getpid());
	snprintf(open_path, sizeof open_path, "%s/out.txt", open_dir);
	CHECK(mkdir(open_dir, 0755) == 0);
	/* Created through fd 5, relative to the chdir, mode 0666 & ~027. */
	run_sh("echo one >&5; echo out", add_open_write, &res);
	CHECK_EQ_STR(res.text, "out\n");
	read_file(open_path, buf, sizeof buf);
	CHECK_EQ_STR(buf, "one\n");
	CHECK(stat(open_path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0640);
	run_sh("echo two >&5", add_open_append, &res);
	read_file(open_path, buf, sizeof buf);
	CHECK_EQ_STR(buf, "one\ntwo\n");
	/* Read-only onto stdin, over the fd map's /dev/null. */
	run_sh("cat; (echo x >&0) 2>/dev/null || echo read-only", add_open_stdin, &res);
	CHECK_EQ_STR(res.text, "one\ntwo\nread-only\n");
	/* Truncated, and onto stdout over the fd map's pipe, which closes. */
	run_sh("echo three", add_open_stdout, &res);
	CHECK_EQ_STR(res.text, "");
	read_file(open_path, buf, sizeof buf);
	CHECK_EQ_STR(buf, "three\n");
	run_sh("true", add_open_missing, &res);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], ENOENT);
	CHECK_EQ_INT(res.rec[1], 1); /* step 0 is the fd map */
	CHECK_EQ_INT(res.rec[2], 4); /* the target fd */
	unlink(open_path);
	rmdir(open_dir);
}

/* 2>&1 after a file took fd 1: stderr follows stdout into the file. */
static void add_merge(struct req *r) { req_dup(r, 1, 2); }
static void add_file_then_merge(struct req *r)
{
	req_open(r, 1, ASP_OPEN_WRITE, 0600, open_path);
	req_dup(r, 1, 2);
	req_dup(r, 2, 7); /* a chain: what 2 is by then */
}
static void add_merge_closed(struct req *r) { req_dup(r, 9, 2); }

static void dup_step(void)
{
	struct run_result res;
	char buf[256];
	run_sh("echo out; echo err >&2; echo out2", add_merge, &res);
	CHECK_EQ_STR(res.text, "out\nerr\nout2\n");
	snprintf(open_path, sizeof open_path, "/tmp/aspawn-merge-%d", (int)getpid());
	run_sh("echo out; echo err >&2; echo seven >&7", add_file_then_merge, &res);
	read_file(open_path, buf, sizeof buf);
	CHECK_EQ_STR(buf, "out\nerr\nseven\n");
	unlink(open_path);
	run_sh("true", add_merge_closed, &res);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], EBADF);
	CHECK_EQ_INT(res.rec[2], 2);
}

/* A socketpair on fd 3: the child reads what we write (EOF once we shut
 * our side down) and writes back on the same fd; its end is blocking. */
static void socketpair_source(void)
{
	const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}, {ASP_FD_SOCKETPAIR, 3}};
	struct req r;
	struct run_result res;
	int sock;
	req_sh(&r, "while read l <&3; do echo \"got $l\" >&3; done; echo done");
	req_fd_map(&r, map, 4, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&r);
	memset(&res, 0, sizeof res);
	CHECK(L.spawn(r.buf, (uint32_t)r.len, res.out, ASP_OUT_MAX) >= 0);
	free(r.buf);
	sock = res.out[ASP_OUT_PIPES + 1];
	CHECK(fcntl(sock, F_GETFL) & O_NONBLOCK);
	CHECK_EQ_INT((int)write(sock, "a\nb\n", 4), 4);
	CHECK(shutdown(sock, SHUT_WR) == 0);
	for (;;) {
		ssize_t n = read(sock, res.text + res.text_len, sizeof res.text - 1 - res.text_len);
		if (n < 0 && errno == EAGAIN) {
			wait_readable(sock, 10000);
			continue;
		}
		if (n <= 0)
			break;
		res.text_len += (size_t)n;
	}
	res.text[res.text_len] = 0;
	CHECK_EQ_STR(res.text, "got a\ngot b\n");
	L.close(sock);
	CHECK_EQ_INT(wait_readable(res.out[ASP_OUT_PIPES], 10000), 1);
	CHECK_EQ_INT(L.read(res.out[ASP_OUT_PIPES], res.text, 5), 5);
	CHECK(memcmp(res.text, "done\n", 5) == 0);
	L.close(res.out[ASP_OUT_PIPES]);
	L.close(res.out[ASP_OUT_STATUS]);
	while (L.wait(res.out[ASP_OUT_PIDFD], res.out[ASP_OUT_PID], &res.w) == -EAGAIN)
		wait_readable(res.out[ASP_OUT_PIDFD], 10000);
	CHECK_EQ_INT(res.w.code, 0);
	L.close(res.out[ASP_OUT_PIDFD]);
}

TEST_LIST(step_tests) = {
	{"steps: non-dumpable while children share our memory (old kernels, or forced)", nodump_guard},
	{"steps: chdir", chdir_step},
	{"steps: open a file onto an fd (relative to chdir, umask, append, read-only, failure)", open_step},
	{"steps: dup one child fd onto another, after a file open, and a chain", dup_step},
	{"steps: a socketpair source, read and written by the child", socketpair_source},
	{"steps: setsid and setpgid", session_and_group},
	{"steps: umask and nice", umask_and_nice},
	{"steps: rlimits", rlimits},
	{"steps: setgroups, setgid, setuid", credentials},
	{"steps: dumpable restored after overlapping setuid children", dumpable_overlapping},
	{"steps: no_new_privs", no_new_privs},
	{"steps: death signal when the parent dies", death_signal, "qemu-user has no PR_SET_CHILD_SUBREAPER"},
	{"steps: death signal when the spawning thread ended before the child's prctl", death_signal_thread_ended},
	{"steps: seccomp kill", seccomp, "qemu-user does not emulate seccomp filters"},
	{"steps: seccomp errno on write", seccomp_errno, "qemu-user does not emulate seccomp filters"},
	{"steps: cgroup", cgroup},
	{0, 0},
};
