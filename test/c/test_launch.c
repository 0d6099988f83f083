/* asp_spawn_start and asp_launched: the clone on the launcher thread. */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The status pipe's verdict: 0 at EOF (exec'd), 1 with a record. */
static int status_of(int fd, int32_t rec[3])
{
	int n;
	while ((n = L.status_read(fd, rec)) == -EAGAIN)
		wait_readable(fd, 5000);
	L.close(fd);
	return n;
}

static void reap(int32_t *out, struct asp_wait_result *w)
{
	int n;
	while ((n = L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], w)) == -EAGAIN)
		if (out[ASP_OUT_PIDFD] < 0 || wait_readable(out[ASP_OUT_PIDFD], 5000) <= 0)
			usleep(1000);
	CHECK_EQ_INT(n, 1);
	if (out[ASP_OUT_PIDFD] >= 0)
		L.close(out[ASP_OUT_PIDFD]);
}

static int start_sh(const char *script, int capture, int32_t *out, int ch, uint32_t status_id)
{
	struct req r;
	int t;
	req_sh(&r, script);
	if (capture)
		req_capture(&r);
	req_end(&r);
	t = L.spawn_start(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, ch, status_id);
	/* The request is the library's copy now. */
	memset(r.buf, 0xa5, r.len);
	free(r.buf);
	return t;
}

/* With a channel: the status pipe is watched from the start, the pidfd once
 * collected; the output and the exit arrive as for asp_spawn. */
static void started_on_channel(void)
{
	int32_t chout[1], out[ASP_OUT_MAX], rec[3];
	struct asp_event ev[8];
	struct asp_wait_result w;
	char text[64];
	int ch = L.reactor_open(chout), fds = count_fds(), t, n, i, len = 0, seen_status = 0, seen_exit = 0;
	CHECK(ch >= 0);
	t = start_sh("echo hi; exit 3", 1, out, ch, 7);
	CHECK(t > 0);
	CHECK_EQ_INT(out[ASP_OUT_PID], -1);
	CHECK_EQ_INT(out[ASP_OUT_PIDFD], -1);
	CHECK(out[ASP_OUT_STATUS] >= 0);
	while (!(seen_status && seen_exit)) {
		CHECK(wait_readable(chout[0], 5000) > 0);
		n = L.read(chout[0], ev, sizeof ev);
		if (n == -EAGAIN)
			continue;
		CHECK(n > 0);
		for (i = 0; i < n / (int)sizeof ev[0]; i++) {
			if (ev[i].id == 7) { /* exec'd: collect the launch, watch its exit */
				CHECK_EQ_INT(L.status_read(out[ASP_OUT_STATUS], rec), 0);
				L.unwatch(out[ASP_OUT_STATUS]);
				L.close(out[ASP_OUT_STATUS]);
				CHECK_EQ_INT(L.launched(t, out), 1);
				CHECK(out[ASP_OUT_PID] > 0);
				seen_status = 1;
				if (out[ASP_OUT_PIDFD] >= 0)
					CHECK_EQ_INT(L.watch(ch, out[ASP_OUT_PIDFD], 1, 8), 0);
				else
					seen_exit = 1;
			} else if (ev[i].id == 8) {
				seen_exit = 1;
			}
		}
	}
	reap(out, &w);
	CHECK_EQ_INT(w.si_code, ASP_WAIT_EXITED);
	CHECK_EQ_INT(w.code, 3);
	while ((n = L.read(out[ASP_OUT_PIPES], text + len, (uint32_t)(sizeof text - 1 - len))) > 0 || n == -EAGAIN)
		if (n > 0)
			len += n;
		else
			wait_readable(out[ASP_OUT_PIPES], 5000);
	text[len] = 0;
	CHECK_EQ_STR(text, "hi\n");
	L.close(out[ASP_OUT_PIPES]);
	/* Spent: the ticket is no longer valid. */
	CHECK_EQ_INT(L.launched(t, out), -EINVAL);
	CHECK_EQ_INT(count_fds(), fds);
	CHECK_EQ_INT(count_zombie_children(), 0);
	CHECK_EQ_INT(L.reactor_close(ch), 0);
	close(chout[0]);
}

