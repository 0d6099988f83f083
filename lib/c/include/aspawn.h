/*
 * libaspawn: the public C ABI. TypeScript mirrors it in src/ffi: symbols.ts
 * the exported functions, abi.ts every constant and record layout below
 * (test/cases/abi.test.ts parses this file and fails when they differ), and
 * request.ts encodes requests in the format below.
 *
 * All functions return >= 0 on success and -errno on failure; none touches
 * errno. Integers are host-endian (both supported arches are little-endian).
 */
#ifndef ASPAWN_H
#define ASPAWN_H

#include <stdint.h>

#define ASP_ABI_VERSION 2 /* 2: ASP_REQ_SH_FALLBACK */

/* ---- Request encoding (header.version = ASP_ABI_VERSION) ----------------
 *
 *   header   struct asp_req_header (32 bytes)
 *   strings  file, argv[argc], envp[envc]; each: u32 len, len bytes, NUL,
 *            zero padding to a multiple of 4
 *   steps    at header.steps_offset; each: u32 op, u32 size (payload bytes,
 *            a multiple of 4), payload
 *
 * Steps run in order in the child between clone and execve; TypeScript
 * orders them (credentials before the death signal, seccomp last).
 */
#define ASP_REQ_MAGIC 0x4e505341u /* "ASPN" */
#define ASP_REQ_MAX_SIZE (64u << 20) /* larger requests fail with E2BIG */
#define ASP_REQ_MAX_FDS 4096u
#define ASP_REQ_MAX_FD (1u << 20) /* fd numbers in an FD_MAP are below it */
#define ASP_REQ_MAX_GROUPS 65536u /* SETGROUPS ids (NGROUPS_MAX) */
#define ASP_REQ_MAX_FILTERS 4096u /* SECCOMP filters (BPF_MAXINSNS) */

/* header.flags */
#define ASP_REQ_SEARCH_PATH 0x1u /* file has no '/': search the envp's PATH */
/* The environment is the parent's `environ` at the time of the call, with
 * the request's env strings applied on top: "NAME=value" sets, "NAME"
 * (no '=') removes. Without it the env strings are the whole environment.
 * Other threads may change the environment meanwhile (setenv, unsetenv,
 * putenv, clearenv): the copy never faults and holds each variable as it
 * was before or after each change (environ.c). A name set twice is passed
 * once. While another thread keeps reallocating the array (512 attempts
 * over 200 ms, or 2 s), asp_spawn fails with EAGAIN. */
#define ASP_REQ_INHERIT_ENV 0x2u
/* A file execve refuses with ENOEXEC (a script without "#!") is run by
 * /bin/sh instead, with argv {"/bin/sh", path, argv[1]...}, as glibc's
 * execvp does (node:child_process relies on it). */
#define ASP_REQ_SH_FALLBACK 0x4u

struct asp_req_header {
	uint32_t magic;
	uint32_t version;
	uint32_t size; /* total bytes, header included */
	uint32_t flags;
	uint32_t argc;
	uint32_t envc;
	uint32_t steps_offset; /* from the start of the request */
	uint32_t nsteps;
};

enum asp_op {
	ASP_OP_FD_MAP = 1,     /* u32 count, u32 flags, {i32 src, i32 dst}[count] */
	ASP_OP_CHDIR = 2,      /* string */
	ASP_OP_SETSID = 3,     /* - */
	ASP_OP_SETPGID = 4,    /* i32 pgid (0: own group) */
	ASP_OP_SETGROUPS = 5,  /* u32 count, u32 gid[count] */
	ASP_OP_SETGID = 6,     /* u32 gid */
	ASP_OP_SETUID = 7,     /* u32 uid */
	ASP_OP_UMASK = 8,      /* u32 mask */
	ASP_OP_NICE = 9,       /* i32 nice */
	ASP_OP_RLIMIT = 10,    /* u32 resource, u32 0, u64 soft, u64 hard */
	ASP_OP_PDEATHSIG = 11, /* u32 signal */
	ASP_OP_NO_NEW_PRIVS = 12, /* - */
	ASP_OP_SECCOMP = 13,   /* u32 count, u32 0, struct sock_filter[count] */
	ASP_OP_SIGMASK = 14,   /* u64 mask (bit n-1 = signal n), applied last */
	ASP_OP_CGROUP = 15,    /* i32 fd (set by asp_spawn), string path */
	ASP_OP_CLEAR_GROUPS = 16, /* - : setgroups(0) when root (euid 0), else nothing */
	ASP_OP_OPEN = 17,      /* i32 fd, u32 flags (ASP_OPEN_*), u32 mode, string path */
	ASP_OP_DUP = 18,       /* i32 src, i32 dst: the child's own fd src onto dst */
	ASP_OP_CTTY = 19,      /* i32 fd: that terminal becomes the controlling one (a session leader's) */
	ASP_OP_MAX = 19
};

