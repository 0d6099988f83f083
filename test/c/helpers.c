#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>


void req_sh(struct req *r, const char *script)
{
	req_begin(r, "/bin/sh", 0);
	req_arg(r, "sh");
	req_arg(r, "-c");
	req_arg(r, script);
	req_env(r, "PATH=/usr/local/bin:/usr/bin:/bin");
}

int seccomp_install(const void *f, unsigned short count)
{
	struct sock_fprog prog = {count, (struct sock_filter *)f};
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

struct stopping {
	const struct req *r;
	int32_t *out;
	int err;
};

static void *spawn_and_stop(void *arg)
{
	struct stopping *s = arg;
	struct sched_param sp = {.sched_priority = 1};
	s->err = -pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (s->err)
		return 0;
	s->err = L.spawn(s->r->buf, (uint32_t)s->r->len, s->out, ASP_OUT_MAX);
	if (s->err == 0)
		kill(s->out[ASP_OUT_PID], SIGSTOP);
	return 0;
}

int spawn_stopped(const struct req *r, int32_t *out)
{
	struct stopping s = {r, out, 0};
	cpu_set_t one, all;
	pthread_t t;
	if (sched_getaffinity(0, sizeof all, &all) < 0)
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof one, &one) < 0)
		return -errno;
	if (pthread_create(&t, 0, spawn_and_stop, &s) != 0)
		s.err = -EAGAIN;
	else
		pthread_join(t, 0);
	sched_setaffinity(0, sizeof all, &all);
	return s.err;
}

void req_seccomp_errno(struct req *r, uint32_t nr, int err)
{
	const uint32_t arch = TEST_AUDIT_ARCH;
	struct { uint32_t count, pad; struct filter f[7]; } p = {7, 0, {
		{BPF_LD_W_ABS, 0, 0, 4},
		{BPF_JEQ_K, 1, 0, arch},
		{BPF_RET_K, 0, 0, 0x7fff0000u},
		{BPF_LD_W_ABS, 0, 0, 0},
		{BPF_JEQ_K, 0, 1, nr},
		{BPF_RET_K, 0, 0, 0x00050000u | (uint32_t)err},
		{BPF_RET_K, 0, 0, 0x7fff0000u},
	}};
	req_step(r, ASP_OP_NO_NEW_PRIVS, 0, 0);
	req_step(r, ASP_OP_SECCOMP, &p, sizeof p);
}

void req_open(struct req *r, int32_t fd, uint32_t flags, uint32_t mode, const char *path)
{
	struct req p = {0};
	req_put(&p, &fd, 4);
	req_u32(&p, flags);
	req_u32(&p, mode);
	req_string_raw(&p, path, strlen(path));
	req_step(r, ASP_OP_OPEN, p.buf, (uint32_t)p.len);
	free(p.buf);
}

void req_death_signal(struct req *r)
{
	req_step_u32(r, ASP_OP_PDEATHSIG, SIGKILL);
}

void req_capture(struct req *r)
{
	static const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}};
	req_fd_map(r, map, 3, ASP_FDMAP_CLOSE_OTHERS);
}

int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int n;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

void run_req(struct req *r, struct run_result *res)
{
	int n;
	memset(res, 0, sizeof *res);
	req_end(r);
	res->err = L.spawn(r->buf, (uint32_t)r->len, res->out, ASP_OUT_MAX);
	free(r->buf);
	r->buf = 0;
	if (res->err < 0)
		return;
	/* Captured stdout, if the request made a pipe. */
	if (res->out[ASP_OUT_PIPES] > 0) {
		int fd = res->out[ASP_OUT_PIPES];
		for (;;) {
			n = L.read(fd, res->text + res->text_len, sizeof res->text - 1 - res->text_len);
			if (n == -EAGAIN) {
				wait_readable(fd, 10000);
				continue;
			}
			if (n <= 0)
				break;
			res->text_len += (size_t)n;
			if (res->text_len == sizeof res->text - 1)
				break;
		}
		L.close(fd);
	}
	res->text[res->text_len] = 0;
	for (;;) {
		n = L.status_read(res->out[ASP_OUT_STATUS], res->rec);
		if (n != -EAGAIN)
			break;
		wait_readable(res->out[ASP_OUT_STATUS], 10000);
	}
	res->record = n == 1;
	L.close(res->out[ASP_OUT_STATUS]);
	for (;;) {
		n = L.wait(res->out[ASP_OUT_PIDFD], res->out[ASP_OUT_PID], &res->w);
		if (n != -EAGAIN)
			break;
		if (res->out[ASP_OUT_PIDFD] >= 0)
			wait_readable(res->out[ASP_OUT_PIDFD], 10000);
		else
			usleep(1000);
	}
	if (res->out[ASP_OUT_PIDFD] >= 0)
		L.close(res->out[ASP_OUT_PIDFD]);
}

void run_sh(const char *script, void (*steps)(struct req *), struct run_result *res)
{
	struct req r;
	req_sh(&r, script);
	req_capture(&r);
	if (steps)
		steps(&r);
	run_req(&r, res);
}

int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	return n;
}

/* Value of "Key:\t..." in a /proc status text, trimmed. */
const char *proc_field(const char *text, const char *key, char *buf, size_t n)
{
	const char *p = strstr(text, key);
	size_t i = 0;
	buf[0] = 0;
	if (!p)
		return buf;
	p += strlen(key);
	while (*p == ':' || *p == '\t' || *p == ' ')
		p++;
	while (*p && *p != '\n' && i + 1 < n)
		buf[i++] = *p++;
	buf[i] = 0;
	return buf;
}
