/* The reactor thread: wake-ups for status pipes, pidfds and stdio pipes. */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int next_events(int nfd, struct asp_event *ev, int max)
{
	int n;
	for (;;) {
		n = L.read(nfd, ev, (uint32_t)(max * sizeof *ev));
		if (n != -EAGAIN)
			break;
		if (wait_readable(nfd, 5000) <= 0)
			return 0;
	}
	CHECK(n > 0 && n % (int)sizeof *ev == 0);
	return n > 0 ? n / (int)sizeof *ev : 0;
}

static void wakeups(void)
{
	int32_t chout[1], out[ASP_OUT_MAX], rec[3];
	struct req r;
	struct asp_event ev[16];
	struct asp_wait_result w;
	int ch = L.reactor_open(chout), seen_status = 0, seen_exit = 0, seen_eof = 0, i, n;
	char text[64];
	int len = 0;
	CHECK(ch >= 0);
	req_sh(&r, "echo hi; sleep 0.05");
	req_capture(&r);
	req_end(&r);
	CHECK_EQ_INT(L.spawn(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX), 0);
	free(r.buf);
	CHECK_EQ_INT(L.watch(ch, out[ASP_OUT_STATUS], 1, 1), 0);
	CHECK_EQ_INT(L.watch(ch, out[ASP_OUT_PIDFD], 1, 2), 0);
	CHECK_EQ_INT(L.watch(ch, out[ASP_OUT_PIPES], 1, 3), 0);
	while (!(seen_status && seen_exit && seen_eof)) {
		n = next_events(chout[0], ev, 16);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			if (ev[i].id == 1) {
				CHECK_EQ_INT(L.status_read(out[ASP_OUT_STATUS], rec), 0);
				seen_status = 1;
			} else if (ev[i].id == 2) {
				CHECK_EQ_INT(L.wait(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w), 1);
				seen_exit = 1;
			} else if (ev[i].id == 3) {
				int k;
				while ((k = L.read(out[ASP_OUT_PIPES], text + len, (uint32_t)(sizeof text - 1 - len))) > 0)
					len += k;
				if (k == 0)
					seen_eof = 1;
				else
					CHECK_EQ_INT(L.rearm(ch, out[ASP_OUT_PIPES], 1, 3), 0);
			} else {
				CHECK(0);
			}
		}
	}
	text[len] = 0;
	CHECK(seen_status && seen_exit && seen_eof);
	CHECK_EQ_STR(text, "hi\n");
	CHECK_EQ_INT(w.code, 0);
	L.unwatch(out[ASP_OUT_STATUS]);
	L.unwatch(out[ASP_OUT_PIDFD]);
	L.unwatch(out[ASP_OUT_PIPES]);
	L.close(out[ASP_OUT_STATUS]);
	L.close(out[ASP_OUT_PIDFD]);
	L.close(out[ASP_OUT_PIPES]);
	CHECK_EQ_INT(L.reactor_close(ch), 0);
	/* The reader sees EOF once the channel is closed. */
	CHECK_EQ_INT(L.read(chout[0], ev, sizeof ev), 0);
	close(chout[0]);
}

/* The fused calls: the same wake-ups as `wakeups`, the fds closed by the
 * calls that are done with them. */
