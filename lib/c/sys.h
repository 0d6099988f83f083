/*
 * Raw syscall wrappers. Every one returns the kernel's result: >= 0 on
 * success, -errno on failure. No libc, no errno: these are safe in the
 * CLONE_VM child, which shares the parent's memory and TLS.
 */
#ifndef ASP_SYS_H
#define ASP_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>

#if defined(__x86_64__)
#include "arch/x86_64.h"
#elif defined(__aarch64__)
#include "arch/aarch64.h"
#else
#error "aspawn supports x86_64 and aarch64 only"
#endif

#define ASP_HIDDEN __attribute__((visibility("hidden")))
#define ASP_EXPORT __attribute__((visibility("default")))

#define SC0(n) asp_syscall6((n), 0, 0, 0, 0, 0, 0)
#define SC1(n, a) asp_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define SC2(n, a, b) asp_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SC3(n, a, b, c) asp_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SC4(n, a, b, c, d) asp_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SC5(n, a, b, c, d, e) asp_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define SC6(n, a, b, c, d, e, f) \
	asp_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Numbers missing from older UAPI headers; identical on both arches. */
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* Kernel ABI values we use (UAPI headers would clash with libc's). */
#define ASP_CLONE_VM 0x00000100ul
#define ASP_CLONE_FILES 0x00000400ul
#define ASP_CLOSE_RANGE_UNSHARE 2u
#define ASP_CLONE_VFORK 0x00004000ul
#define ASP_CLONE_PIDFD 0x00001000ul
#define ASP_CLONE_CHILD_CLEARTID 0x00200000ul
#define ASP_CLONE_CLEAR_SIGHAND 0x100000000ull
#define ASP_CLONE_INTO_CGROUP 0x200000000ull
#define ASP_SIGCHLD 17
#define ASP_SIGKILL 9
#define ASP_SIGPIPE 13
#define ASP_SIGSTOP 19
#define ASP_SIGCONT 18
/* SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: a SIGCONT after one undoes it. */
#define ASP_STOP_SIGNAL(sig) ((sig) >= ASP_SIGSTOP && (sig) <= 22)
#define ASP_NSIG 64
#define ASP_KSIGSET_SIZE 8 /* the kernel's sigset_t: 64 signals */

#define ASP_O_RDONLY 0
#define ASP_O_WRONLY 1
#define ASP_O_RDWR 2
#define ASP_O_NONBLOCK 04000
#define ASP_O_CLOEXEC 02000000
#define ASP_O_CREAT 0100 /* these four: the same on x86_64 and aarch64 */
#define ASP_O_NOCTTY 0400
#define ASP_O_TRUNC 01000
#define ASP_O_APPEND 02000
#define ASP_AF_UNIX 1
#define ASP_SOCK_STREAM 1 /* | O_CLOEXEC, O_NONBLOCK as SOCK_CLOEXEC, SOCK_NONBLOCK */
#define ASP_AT_FDCWD (-100)
#define ASP_PATH_MAX 4096
#define ASP_NAME_MAX 255
#define ASP_F_DUPFD_CLOEXEC 1030
#define ASP_F_GETFD 1
#define ASP_F_SETFD 2
#define ASP_F_SETFL 4
#define ASP_F_GETFL 3
#define ASP_F_SETPIPE_SZ 1031
#define ASP_TIOCSCTTY 0x540E

#define ASP_PR_SET_PDEATHSIG 1
#define ASP_PR_GET_DUMPABLE 3
#define ASP_PR_SET_DUMPABLE 4
#define ASP_PR_SET_NO_NEW_PRIVS 38
#define ASP_SECCOMP_SET_MODE_FILTER 1
#define ASP_RLIMIT_CORE 4
#define ASP_RLIMIT_NOFILE 7
#define ASP_PRIO_PROCESS 0
#define ASP_SIG_BLOCK 0
#define ASP_SIG_SETMASK 2
#define ASP_SIG_DFL 0
/* siginfo_t as waitid fills it: its size and the fields we read. */
#define ASP_SIGINFO_SIZE 128
#define ASP_SI_CODE 8
#define ASP_SI_PID 16
#define ASP_SI_STATUS 24
#define ASP_P_PID 1
#define ASP_P_PIDFD 3
#define ASP_WEXITED 4
#define ASP_WNOHANG 1

#define ASP_EPERM 1
#define ASP_ENOENT 2
#define ASP_ESRCH 3
#define ASP_EINTR 4
#define ASP_EBADF 9
#define ASP_EBUSY 16
#define ASP_EAGAIN 11
#define ASP_ENOMEM 12
#define ASP_EACCES 13
#define ASP_EFAULT 14
#define ASP_ENOTDIR 20
#define ASP_EINVAL 22
#define ASP_EMFILE 24
#define ASP_ENFILE 23
#define ASP_E2BIG 7
#define ASP_ENOEXEC 8
#define ASP_ENOSYS 38
#define ASP_ENAMETOOLONG 36
#define ASP_ESTALE 116
#define ASP_ELOOP 40
#define ASP_ENODEV 19
#define ASP_ETIMEDOUT 110
#define ASP_EOPNOTSUPP 95
#define ASP_EPIPE 32
#define ASP_EIO 5
#define ASP_ECHILD 10

struct asp_rlimit64 {
	uint64_t cur;
	uint64_t max;
};

/* The kernel's struct sigaction layout for rt_sigaction (not libc's). */
struct asp_ksigaction {
	unsigned long handler;
	unsigned long flags;
	unsigned long restorer;
	uint64_t mask;
};

struct asp_sock_fprog {
	unsigned short len;
	const void *filter;
};

/* struct clone_args, CLONE_ARGS_SIZE_VER2 (88 bytes, Linux 5.7). */
struct asp_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

static inline long sys_read(int fd, void *buf, size_t n) { return SC3(__NR_read, fd, buf, n); }
static inline long sys_write(int fd, const void *buf, size_t n) { return SC3(__NR_write, fd, buf, n); }
/* iov: struct iovec layout ({base, len}); the environment copy (environ.c). */
static inline long sys_writev(int fd, const void *iov, unsigned n) { return SC3(__NR_writev, fd, iov, n); }
static inline long sys_process_vm_readv(int pid, const void *local, unsigned long nl, const void *remote,
					unsigned long nr)
{
	return SC6(__NR_process_vm_readv, pid, local, nl, remote, nr, 0);
}
static inline long sys_close(int fd) { return SC1(__NR_close, fd); }
static inline long sys_dup3(int from, int to, int flags) { return SC3(__NR_dup3, from, to, flags); }
static inline long sys_fcntl(int fd, int cmd, long arg) { return SC3(__NR_fcntl, fd, cmd, arg); }
static inline long sys_ioctl(int fd, unsigned long req, void *arg) { return SC3(__NR_ioctl, fd, req, arg); }
#define ASP_FIONREAD 0x541Bul
static inline long sys_openat(int dirfd, const char *path, int flags, int mode)
{
	return SC4(__NR_openat, dirfd, path, flags, mode);
}
static inline long sys_pipe2(int fds[2], int flags) { return SC2(__NR_pipe2, fds, flags); }
static inline long sys_socketpair(int domain, int type, int proto, int fds[2])
{
	return SC4(__NR_socketpair, domain, type, proto, fds);
}
static inline long sys_shutdown(int fd, int how) { return SC2(__NR_shutdown, fd, how); }
static inline long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	return SC3(__NR_close_range, first, last, flags);
}
static inline long sys_chdir(const char *path) { return SC1(__NR_chdir, path); }
static inline long sys_setsid(void) { return SC0(__NR_setsid); }
static inline long sys_setpgid(int pid, int pgid) { return SC2(__NR_setpgid, pid, pgid); }
static inline long sys_setgroups(size_t n, const uint32_t *gids) { return SC2(__NR_setgroups, n, gids); }
static inline long sys_setresgid(uint32_t r, uint32_t e, uint32_t s) { return SC3(__NR_setresgid, r, e, s); }
static inline long sys_setresuid(uint32_t r, uint32_t e, uint32_t s) { return SC3(__NR_setresuid, r, e, s); }
static inline long sys_umask(unsigned mask) { return SC1(__NR_umask, mask); }
static inline long sys_setpriority(int which, int who, int prio) { return SC3(__NR_setpriority, which, who, prio); }
static inline long sys_prlimit64(int pid, int res, const struct asp_rlimit64 *nw, struct asp_rlimit64 *old)
{
	return SC4(__NR_prlimit64, pid, res, nw, old);
}
static inline long sys_prctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
	return SC5(__NR_prctl, op, a, b, c, d);
}
static inline long sys_getpid(void) { return SC0(__NR_getpid); }
static inline long sys_getppid(void) { return SC0(__NR_getppid); }
static inline long sys_geteuid(void) { return SC0(__NR_geteuid); }
static inline long sys_gettid(void) { return SC0(__NR_gettid); }
static inline long sys_tgkill(int tgid, int tid, int sig) { return SC3(__NR_tgkill, tgid, tid, sig); }
/* Which file an fd refers to: device and inode (st_dev and st_ino of
 * struct stat on both arches), so a number someone else's code closed and
 * reopened is told from ours (a pipe's inode number alone may equal a disk
 * file's; pipefs has a device of its own). */