/* FD_MAP: src values below 0 ask asp_spawn for a new resource. */
#define ASP_FD_DEVNULL (-1)   /* the child opens /dev/null read-write */
#define ASP_FD_PIPE_READ (-2) /* a pipe; the child reads (e.g. stdin) */
#define ASP_FD_PIPE_WRITE (-3) /* a pipe; the child writes (e.g. stdout) */
#define ASP_FD_SOCKETPAIR (-4) /* a socketpair (AF_UNIX stream); both sides read and write */
#define ASP_FDMAP_CLOSE_OTHERS 0x1u /* close every fd not mapped */

/* OPEN: the child opens path (relative to its working directory at that
 * step, with its credentials then) onto fd, O_NOCTTY. Without WRITE:
 * O_RDONLY. WRITE: O_WRONLY|O_CREAT and O_TRUNC, or O_APPEND with APPEND;
 * mode (at most 07777) is masked by the child's umask. */
#define ASP_OPEN_WRITE 0x1u
#define ASP_OPEN_APPEND 0x2u /* only with WRITE */

/* ---- Status records -------------------------------------------------------
 * A child that fails before execve writes one record to its status pipe and
 * exits 127. EOF without a record: no pre-exec error was reported. */
#define ASP_STATUS_MAGIC 0x54535341u /* "ASST" */
#define ASP_STEP_EXEC (-1)  /* execve (after the PATH search) */
#define ASP_STEP_SETUP (-2) /* signal reset, core limit, decoding */

struct asp_status_record {
	int32_t err;    /* positive errno */
	int32_t step;   /* index of the failing step, or ASP_STEP_* */
	int32_t detail; /* FD_MAP, OPEN, DUP: target fd; RLIMIT: resource; else 0 */
	uint32_t magic;
};

/* ---- asp_spawn output (int32 slots) ------------------------------------- */
enum {
	ASP_OUT_PID = 0,
	ASP_OUT_PIDFD = 1,  /* -1 when the kernel has no pidfd */
	ASP_OUT_STATUS = 2, /* read end of the status pipe, O_NONBLOCK|O_CLOEXEC */
	ASP_OUT_STEP = 3,   /* on a synchronous failure: the step, or ASP_STEP_SETUP */
	ASP_OUT_DETAIL = 4, /* on a synchronous failure: as asp_status_record.detail */
	ASP_OUT_PIPES = 5,  /* parent ends of the FD_MAP pipes, in entry order */
};
#define ASP_OUT_MAX_PIPES 64 /* pipes per spawn */
#define ASP_OUT_MAX (ASP_OUT_PIPES + ASP_OUT_MAX_PIPES)

/* ---- Capabilities (asp_capabilities bit set) ---------------------------- */
#define ASP_CAP_CLONE3 0x01      /* clone3 is used */
#define ASP_CAP_CLONE_VM 0x02    /* the parent does not wait for exec */
#define ASP_CAP_VFORK 0x04       /* fallback: CLONE_VM|CLONE_VFORK */
#define ASP_CAP_FORK 0x08        /* fallback: plain fork */
#define ASP_CAP_PIDFD 0x10       /* pidfds (CLONE_PIDFD or pidfd_open) */
#define ASP_CAP_INTO_CGROUP 0x20 /* CLONE_INTO_CGROUP */
#define ASP_CAP_CLOSE_RANGE 0x40
#define ASP_CAP_SIGNALS_BY_PROC 0x80 /* children find their signals to reset in /proc (faster here) */