static void fused_calls(void)
{
	int32_t chout[1], out[ASP_OUT_MAX], rec[3];
	struct req r;
	struct asp_event ev[16];
	struct asp_wait_result w;
	int ch = L.reactor_open(chout), seen_status = 0, seen_exit = 0, seen_eof = 0, i, n, k, len = 0, armed, watched;
	int p[2];
	char text[64];
	CHECK(ch >= 0);
	req_sh(&r, "echo hi; sleep 0.05; echo there");
	req_capture(&r);
	req_end(&r);
	CHECK_EQ_INT(L.spawn_watch(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, ch, 1, 2), 0);
	CHECK_EQ_INT(out[ASP_OUT_DETAIL], 0);
	free(r.buf);
	/* Empty (or soon "hi"): the read arms watch 3 in the same call. */
	k = L.read_arm(ch, out[ASP_OUT_PIPES], text, sizeof text - 1, 3, ASP_READ_ARM | ASP_READ_END);
	if (k > 0)
		len += k;
	armed = watched = k == -EAGAIN;
	while (!(seen_status && seen_exit && seen_eof)) {
		if (!armed) { /* data: read on until the pipe is empty (armed) or at EOF */
			k = L.read_arm(ch, out[ASP_OUT_PIPES], text + len, (uint32_t)(sizeof text - 1 - len), 3,
				       ASP_READ_ARM | (watched ? ASP_READ_WATCHED : 0) | ASP_READ_END);
			if (k > 0) {
				len += k;
				continue;
			}
			if (k == 0)
				seen_eof = 1;
			else
				CHECK_EQ_INT(k, -EAGAIN);
			armed = watched = 1;
		}
		n = next_events(chout[0], ev, 16);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			if (ev[i].id == 1) {
				CHECK_EQ_INT(L.status_take(out[ASP_OUT_STATUS], rec), 0);
				seen_status = 1;
			} else if (ev[i].id == 2) {
				CHECK_EQ_INT(L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, -1, NULL), 1);
				seen_exit = 1;
			} else if (ev[i].id == 3) {
				k = L.read_arm(ch, out[ASP_OUT_PIPES], text + len, (uint32_t)(sizeof text - 1 - len), 3,
					       ASP_READ_ARM | ASP_READ_WATCHED | ASP_READ_END);
				if (k > 0) {
					len += k;
					armed = 0;
				} else if (k == 0) {
					seen_eof = 1;
				} else {
					CHECK_EQ_INT(k, -EAGAIN); /* a wake-up with nothing to read: armed again */
				}
			} else {
				CHECK(0);
			}
		}
	}
	text[len] = 0;
	CHECK(seen_status && seen_exit && seen_eof);
	CHECK_EQ_STR(text, "hi\nthere\n");
	CHECK_EQ_INT(w.code, 0);
	/* Every fd was closed by the call that was done with it. */
	CHECK_EQ_INT(fcntl(out[ASP_OUT_STATUS], F_GETFD), -1);
	CHECK_EQ_INT(fcntl(out[ASP_OUT_PIDFD], F_GETFD), -1);
	CHECK_EQ_INT(fcntl(out[ASP_OUT_PIPES], F_GETFD), -1);
	/* Still empty: status_take leaves the fd open. */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ_INT(L.status_take(p[0], rec), -EAGAIN);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	/* Without ASP_READ_ARM an empty read arms nothing; without
	 * ASP_READ_END EOF leaves the fd open. */
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, 1, 9, ASP_READ_END), -EAGAIN);
	CHECK_EQ_INT(L.unwatch(p[0]), -ENOENT);
	/* Arming fails (re-arming a watch that does not exist): told apart from read errors. */
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, 1, 9, ASP_READ_ARM | ASP_READ_WATCHED), -(int)(ASP_READ_ARM_FAILED | ENOENT));
	close(p[1]);
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, 1, 9, 0), 0);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	close(p[0]);
	/* spawn_watch: a child that could not be watched (no such channel)
	 * runs, unwatched, and is told apart from a failed spawn. */
	req_sh(&r, "exit 7");
	req_end(&r);
	CHECK_EQ_INT(L.spawn_watch(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, -1, 1, 2), 0);
	free(r.buf);
	CHECK_EQ_INT(out[ASP_OUT_DETAIL], -EINVAL);
	CHECK_EQ_INT(L.unwatch(out[ASP_OUT_STATUS]), -ENOENT);
	CHECK_EQ_INT(L.unwatch(out[ASP_OUT_PIDFD]), -ENOENT);
	while ((k = L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, -1, NULL)) == -EAGAIN)
		wait_readable(out[ASP_OUT_PIDFD], 5000);
	CHECK_EQ_INT(k, 1);
	CHECK_EQ_INT(w.code, 7);
	L.close(out[ASP_OUT_STATUS]);
	/* status_id 0: the pidfd alone is watched; the status pipe is read at
	 * the exit (EOF: the program ran). */
	req_sh(&r, "exit 3");
	req_end(&r);
	CHECK_EQ_INT(L.spawn_watch(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, ch, 0, 11), 0);
	free(r.buf);
	CHECK_EQ_INT(out[ASP_OUT_DETAIL], 0);
	CHECK_EQ_INT(L.unwatch(out[ASP_OUT_STATUS]), -ENOENT);
	n = next_events(chout[0], ev, 16);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT((int)ev[0].id, 11);
	CHECK_EQ_INT(L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, -1, NULL), 1);
	CHECK_EQ_INT(w.code, 3);
	CHECK_EQ_INT(L.status_take(out[ASP_OUT_STATUS], rec), 0);
	/* ASP_READ_FIRED: the watch reported, so EOF closes the fd without
	 * epoll_ctl. Another holder of the pipe (`copy`, as a child spawned
	 * meanwhile) keeps the registration, disabled: nothing more reports,
	 * and the same file on the same number is still registered. */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	k = dup(p[0]);
	CHECK(k >= 0);
	CHECK_EQ_INT(L.watch(ch, p[0], 1, 21), 0);
	close(p[1]);
	n = next_events(chout[0], ev, 16);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT((int)ev[0].id, 21);
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, 1, 21, ASP_READ_END | ASP_READ_WATCHED | ASP_READ_FIRED), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETFD), -1);
	CHECK_EQ_INT(wait_readable(chout[0], 100), 0);
	CHECK_EQ_INT(dup2(k, p[0]), p[0]);
	CHECK_EQ_INT(L.watch(ch, p[0], 1, 22), -EEXIST);
	CHECK_EQ_INT(L.unwatch(p[0]), 0);
	close(p[0]);
	close(k);
	/* watch2: a failing second watch leaves the first unwatched. */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ_INT(L.watch2(ch, p[0], 1, p[0], 2), -EEXIST);
	CHECK_EQ_INT(L.unwatch(p[0]), -ENOENT);
	close(p[0]);
	close(p[1]);
	CHECK_EQ_INT(L.reactor_close(ch), 0);
	close(chout[0]);
}

