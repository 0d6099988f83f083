/* Worker channels: asp_socketpair, asp_send_fds, asp_recv_fds (sock.c). */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int fd_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

static int open_fds(void)
{
	int n = 0, fd;
	for (fd = 0; fd < 1024; fd++)
		n += fd_open(fd);
	return n;
}

static void pair_is_cloexec_stream(void)
{
	int32_t sv[2];
	int type = 0;
	socklen_t len = sizeof type;
	CHECK_EQ_INT(L.socketpair(sv, 0), 0);
	CHECK(sv[0] > 2 && sv[1] > 2 && sv[0] != sv[1]);
	CHECK(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
	CHECK_EQ_INT(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len), 0);
	CHECK_EQ_INT(type, SOCK_STREAM);
	CHECK_EQ_INT(L.write(sv[0], "x", 1), 1);
	char c = 0;
	CHECK_EQ_INT(L.read(sv[1], &c, 1), 1);
	CHECK_EQ_INT(c, 'x');
	close(sv[0]);
	close(sv[1]);
}

/* bufsize 0 leaves the kernel's default buffers (a node:child_process
 * channel: send() says "back off" where Node's does); a size is asked for. */
static void pair_buffer_sizes(void)
{
	int32_t dflt[2], big[2];
	int a = 0, b = 0, plain[2];
	socklen_t len = sizeof a;
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, plain), 0);
	CHECK_EQ_INT(L.socketpair(dflt, 0), 0);
	CHECK_EQ_INT(L.socketpair(big, 1 << 20), 0);
	CHECK_EQ_INT(getsockopt(plain[0], SOL_SOCKET, SO_SNDBUF, &a, &len), 0);
	CHECK_EQ_INT(getsockopt(dflt[0], SOL_SOCKET, SO_SNDBUF, &b, &len), 0);
	CHECK_EQ_INT(b, a);
	CHECK_EQ_INT(getsockopt(big[1], SOL_SOCKET, SO_RCVBUF, &b, &len), 0);
	CHECK(b != a); /* doubled by the kernel, or capped at rmem_max: not the default */
	close(plain[0]);
	close(plain[1]);
	close(dflt[0]);
	close(dflt[1]);
	close(big[0]);
	close(big[1]);
}

/* Stdio closed: the pair still avoids 0-2. */
static void pair_avoids_stdio(void)
{
	int saved = dup(0), r;
	int32_t sv[2];
	close(0);
	r = L.socketpair(sv, 0);
	dup2(saved, 0);
	close(saved);
	CHECK_EQ_INT(r, 0);
	CHECK(sv[0] > 2 && sv[1] > 2);
	close(sv[0]);
	close(sv[1]);
}