/* Many starts before any is collected: each is cloned. */
static void many_in_flight(void)
{
	enum { N = 300 };
	static int32_t outs[N][ASP_OUT_MAX];
	int tickets[N], i, fds = count_fds(), last_pid = 0;
	char script[32];
	for (i = 0; i < N; i++) {
		snprintf(script, sizeof script, "exit %d", i % 200);
		tickets[i] = start_sh(script, 0, outs[i], -1, 0);
		CHECK(tickets[i] > 0);
	}
	for (i = 0; i < N; i++) {
		struct asp_wait_result w;
		int32_t rec[3];
		CHECK_EQ_INT(L.launched(tickets[i], outs[i]), 1);
		CHECK(outs[i][ASP_OUT_PID] > 0 && outs[i][ASP_OUT_PID] != last_pid);
		last_pid = outs[i][ASP_OUT_PID];
		CHECK_EQ_INT(status_of(outs[i][ASP_OUT_STATUS], rec), 0);
		reap(outs[i], &w);
		CHECK_EQ_INT(w.code, i % 200);
	}
	CHECK_EQ_INT(count_fds(), fds);
	CHECK_EQ_INT(count_zombie_children(), 0);
}

/* The caller's own fds in the map may be closed as soon as the start
 * returns: the launcher clones later, with copies. */
static void callers_fd_closed_at_once(void)
{
	int32_t out[ASP_OUT_MAX], rec[3];
	struct asp_wait_result w;
	struct req r;
	int p[2], fds, t;
	char buf[16];
	ssize_t n;
	CHECK_EQ_INT(pipe(p), 0);
	fds = count_fds();
	{
		int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {p[1], 1}, {2, 2}};
		req_sh(&r, "echo held");
		req_fd_map(&r, (const int32_t(*)[2])map, 3, ASP_FDMAP_CLOSE_OTHERS);
	}
	req_end(&r);
	t = L.spawn_start(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, -1, 0);
	free(r.buf);
	close(p[1]);
	CHECK(t > 0);
	CHECK_EQ_INT(L.launched(t, out), 1);
	CHECK_EQ_INT(status_of(out[ASP_OUT_STATUS], rec), 0);
	reap(out, &w);
	CHECK_EQ_INT(w.code, 0);
	n = read(p[0], buf, sizeof buf - 1);
	CHECK_EQ_INT(n, 5);
	buf[n > 0 ? n : 0] = 0;
	CHECK_EQ_STR(buf, "held\n");
	CHECK_EQ_INT(read(p[0], buf, sizeof buf), 0); /* no copy of ours left open */
	close(p[0]);
	CHECK_EQ_INT(count_fds(), fds - 2);
}

/* Failures before the clone are the caller's, as asp_spawn's; after it,
 * the child's status pipe says them; bad tickets are refused. */