static void full_notify_pipe_loses_nothing(void)
{
	/* 400 ready fds and a notify pipe shrunk to one page: the reactor must
	 * queue what does not fit and deliver every record, once. */
	enum { N = 400 }; /* 800 fds: under the common 1024 limit */
	int32_t chout[1];
	int ch = L.reactor_open(chout), i, got = 0, fds[N][2];
	static char seen[N];
	struct asp_event ev[64];
	CHECK(ch >= 0);
	fcntl(chout[0], F_SETPIPE_SZ, 4096);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < N; i++) {
		CHECK_EQ_INT(pipe2(fds[i], O_CLOEXEC), 0);
		CHECK_EQ_INT(write(fds[i][1], "x", 1), 1);
		CHECK_EQ_INT(L.watch(ch, fds[i][0], 1, (uint32_t)i), 0);
	}
	usleep(50000); /* let the reactor fill the pipe and queue the rest */
	while (got < N) {
		int n = next_events(chout[0], ev, 64), k;
		if (!n)
			break;
		for (k = 0; k < n; k++) {
			CHECK(ev[k].id < N && !seen[ev[k].id]);
			if (ev[k].id < N)
				seen[ev[k].id] = 1;
			got++;
		}
	}
	CHECK_EQ_INT(got, N);
	for (i = 0; i < N; i++) {
		L.unwatch(fds[i][0]);
		close(fds[i][0]);
		close(fds[i][1]);
	}
	CHECK_EQ_INT(L.reactor_close(ch), 0);
	close(chout[0]);
}