/* ---- Wait output (asp_wait) --------------------------------------------- */
#define ASP_WAIT_EXITED 1 /* si_code values: the kernel's CLD_* */
#define ASP_WAIT_KILLED 2
#define ASP_WAIT_DUMPED 3

struct asp_wait_result {
	int32_t code;     /* ASP_WAIT_EXITED: exit status; else the signal number */
	int32_t si_code;  /* ASP_WAIT_* */
	double user_us;   /* rusage */
	double system_us;
	double max_rss_kib;
};

/* ---- Reactor records (read from the notify fd of a channel) ------------- */
#define ASP_EVENT_IN 0x1u /* event bits: epoll's */
#define ASP_EVENT_OUT 0x4u
#define ASP_EVENT_ERR 0x8u
#define ASP_EVENT_HUP 0x10u

struct asp_event {
	uint32_t id;     /* as given to asp_watch */
	uint32_t events; /* ASP_EVENT_* */
};

/* ---- Synchronous runs (asp_run_sync) -----------------------------------
 * One call spawns as asp_spawn does and waits on the calling thread: it
 * writes `input` to the child's stdin pipe, collects its stdout and stderr
 * pipes, enforces the timeout and max_buffer, reaps the child and closes
 * every fd it opened. The collected bytes stay with the calling thread
 * until asp_sync_take copies them out; asp_sync_free, the thread's next
 * asp_run_sync, or the thread's end frees them.
 *
 * A timeout, or output past max_buffer, sends kill_signal (SIGKILL after
 * force_kill_after_ms); once the child is reaped after that, reading stops
 * with what the pipes held: a descendant that keeps a pipe open does not
 * hold the call. Returns 0 once the child is reaped, -errno when none was
 * created (result.step and result.detail as ASP_OUT_STEP and
 * ASP_OUT_DETAIL), -ENOMEM when the output could not be kept (the child is
 * killed and reaped).
 *
 * With opts.pty_stream, the child's terminal (the request's fd map hands
 * it pty_slave): the slave is closed once the child has it, and the master
 * is read as that stream until no process holds the slave (Linux's EIO,
 * after everything written), like a pipe to its EOF; it stays open until
 * the child is reaped (closing it would hang the program up). */
#define ASP_SYNC_GROUP 0x1u     /* opts.flags: signal the child's process group, which it leads */
#define ASP_SYNC_NO_PIDFD 0x2u  /* opts.flags: wait as on a kernel without pidfds (tests) */
#define ASP_SYNC_KEEP_ALL 0x4u  /* opts.flags: also keep what is kept of both, interleaved as read (ASP_SYNC_ALL) */
#define ASP_SYNC_KEEP_READ 0x8u /* opts.flags: the read (up to 64 KiB) that passes max_buffer is kept whole, as Node's spawnSync keeps it */
#define ASP_SYNC_TIMED_OUT 0x1u /* result.flags: the timeout elapsed */
#define ASP_SYNC_STDOUT 1       /* a stream: asp_sync_take, result.exceeded */
#define ASP_SYNC_STDERR 2
#define ASP_SYNC_ALL 3          /* a stream of asp_sync_take only: with ASP_SYNC_KEEP_ALL */

struct asp_sync_opts {
	double timeout_ms;          /* < 0: none */
	double force_kill_after_ms; /* < 0: never */
	double max_buffer;          /* bytes kept of stdout and of stderr (> 0) */
	int32_t kill_signal;
	uint32_t flags;             /* ASP_SYNC_GROUP, ASP_SYNC_NO_PIDFD, ASP_SYNC_KEEP_ALL, ASP_SYNC_KEEP_READ */
	int32_t stdin_pipe;         /* which of the request's pipes (FD_MAP order) it is, or -1 */
	int32_t stdout_pipe;
	int32_t stderr_pipe;
	int32_t pty_stream;         /* 0, or the stream (ASP_SYNC_STDOUT/STDERR) the pty's master is read as */
	int32_t pty_master;         /* with pty_stream: asp_pty_open's pair, which the call closes, always */
	int32_t pty_slave;
	uint32_t reserved;          /* 0 */
};

