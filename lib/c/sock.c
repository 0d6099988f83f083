/*
 * The socket of a worker's channel and file descriptors passed over it
 * (SCM_RIGHTS): no runtime exposes sendmsg/recvmsg, so the worker protocol
 * (src/worker) does every read and write of its socket here. Parent-side
 * code: libc allowed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "internal.h"

/* The kernel accepts at most SCM_MAX_FD (253) fds in one message. */
#define MAX_FDS 253
ASP_EXPORT int asp_socketpair(int32_t *out, int32_t bufsize)
{
	int sv[2];
	long a, b;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Never 0-2, like every fd the library makes: a process with closed
	 * stdio would otherwise get its channel as "stdin". */
	a = asp_fd_high(sv[0]);
	b = asp_fd_high(sv[1]);
	if (a < 0 || b < 0) {
		if (a >= 0)
			close((int)a);
		if (b >= 0)
			close((int)b);
		return (int)(a < 0 ? a : b);
	}
	/* The kernel caps the size at net.core.wmem_max/rmem_max; failure is
	 * harmless (the default sizes stay). */
	if (bufsize > 0) {
		int size = bufsize;
		setsockopt((int)a, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		setsockopt((int)b, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		setsockopt((int)a, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		setsockopt((int)b, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	}
	out[0] = (int32_t)a;
	out[1] = (int32_t)b;
	return 0;
}

/*
 * Sends len bytes of buf (len > 0) with nfds fds attached to the first
 * byte. Returns the bytes sent (a stream socket may take fewer: the fds went
 * with them, the rest is sent without fds), or -errno (-EAGAIN: nothing was
 * sent, fds included). Never raises SIGPIPE: a gone peer is -EPIPE.
 */
ASP_EXPORT int asp_send_fds(int sock, const void *buf, uint32_t len, const int32_t *fds, uint32_t nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	if (len == 0 || len > 0x7fffffffu || nfds > MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;
		memset(&control, 0, sizeof control);
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

/* The fds of every SCM_RIGHTS message in msg: the first maxfds into fds,
 * the rest closed (maxfds 0: all closed). Returns how many were kept. */
static uint32_t take_fds(struct msghdr *msg, int32_t *fds, uint32_t maxfds)
{
	struct cmsghdr *c;
	uint32_t got = 0;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t i, k;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (got < maxfds)
				fds[got++] = fd;
			else
				close(fd); /* never leak */
		}
	}
	return got;
}

/*
 * Reads up to len bytes; the fds that came with them (close-on-exec) go to
 * fds, their count to *nfds_out. Returns the bytes read (0 at EOF) or
 * -errno. More fds than maxfds (the control message was truncated): every
 * fd that did arrive is closed and the result is -EMSGSIZE, the bytes being
 * lost with them; a protocol never sends that many.
 */
ASP_EXPORT int asp_recv_fds(int sock, void *buf, uint32_t len, int32_t *fds, uint32_t maxfds, int32_t *nfds_out)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	uint32_t got;
	if (len == 0 || len > 0x7fffffffu)
		return -EINVAL;
	if (maxfds > MAX_FDS)
		maxfds = MAX_FDS;
	*nfds_out = 0;
	msg.msg_control = control.buf;
	/* Room for maxfds only: more is MSG_CTRUNC. */
	msg.msg_controllen = maxfds ? CMSG_SPACE(maxfds * sizeof(int)) : 0;
	if (!maxfds)
		msg.msg_control = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_CTRUNC) {
		take_fds(&msg, fds, 0);
		return -EMSGSIZE;
	}
	got = take_fds(&msg, fds, maxfds);
	*nfds_out = (int32_t)got;
	return (int)n;
}

ASP_EXPORT int asp_accept(int sock)
{
	int fd;
	long high;
	do
		fd = accept4(sock, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	high = asp_fd_high(fd);
	return (int)high;
}