static void reused_channel_gets_no_stale_record(void)
{
	/* A context that goes away without unwatching (a terminated Worker)
	 * leaves its fds registered; the next context given the same channel
	 * number must not receive their records (its ids start at 1 too). */
	int32_t outa[1], outb[1];
	int p[2], cha, chb;
	struct asp_event ev[4];
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	cha = L.reactor_open(outa);
	CHECK(cha >= 0);
	CHECK_EQ_INT(L.watch(cha, p[0], 1, 1), 0);
	CHECK_EQ_INT(L.reactor_close(cha), 0);
	close(outa[0]);
	chb = L.reactor_open(outb);
	CHECK_EQ_INT(chb, cha);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_EQ_INT(wait_readable(outb[0], 200), 0); /* nothing arrives */
	CHECK_EQ_INT(L.read(outb[0], ev, sizeof ev), -EAGAIN);
	/* The new context's own watches still work. */
	CHECK_EQ_INT(L.unwatch(p[0]), 0);
	CHECK_EQ_INT(L.watch(chb, p[0], 1, 1), 0);
	CHECK_EQ_INT(next_events(outb[0], ev, 4), 1);
	CHECK_EQ_INT((int)ev[0].id, 1);
	L.unwatch(p[0]);
	close(p[0]);
	close(p[1]);
	CHECK_EQ_INT(L.reactor_close(chb), 0);
	close(outb[0]);
}

/* A child's exit: reaped, its pidfd closed, its status pipe read and closed
 * in one call (exit_take); then a failed exec's record the same way. */
static void exit_take_reaps_and_reads_status(void)
{
	int32_t chout[1], out[ASP_OUT_MAX];
	struct req r;
	struct asp_event ev[4];
	struct asp_wait_result w;
	struct asp_status_take t = {-99, 0, 0, 0};
	int ch = L.reactor_open(chout), k;
	CHECK(ch >= 0);
	static const int32_t stdin_pipe[][2] = {{ASP_FD_PIPE_READ, 0}, {2, 2}};
	req_sh(&r, "read x; exit 5");
	req_fd_map(&r, stdin_pipe, 2, ASP_FDMAP_CLOSE_OTHERS);
	req_end(&r);
	CHECK_EQ_INT(L.spawn_watch(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, ch, 0, 7), 0);
	free(r.buf);
	/* Still running: nothing is reaped, read or closed. */
	CHECK_EQ_INT(L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, out[ASP_OUT_STATUS], &t), -EAGAIN);
	CHECK_EQ_INT(t.result, -99);
	CHECK(fcntl(out[ASP_OUT_PIDFD], F_GETFD) >= 0 && fcntl(out[ASP_OUT_STATUS], F_GETFD) >= 0);
	close(out[ASP_OUT_PIPES]); /* its stdin: `read x` ends */
	CHECK_EQ_INT(next_events(chout[0], ev, 4), 1);
	CHECK_EQ_INT((int)ev[0].id, 7);
	CHECK_EQ_INT(L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, out[ASP_OUT_STATUS], &t), 1);
	CHECK_EQ_INT(w.code, 5);
	CHECK_EQ_INT(t.result, 0); /* EOF: the program ran */
	CHECK_EQ_INT(fcntl(out[ASP_OUT_PIDFD], F_GETFD), -1);
	CHECK_EQ_INT(fcntl(out[ASP_OUT_STATUS], F_GETFD), -1);
	/* A program that is not there: the record names the exec. */
	req_begin(&r, "/nonexistent/aspawn-test", 0);
	req_arg(&r, "x");
	req_end(&r);
	CHECK_EQ_INT(L.spawn_watch(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, ch, 0, 8), 0);
	free(r.buf);
	CHECK_EQ_INT(next_events(chout[0], ev, 4), 1);
	CHECK_EQ_INT(L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, out[ASP_OUT_STATUS], &t), 1);
	CHECK_EQ_INT(t.result, 1);
	CHECK_EQ_INT(t.err, ENOENT);
	CHECK_EQ_INT(t.step, ASP_STEP_EXEC);
	CHECK_EQ_INT(fcntl(out[ASP_OUT_STATUS], F_GETFD), -1);
	/* No status pipe left to read (status_fd -1): the reap alone. */
	req_sh(&r, "exit 4");
	req_end(&r);
	CHECK_EQ_INT(L.spawn_watch(r.buf, (uint32_t)r.len, out, ASP_OUT_MAX, ch, 0, 9), 0);
	free(r.buf);
	L.close(out[ASP_OUT_STATUS]);
	CHECK_EQ_INT(next_events(chout[0], ev, 4), 1);
	t.result = -99;
	CHECK_EQ_INT(L.exit_take(out[ASP_OUT_PIDFD], out[ASP_OUT_PID], &w, -1, &t), 1);
	CHECK_EQ_INT(w.code, 4);
	CHECK_EQ_INT(t.result, -99);
	k = L.reactor_close(ch);
	CHECK_EQ_INT(k, 0);
	close(chout[0]);
}