/* Begins as struct asp_wait_result does. */
struct asp_sync_result {
	int32_t code;         /* as asp_wait_result */
	int32_t si_code;
	double user_us;
	double system_us;
	double max_rss_kib;
	int32_t pid;          /* 0: no child was created */
	uint32_t flags;       /* ASP_SYNC_TIMED_OUT */
	int32_t err;          /* the child failed before exec: its status record (0: the program ran) */
	int32_t step;         /* the record's step; when no child was created, as ASP_OUT_STEP */
	int32_t detail;
	int32_t exceeded;     /* the stream that passed max_buffer first (ASP_SYNC_STDOUT/STDERR), or 0 */
	int32_t wait_err;     /* the exit status was lost (reaped elsewhere): the errno, else 0 */
	int32_t reserved;
	double stdout_len;    /* bytes kept */
	double stderr_len;
	double all_len;       /* with ASP_SYNC_KEEP_ALL: stdout_len + stderr_len */
};

int asp_version(void);
int asp_capabilities(void);
int asp_spawn(const void *req, uint32_t len, int32_t *out, uint32_t out_len);
/*
 * asp_spawn with the clone made on the library's launcher thread (launch.c):
 * the caller pays for the request, the stack slot and the child's fds, not
 * for the clone. Returns a ticket (> 0) for asp_launched, or -errno as
 * asp_spawn fails before its clone (-EBUSY: 4096 launches are pending or
 * uncollected). out[] as asp_spawn's, without PID and PIDFD. The caller's
 * fds in the map are duplicated: it may close its own at once. With a channel
 * (>= 0) the status pipe is watched at once, under status_id. A failure of
 * the clone itself (EAGAIN, ENOMEM, a cgroup clone3 refuses) arrives as a
 * status record, as a child's does. The launcher is the child's parent
 * thread: a death signal follows it, and it lives as long as the process;
 * per-thread attributes (CPU affinity, nice, capabilities, seccomp) are the
 * launcher's, which it took from the thread that first started a launch.
 * A fork of ours starts its own launcher; launches in flight at the fork
 * are lost to it.
 */
int asp_spawn_start(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int channel, uint32_t status_id);
/* The ticket's pid and pidfd in out[ASP_OUT_PID], out[ASP_OUT_PIDFD], once
 * cloned (waits for the launcher until then): 1; or the clone's -errno with
 * out[ASP_OUT_STEP], out[ASP_OUT_DETAIL]. out[] holds ASP_OUT_PIPES slots.
 * The ticket is spent either way, and by its context's channel closing
 * (-EINVAL then: the reactor reaps the child). Maps of more than 64
 * entries are refused by asp_spawn_start (E2BIG): use asp_spawn. In the
 * vfork fallback one child that never reaches exec holds up every launch. */
int asp_launched(int ticket, int32_t *out);
int asp_status_read(int fd, int32_t *record);
int asp_wait(int pidfd, int pid, void *result);
int asp_kill(int pidfd, int pid, int sig);
int asp_killpg(int pgid, int sig);
/* The child and all its descendants, each stopped before its children are
 * listed; cgroup (NUL-terminated, "" or NULL for none): with SIGKILL, its
 * cgroup.kill too when only the tree lives there. 1 when signalled, 0 when
 * the child is gone, -errno when nothing was signalled. */