struct asp_file_id {
	uint64_t dev, ino;
};
static inline long sys_fd_id(int fd, struct asp_file_id *id)
{
	uint64_t st[32];
	long r = SC2(__NR_fstat, fd, st);
	if (r == 0) {
		id->dev = st[0];
		id->ino = st[1];
	}
	return r;
}
static inline int asp_same_file(int fd, const struct asp_file_id *id)
{
	struct asp_file_id now;
	return sys_fd_id(fd, &now) == 0 && now.dev == id->dev && now.ino == id->ino;
}
static inline long sys_kill(int pid, int sig) { return SC2(__NR_kill, pid, sig); }
static inline long sys_rt_sigaction(int sig, const struct asp_ksigaction *act, struct asp_ksigaction *old)
{
	return SC4(__NR_rt_sigaction, sig, act, old, ASP_KSIGSET_SIZE);
}
static inline long sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return SC4(__NR_rt_sigprocmask, how, set, old, ASP_KSIGSET_SIZE);
}
static inline long sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return SC3(__NR_execve, path, argv, envp);
}
static inline __attribute__((noreturn)) void sys_exit_group(int code)
{
	for (;;)
		SC1(__NR_exit_group, code);
}
static inline long sys_seccomp(unsigned op, unsigned flags, const void *arg)
{
	return SC3(__NR_seccomp, op, flags, arg);
}
static inline long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return SC6(__NR_mmap, addr, len, prot, flags, fd, off);
}
static inline long sys_munmap(void *addr, size_t len) { return SC2(__NR_munmap, addr, len); }
static inline long sys_mprotect(void *addr, size_t len, int prot) { return SC3(__NR_mprotect, addr, len, prot); }
static inline long sys_pidfd_open(int pid, unsigned flags) { return SC2(__NR_pidfd_open, pid, flags); }
static inline long sys_pidfd_send_signal(int pidfd, int sig, void *info, unsigned flags)
{
	return SC4(__NR_pidfd_send_signal, pidfd, sig, info, flags);
}
static inline long sys_getdents64(int fd, void *buf, size_t n) { return SC3(__NR_getdents64, fd, buf, n); }
#define ASP_CLOCK_MONOTONIC 1
struct asp_timespec {
	long sec, nsec;
};
static inline long sys_clock_gettime(int clock, struct asp_timespec *ts) { return SC2(__NR_clock_gettime, clock, ts); }
static inline long sys_clock_nanosleep(int clock, int flags, const struct asp_timespec *ts, struct asp_timespec *rem)
{
	return SC4(__NR_clock_nanosleep, clock, flags, ts, rem);
}
static inline long sys_waitid(int which, int id, void *info, int options, void *rusage)
{
	return SC5(__NR_waitid, which, id, info, options, rusage);
}
static inline long sys_fstatfs(int fd, void *buf) { return SC2(__NR_fstatfs, fd, buf); }
static inline long sys_unshare(unsigned long flags) { return SC1(__NR_unshare, flags); }
static inline long sys_eventfd2(unsigned initval, int flags) { return SC2(__NR_eventfd2, initval, flags); }
static inline long sys_epoll_create1(int flags) { return SC1(__NR_epoll_create1, flags); }
static inline long sys_epoll_ctl(int epfd, int op, int fd, void *ev) { return SC4(__NR_epoll_ctl, epfd, op, fd, ev); }
/* struct pollfd, and the poll bits (both arches). */
struct asp_pollfd {
	int fd;
	short events, revents;
};
#define ASP_POLLIN 0x1
#define ASP_POLLOUT 0x4
#define ASP_POLLERR 0x8
#define ASP_POLLHUP 0x10
#define ASP_POLLNVAL 0x20
static inline long sys_ppoll(struct asp_pollfd *fds, unsigned n, const struct asp_timespec *ts, const uint64_t *mask)
{
	return SC5(__NR_ppoll, fds, n, ts, mask, ASP_KSIGSET_SIZE);
}
static inline long sys_rt_sigpending(uint64_t *set) { return SC2(__NR_rt_sigpending, set, ASP_KSIGSET_SIZE); }
static inline long sys_rt_sigtimedwait(const uint64_t *set, const struct asp_timespec *ts)
{
	return SC4(__NR_rt_sigtimedwait, set, 0, ts, ASP_KSIGSET_SIZE);
}
static inline long sys_epoll_pwait(int epfd, void *evs, int n, int timeout)
{
	return SC6(__NR_epoll_pwait, epfd, evs, n, timeout, 0, ASP_KSIGSET_SIZE);
}

#endif