/* ASP_READ_MORE: a short read reads once more; EOF there is the bytes |
 * ASP_READ_EOF, and closes (and unwatches) as ASP_READ_END says. */
static void read_more_sees_eof_after_bytes(void)
{
	int32_t chout[1];
	int ch = L.reactor_open(chout), p[2], copy, r;
	struct asp_event ev[4];
	char text[64];
	CHECK(ch >= 0);
	/* Writer still open: the bytes alone, nothing armed, fd open. */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ_INT(write(p[1], "abc", 3), 3);
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, sizeof text, 31, ASP_READ_ARM | ASP_READ_END | ASP_READ_MORE), 3);
	CHECK_EQ_INT(L.unwatch(p[0]), -ENOENT);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	/* A full read reads no more: EOF is the next call's. */
	CHECK_EQ_INT(write(p[1], "de", 2), 2);
	close(p[1]);
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, 2, 31, ASP_READ_END | ASP_READ_MORE), 2);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, sizeof text, 31, ASP_READ_END | ASP_READ_MORE), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETFD), -1);
	/* Watched, and not told it reported (no ASP_READ_FIRED): EOF after the
	 * bytes takes it out of epoll, so the same file on the same number (a
	 * child's copy) can be watched anew. */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	copy = dup(p[0]);
	CHECK(copy >= 0);
	CHECK_EQ_INT(L.watch(ch, p[0], 1, 32), 0);
	CHECK_EQ_INT(write(p[1], "xy", 2), 2);
	close(p[1]);
	CHECK_EQ_INT(next_events(chout[0], ev, 4), 1);
	CHECK_EQ_INT((int)ev[0].id, 32);
	r = L.read_arm(ch, p[0], text, sizeof text, 32, ASP_READ_WATCHED | ASP_READ_END | ASP_READ_MORE);
	CHECK_EQ_INT(r, (int)(2u | ASP_READ_EOF));
	CHECK_EQ_INT(memcmp(text, "xy", 2), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETFD), -1);
	CHECK_EQ_INT(dup2(copy, p[0]), p[0]);
	CHECK_EQ_INT(L.watch(ch, p[0], 1, 34), 0);
	CHECK_EQ_INT(L.unwatch(p[0]), 0);
	close(p[0]);
	close(copy);
	/* A len whose count could read as the flag is refused. */
	CHECK_EQ_INT(L.read_arm(ch, 0, text, ASP_READ_EOF, 33, ASP_READ_MORE), -EINVAL);
	/* Without ASP_READ_END: EOF is told, the fd stays open. */
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ_INT(write(p[1], "z", 1), 1);
	close(p[1]);
	CHECK_EQ_INT(L.read_arm(ch, p[0], text, sizeof text, 33, ASP_READ_MORE), (int)(1u | ASP_READ_EOF));
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	close(p[0]);
	CHECK_EQ_INT(L.reactor_close(ch), 0);
	close(chout[0]);
}

TEST_LIST(reactor_tests) = {
	{"reactor: a reused channel number gets no stale record", reused_channel_gets_no_stale_record},
	{"reactor: status, exit and stdout wake-ups", wakeups},
	{"reactor: a full notify pipe loses nothing", full_notify_pipe_loses_nothing},
	{"reactor: fused calls arm, close and reap in one call", fused_calls},
	{"reactor: exit_take reaps and reads the status pipe in one call", exit_take_reaps_and_reads_status},
	{"reactor: ASP_READ_MORE sees EOF right after the bytes", read_more_sees_eof_after_bytes},
	{0, 0},
};