int asp_kill_tree(int pidfd, int pid, int sig, const char *cgroup);
int asp_read(int fd, void *buf, uint32_t len);
int asp_write(int fd, const void *buf, uint32_t len);
int asp_close(int fd);
int asp_set_nonblock(int fd, int on);
int asp_pipe_size(int fd, int size);
int asp_readable(int fd); /* bytes in a pipe (FIONREAD), or -errno */
int asp_reactor_open(int32_t *out);
int asp_reactor_close(int channel);
int asp_watch(int channel, int fd, uint32_t events, uint32_t id);
int asp_rearm(int channel, int fd, uint32_t events, uint32_t id);
int asp_unwatch(int fd);
int asp_orphan(int pidfd);
/* Fused calls (fused.c): one native call for what took two or three. */
#define ASP_READ_ARM 0x1u          /* asp_read_arm: empty, arm the watch */
#define ASP_READ_WATCHED 0x2u      /* asp_read_arm: fd is watched already (re-arm; unwatch at EOF) */
#define ASP_READ_END 0x4u          /* asp_read_arm: at EOF, close fd */
#define ASP_READ_FIRED 0x8u        /* asp_read_arm: the watch reported since it was armed: at EOF, closing fd is enough */
#define ASP_READ_MORE 0x10u        /* asp_read_arm: after a short read, read once more (EOF there: ASP_READ_EOF); len < ASP_READ_EOF */
#define ASP_READ_ARM_FAILED 0x10000u /* asp_read_arm result: -(this | errno) when arming failed */
#define ASP_READ_EOF 0x40000000u   /* asp_read_arm result: bytes | this when ASP_READ_MORE met EOF after them */
int asp_watch2(int channel, int fd, uint32_t id, int fd2, uint32_t id2);
/* asp_spawn + asp_watch2(channel, status pipe, status_id, pidfd, exit_id);
 * status_id 0 watches the pidfd alone (the status pipe is the caller's to
 * read at the exit or to watch later). On success out[ASP_OUT_DETAIL] is 0, or -errno when the child runs but
 * could not be watched (then nothing is: kill and reap it). */
int asp_spawn_watch(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int channel, uint32_t status_id,
		    uint32_t exit_id);
int asp_status_take(int fd, int32_t *record);
/* asp_exit_take's second half: asp_status_take's result, then its record. */
struct asp_status_take {
	int32_t result;
	int32_t err;
	int32_t step;
	int32_t detail;
};
/* asp_wait, closing the pidfd once not -EAGAIN; then, with status_fd >= 0, asp_status_take(status_fd) into *status. */
int asp_exit_take(int pidfd, int pid, void *result, int status_fd, void *status);
int asp_read_arm(int channel, int fd, void *buf, uint32_t len, uint32_t id, uint32_t flags);
/* A pseudo-terminal pair: out[0] the master (O_NONBLOCK), out[1] the slave;
 * both O_CLOEXEC, window size set; cols and rows 1..65535. */
int asp_pty_open(uint32_t cols, uint32_t rows, int32_t *out);
int asp_pty_resize(int fd, uint32_t cols, uint32_t rows);
int asp_pty_size(int fd, int32_t *out); /* out[0] = cols, out[1] = rows */
int asp_run_sync(const void *req, uint32_t len, const void *input, uint32_t input_len, const void *opts, void *result);
/* Copies the next at most len bytes of a stream of the thread's last
 * asp_run_sync (ASP_SYNC_STDOUT/STDERR/ALL): how many, 0 at the end. */
int asp_sync_take(int stream, void *buf, uint32_t len);
int asp_sync_free(void);
/* A socketpair's end, for reading and writing from two owners: asp_dup
 * gives a second fd (O_CLOEXEC, never 0-2), asp_shutdown(fd, 1) ends our
 * writing (the child reads EOF) while the other fd still reads. */
int asp_dup(int fd);
int asp_shutdown(int fd, int how);
/* Worker channels (sock.c): an AF_UNIX stream socketpair (close-on-exec,
 * never fds 0-2) into out[0], out[1], each end's send and receive buffers
 * asked to be bufsize bytes (0: the kernel's defaults); sendmsg/recvmsg with SCM_RIGHTS fds
 * (at most 253 per message). asp_send_fds: bytes sent, the fds with the
 * first; never SIGPIPE. asp_recv_fds: bytes read (0 at EOF), the fds that
 * came (close-on-exec) in fds and their count in *nfds_out; more than
 * maxfds: all closed, -EMSGSIZE. */
int asp_socketpair(int32_t *out, int32_t bufsize);
int asp_send_fds(int sock, const void *buf, uint32_t len, const int32_t *fds, uint32_t nfds);
int asp_recv_fds(int sock, void *buf, uint32_t len, int32_t *fds, uint32_t maxfds, int32_t *nfds_out);
/* A connection accepted on a listening socket: its fd (close-on-exec,
 * non-blocking, never 0-2), or -errno (-EAGAIN: none waiting). For handing
 * connections to workers: no runtime gives the fd of a socket it accepted. */
int asp_accept(int sock);

#endif