static void passes_fds(void)
{
	int32_t sv[2], got[4], n = -1;
	int p[2];
	char buf[16] = {0};
	struct stat a, b;
	CHECK_EQ_INT(L.socketpair(sv, 0), 0);
	CHECK_EQ_INT(pipe(p), 0);
	int32_t fds[2] = {p[0], p[1]};
	CHECK_EQ_INT(L.send_fds(sv[0], "hello", 5, fds, 2), 5);
	CHECK_EQ_INT(L.recv_fds(sv[1], buf, sizeof buf, got, 4, &n), 5);
	CHECK_EQ_INT(memcmp(buf, "hello", 5), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		/* The same pipe, new fds, close-on-exec. */
		CHECK(got[0] != p[0] && got[1] != p[1]);
		fstat(got[1], &a);
		fstat(p[1], &b);
		CHECK(a.st_ino == b.st_ino);
		CHECK(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
		CHECK_EQ_INT(write(got[1], "z", 1), 1);
		CHECK_EQ_INT(read(p[0], buf, 1), 1);
		CHECK_EQ_INT(buf[0], 'z');
		close(got[0]);
		close(got[1]);
	}
	/* Without fds: plain bytes, no fds reported. */
	CHECK_EQ_INT(L.send_fds(sv[1], "ab", 2, fds, 0), 2);
	CHECK_EQ_INT(L.recv_fds(sv[0], buf, sizeof buf, got, 4, &n), 2);
	CHECK_EQ_INT(n, 0);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Sends one byte with n fds of /dev/null (ours closed after). */
static void send_devnull(int sock, uint32_t n)
{
	int32_t fds[8];
	uint32_t i;
	for (i = 0; i < n; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_EQ_INT(L.send_fds(sock, "x", 1, fds, n), 1);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* More fds than the receiver has room for: all closed, an error, no leak. */
static void truncated_fds_closed(void)
{
	int32_t sv[2], got[2], n = -1;
	char buf[8];
	int before;
	CHECK_EQ_INT(L.socketpair(sv, 0), 0);
	send_devnull(sv[0], 3);
	before = open_fds();
	CHECK_EQ_INT(L.recv_fds(sv[1], buf, sizeof buf, got, 2, &n), -EMSGSIZE);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(open_fds(), before);
	/* None wanted at all: the kernel drops them, still an error. */
	send_devnull(sv[0], 1);
	before = open_fds();
	CHECK_EQ_INT(L.recv_fds(sv[1], buf, sizeof buf, got, 0, &n), -EMSGSIZE);
	CHECK_EQ_INT(open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

static void errors(void)
{
	int32_t sv[2], n = -1, fds[1] = {0}, got[1];
	char buf[4];
	void (*old)(int) = signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test */
	CHECK_EQ_INT(L.socketpair(sv, 0), 0);
	CHECK_EQ_INT(L.send_fds(sv[0], "x", 0, fds, 0), -EINVAL);
	CHECK_EQ_INT(L.send_fds(sv[0], "x", 1, fds, 254), -EINVAL);
	CHECK_EQ_INT(L.send_fds(-1, "x", 1, fds, 0), -EBADF);
	CHECK_EQ_INT(L.send_fds(sv[0], "x", 1, (int32_t[]){9999}, 1), -EBADF);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	CHECK_EQ_INT(L.recv_fds(sv[1], buf, sizeof buf, got, 1, &n), -EAGAIN);
	close(sv[1]);
	CHECK_EQ_INT(L.send_fds(sv[0], "x", 1, fds, 0), -EPIPE);
	close(sv[0]);
	CHECK_EQ_INT(L.socketpair(sv, 0), 0);
	close(sv[0]);
	CHECK_EQ_INT(L.recv_fds(sv[1], buf, sizeof buf, got, 1, &n), 0); /* EOF */
	close(sv[1]);
	signal(SIGPIPE, old);
}

/* A non-blocking listening socket on 127.0.0.1 (an ephemeral port, written to *port). */
static int loopback_listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof *addr;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ_INT(bind(s, (struct sockaddr *)addr, sizeof *addr), 0);
	CHECK_EQ_INT(listen(s, 8), 0);
	CHECK_EQ_INT(getsockname(s, (struct sockaddr *)addr, &len), 0);
	return s;
}

/* asp_accept once the connection is queued: connect() can return before the
 * listener's side of the handshake is done (seen in the arm64 VM), and then
 * accept says EAGAIN. */
static int accept_queued(int s)
{
	CHECK_EQ_INT(wait_readable(s, 10000), 1);
	return L.accept(s);
}

/* asp_accept: a pending connection as a close-on-exec, non-blocking fd; EAGAIN when none. */
static void accepts(void)
{
	struct sockaddr_in addr;
	int s = loopback_listener(&addr), c, a;
	char buf[4] = {0};
	CHECK_EQ_INT(L.accept(s), -EAGAIN);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&addr, sizeof addr), 0);
	a = accept_queued(s);
	CHECK(a > 2);
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(a, F_GETFL) & O_NONBLOCK);
	/* The connection itself: bytes both ways (each read waits: loopback
	 * delivery may finish on another CPU after write returns). */
	CHECK_EQ_INT(write(c, "ping", 4), 4);
	CHECK_EQ_INT(wait_readable(a, 10000), 1);
	CHECK_EQ_INT(read(a, buf, 4), 4);
	CHECK_EQ_INT(memcmp(buf, "ping", 4), 0);
	CHECK_EQ_INT(write(a, "pong", 4), 4);
	CHECK_EQ_INT(wait_readable(c, 10000), 1);
	CHECK_EQ_INT(read(c, buf, 4), 4);
	CHECK_EQ_INT(memcmp(buf, "pong", 4), 0);
	/* Nothing read ahead of it: an empty non-blocking socket. */
	CHECK_EQ_INT(read(a, buf, 1), -1);
	CHECK_EQ_INT(errno, EAGAIN);
	/* Taken: no second connection pending. */
	CHECK_EQ_INT(L.accept(s), -EAGAIN);
	close(a);
	close(c);
	close(s);
}

/* Stdio closed: an accepted connection avoids 0-2 too, still close-on-exec and non-blocking. */
static void accept_avoids_stdio(void)
{
	struct sockaddr_in addr;
	int s = loopback_listener(&addr), c, a, saved = dup(0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(connect(c, (struct sockaddr *)&addr, sizeof addr), 0);
	CHECK_EQ_INT(wait_readable(s, 10000), 1);
	close(0);
	a = L.accept(s);
	dup2(saved, 0);
	close(saved);
	CHECK(a > 2);
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(a, F_GETFL) & O_NONBLOCK);
	close(a);
	close(c);
	close(s);
}

/* Not a listening socket: the kernel's errno, negated; nothing opened. */
static void accept_errors(void)
{
	int32_t sv[2];
	int p[2], before, s;
	CHECK_EQ_INT(L.accept(-1), -EBADF);
	CHECK_EQ_INT(L.accept(1000000), -EBADF);
	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	before = open_fds();
	CHECK_EQ_INT(L.accept(p[0]), -ENOTSOCK);
	CHECK_EQ_INT(L.socketpair(sv, 0), 0);
	CHECK_EQ_INT(L.accept(sv[0]), -EINVAL); /* connected, not listening */
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ_INT(L.accept(s), -EINVAL); /* never listened */
	close(s);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ_INT(open_fds(), before);
	close(p[0]);
	close(p[1]);
}

TEST_LIST(sock_tests) = {
	{"sock: socketpair is a close-on-exec stream pair", pair_is_cloexec_stream},
	{"sock: socketpair's buffers: the kernel's defaults, or the size asked for", pair_buffer_sizes},
	{"sock: socketpair never returns fds 0-2", pair_avoids_stdio},
	{"sock: fds pass with bytes, close-on-exec", passes_fds},
	{"sock: more fds than room: all closed, EMSGSIZE", truncated_fds_closed,
	 "qemu-user copies control messages through a buffer of its own: MSG_CTRUNC never reaches us"},
	{"sock: bad arguments, EAGAIN, EPIPE without SIGPIPE, EOF", errors},
	{"sock: accept gives a close-on-exec non-blocking connection; EAGAIN when none", accepts},
	{"sock: accept never returns fds 0-2", accept_avoids_stdio},
	{"sock: accept on a bad fd, a pipe, a socket not listening: errno, no fd", accept_errors},
	{0, 0},
};