static void failures(void)
{
	int32_t out[ASP_OUT_MAX], rec[3];
	struct asp_wait_result w;
	struct req r;
	int fds = count_fds(), t;
	uint8_t junk[64];
	memset(junk, 0x5a, sizeof junk);
	CHECK_EQ_INT(L.spawn_start(junk, sizeof junk, out, ASP_OUT_MAX, -1, 0), -EINVAL);
	CHECK_EQ_INT(L.spawn_start(0, 0, out, ASP_OUT_MAX, -1, 0), -EINVAL);
	/* A channel that cannot be: refused before anything is handed out. */
	req_sh(&r, "true");
	req_end(&r);
	CHECK_EQ_INT(L.spawn_start(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, 1 << 20, 1), -EINVAL);
	free(r.buf);
	CHECK_EQ_INT(count_fds(), fds);
	/* A program that is not there: ENOENT on the status pipe, exit 127. */
	req_begin(&r, "/nonexistent/aspawn-test", 0);
	req_arg(&r, "x");
	req_end(&r);
	t = L.spawn_start(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, -1, 0);
	free(r.buf);
	CHECK(t > 0);
	CHECK_EQ_INT(L.launched(t, out), 1);
	CHECK_EQ_INT(status_of(out[ASP_OUT_STATUS], rec), 1);
	CHECK_EQ_INT(rec[0], ENOENT);
	CHECK_EQ_INT(rec[1], ASP_STEP_EXEC);
	reap(out, &w);
	CHECK_EQ_INT(w.code, 127);
	CHECK_EQ_INT(L.launched(0, out), -EINVAL);
	CHECK_EQ_INT(L.launched(-5, out), -EINVAL);
	CHECK_EQ_INT(L.launched(t, out), -EINVAL);
	{
		/* Spent, then its entry (or another) in use again: still refused,
		 * and the new launch is untouched. */
		int32_t out2[ASP_OUT_MAX];
		int t2 = start_sh("exit 4", 0, out2, -1, 0), i;
		CHECK(t2 > 0 && t2 != t);
		CHECK_EQ_INT(L.launched(t, out), -EINVAL);
		CHECK_EQ_INT(L.launched(t2 ^ (1 << 12), out), -EINVAL); /* its entry, another generation */
		CHECK_EQ_INT(L.launched(t2, out2), 1);
		CHECK_EQ_INT(status_of(out2[ASP_OUT_STATUS], rec), 0);
		reap(out2, &w);
		CHECK_EQ_INT(w.code, 4);
		/* A map of more than 64 entries: E2BIG, naming the map's step. */
		{
			static int32_t map[70][2];
			for (i = 0; i < 70; i++) {
				map[i][0] = i < 3 ? i : 2;
				map[i][1] = i;
			}
			req_sh(&r, "true");
			req_fd_map(&r, (const int32_t(*)[2])map, 70, ASP_FDMAP_CLOSE_OTHERS);
			req_end(&r);
			CHECK_EQ_INT(L.spawn_start(r.buf, (uint32_t)r.len, out2, ASP_OUT_MAX, -1, 0), -E2BIG);
			CHECK_EQ_INT(out2[ASP_OUT_STEP], 0);
			free(r.buf);
		}
	}
	CHECK_EQ_INT(count_fds(), fds);
	CHECK_EQ_INT(count_zombie_children(), 0);
}

/*
 * A clone that fails (here: another user than root, RLIMIT_NPROC of 1) reaches
 * the caller as the child's failures do, on the status pipe, and from
 * asp_launched. In a fork of ours, which also shows that a fork starts a
 * launcher of its own.
 */
static void clone_fails(void)
{
	pid_t pid = fork();
	int status;
	if (pid == 0) {
		int32_t out[ASP_OUT_MAX], rec[3];
		struct rlimit one = {1, 1};
		struct asp_wait_result w;
		int t = start_sh("true", 0, out, -1, 0), r;
		/* The launcher runs (the fork's own); now clones fail. */
		if (t <= 0 || L.launched(t, out) != 1 || status_of(out[ASP_OUT_STATUS], rec) != 0)
			_exit(2);
		reap(out, &w);
		/* RLIMIT_NPROC binds users other than root only. */
		if (setrlimit(RLIMIT_NPROC, &one) != 0 || setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(3);
		t = start_sh("true", 0, out, -1, 0);
		if (t <= 0)
			_exit(4);
		r = L.launched(t, out);
		if (r != -EAGAIN || out[ASP_OUT_STEP] != ASP_STEP_SETUP)
			_exit(5);
		r = status_of(out[ASP_OUT_STATUS], rec);
		_exit(r == 1 && rec[0] == EAGAIN && rec[1] == ASP_STEP_SETUP ? 0 : 6);
	}
	CHECK(pid > 0);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

/* Two collectors of one ticket: exactly one gets the launch. */
struct collector {
	int ticket, r;
	int32_t out[ASP_OUT_MAX];
};

static void *collect(void *arg)
{
	struct collector *c = arg;
	c->r = L.launched(c->ticket, c->out);
	return 0;
}

static void collected_once(void)
{
	int round;
	for (round = 0; round < 50; round++) {
		struct collector a, b;
		struct asp_wait_result w;
		int32_t rec[3];
		pthread_t t;
		a.ticket = b.ticket = start_sh("exit 5", 0, a.out, -1, 0);
		CHECK(a.ticket > 0);
		CHECK_EQ_INT(pthread_create(&t, 0, collect, &b), 0);
		collect(&a);
		pthread_join(t, 0);
		CHECK((a.r == 1) != (b.r == 1));
		CHECK_EQ_INT(a.r == 1 ? b.r : a.r, -EINVAL);
		{
			struct collector *won = a.r == 1 ? &a : &b;
			/* The status pipe is in the start's out[], the pid in the winner's. */
			won->out[ASP_OUT_STATUS] = a.out[ASP_OUT_STATUS];
			CHECK_EQ_INT(status_of(won->out[ASP_OUT_STATUS], rec), 0);
			reap(won->out, &w);
			CHECK_EQ_INT(w.code, 5);
		}
	}
	CHECK_EQ_INT(count_zombie_children(), 0);
}

/* A context (a thread with a channel) that ends with launches it never
 * collected, some perhaps not yet cloned: the reactor reaps their children
 * and the channel's fds are closed. */
static void *start_and_leave(void *arg)
{
	int32_t chout[1], out[ASP_OUT_MAX];
	int i, ch = L.reactor_open(chout);
	(void)arg;
	if (ch < 0)
		return (void *)1;
	/* Half without a watch (channel -1): still this context's. */
	for (i = 0; i < 40; i++)
		if (start_sh(i % 2 ? "sleep 0.2" : "exit 0", 0, out, i % 4 < 2 ? ch : -1, (uint32_t)i) <= 0)
			return (void *)1;
	return 0;
}

static void context_ends_uncollected(void)
{
	int32_t chout[1];
	pthread_t t;
	void *r;
	int ch = L.reactor_open(chout), fds, i, round; /* the reactor runs: its fds are counted */
	CHECK(ch >= 0);
	fds = count_fds();
	/* Rounds: the reactor once reaped an orphan by a number that a child
	 * not yet exec'd kept watched, and closed that number again once it
	 * was another child's pidfd (a zombie then, on the fork fallback). */
	for (round = 0; round < 4; round++) {
		CHECK_EQ_INT(pthread_create(&t, 0, start_and_leave, 0), 0);
		CHECK_EQ_INT(pthread_join(t, &r), 0);
		CHECK(r == 0);
	}
	for (i = 0; i < 500 && (count_children() > 0 || count_fds() != fds); i++)
		usleep(10000);
	CHECK_EQ_INT(count_children(), 0);
	CHECK_EQ_INT(count_fds(), fds);
	CHECK_EQ_INT(L.reactor_close(ch), 0);
	close(chout[0]);
}

TEST_LIST(launch_tests) = {
	{"launch: started on a channel, collected at exec; output and exit as asp_spawn's", started_on_channel},
	{"launch: 300 started before any is collected: each cloned", many_in_flight},
	{"launch: the caller's fds in the map may be closed as soon as the start returns", callers_fd_closed_at_once},
	{"launch: failures before the clone are returned, after it reported; bad tickets refused", failures},
	{"launch: two threads collect one ticket: one gets it, the other EINVAL", collected_once,
	 "qemu-user runs vfork as fork, and a fork while another thread is being created can leave the child stuck inside qemu (seen once: a child with no CPU time, its parent gone)"},
	{"launch: a context that ends without collecting: its children reaped, its fds closed", context_ends_uncollected,
	 "qemu-user runs vfork as fork, and a fork while the launcher thread runs can leave the child stuck inside qemu (seen once in CI: the stuck child counted as not reaped, and holding the output pipe it hung the run)"},
	{"launch: a clone that fails is reported on the status pipe (in a fork, which starts its own launcher)", clone_fails},
	{0, 0},
};
