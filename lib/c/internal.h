/* Declarations shared by the library's translation units (all hidden). */
#ifndef ASP_INTERNAL_H
#define ASP_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include "include/aspawn.h"
#include "sys.h"

#define ASP_MAX_PIPES ASP_OUT_MAX_PIPES
/* The largest FD_MAP that may share our fd table with the child (its
 * sources are duplicated for it); a larger one is checked up front and the
 * child gets a copy of the table at clone. */
#define ASP_MAX_MAPPED 64
/* The child's working memory for an FD_MAP (child.c), per entry, in the
 * stack slot. */
#define ASP_FDMAP_WORDS 8
/* In ctx->src_fds: the caller's fd was not open at spawn time. */
#define ASP_FD_INVALID (-0x7fffffff)

/* How children are created; chosen once per process by probe.c. */
enum asp_mode {
	ASP_MODE_CLONE3 = 1, /* clone3(CLONE_VM), parent does not wait */
	ASP_MODE_CLONE,      /* clone(CLONE_VM), parent does not wait */
	ASP_MODE_VFORK,      /* clone(CLONE_VM|CLONE_VFORK): parent waits for exec */
	ASP_MODE_FORK,       /* clone(SIGCHLD): separate memory */
};

/* ---- Sharing the fd table with the child (share.c explains the scheme) -- */

/* fds the parent holds open only for one child: status pipe, pipe ends,
 * duplicates of the caller's fds, a cgroup.procs. */
#define ASP_MAX_CHILD_FDS (ASP_MAX_MAPPED + 2)
struct asp_held_fds {
	int32_t fd[ASP_MAX_CHILD_FDS];
	uint32_t n;
};

/* The child's side, in its context. */
struct asp_share {
	uint32_t files_shared;      /* cloned with CLONE_FILES: unshare first */
	volatile uint32_t unshared; /* set by the child once its fd table is private */
	int32_t wake_fd;            /* the eventfd it then writes to */
	uint32_t keep_below;        /* it needs no fd >= this (0: it may need any) */
};

/* The parent's side, in the child's stack slot: our copies of the child's
 * fds, until the child has its own table or is gone. */
struct asp_pending {
	const struct asp_share *share;
	uint32_t n; /* 0 once closed */
	int32_t fd[ASP_MAX_CHILD_FDS];
};

struct asp_child_ctx;
/* Whether to clone with CLONE_FILES: a CLONE_VM mechanism, the reactor
 * running, and an FD_MAP of at most ASP_MAX_MAPPED entries. */
ASP_HIDDEN int asp_share_wanted(enum asp_mode m, uint32_t map_count);
/* Before clone: move the held fds low and fill ctx->share. close_others:
 * the child closes every fd it does not map (so it may copy only the low ones). */
ASP_HIDDEN void asp_share_prepare(struct asp_child_ctx *ctx, struct asp_held_fds *held, int close_others);
/* Before clone: the held fds become the slot's pending ones. */
ASP_HIDDEN void asp_share_hand_over(struct asp_pending *p, const struct asp_child_ctx *ctx,
				    const struct asp_held_fds *held);
/* Close the pending fds if the child unshared or is gone (tid: the slot's
 * CLONE_CHILD_CLEARTID word). Under the pool's lock, on a busy slot. */
ASP_HIDDEN void asp_share_sweep(struct asp_pending *p, const volatile int32_t *tid);
/* Close the pending fds now: the child was never created. */
ASP_HIDDEN void asp_share_drop(struct asp_pending *p);
/* The reactor's side: the eventfd children report to; the reactor runs
 * (enable: from now on children may share); the eventfd is readable. */
ASP_HIDDEN int asp_share_open_wake(void);
ASP_HIDDEN void asp_share_enable(int wake_fd);
ASP_HIDDEN void asp_share_woken(void);
/* Whether fd is the eventfd or a reserved low number: never a caller's fd. */
ASP_HIDDEN int asp_share_owns_fd(int fd);

/* low_fds.c: reserved low numbers for the fds a CLONE_FILES child needs. */
ASP_HIDDEN void asp_low_fds_reserve(void);
/* fd itself, or the reserved number it was moved to (fd is then closed). */
ASP_HIDDEN int asp_low_fd_move(int fd);
/* Close an fd held for a child, or give its reserved number back. */
ASP_HIDDEN void asp_low_fd_close(int fd);
/* Out of fds: give the free reserved numbers back; how many. */
ASP_HIDDEN int asp_low_fds_release(void);
ASP_HIDDEN int asp_low_fds_owns(int fd);

/*
 * What the child needs, written by the parent at the top of the child's stack
 * slot. The request bytes follow it; the pointer arrays for execve come next.
 */
/* The pointers for execve besides argv's and the environment's: the slot
 * before argv (/bin/sh, ASP_REQ_SH_FALLBACK) and the two NULLs. */
#define ASP_PTRS_EXTRA 3

struct asp_child_ctx {
	const uint8_t *req;
	uint32_t req_size;
	int32_t status_fd;   /* write end of the status pipe */
	int32_t parent_pid;  /* for the death-signal check */
	/* The spawning thread's liveness word and its value at spawn
	 * (threads.c): a death signal follows that thread. 0: none. */
	const uint32_t *parent_alive;
	uint32_t parent_gen;
	int32_t parent_tid;  /* the same check where memory is not shared (fork) */
	int32_t cgroup_fd;   /* -1, or the cgroup.procs to write ourselves into (fallbacks) */
	int32_t cgroup_step; /* the CGROUP step, for its errors */
	uint32_t nsrc;       /* entries of src_fds: the FD_MAP's count */
	uint32_t probe;      /* non-zero: the capability probe (child.c) */
	uint32_t signals_by_proc; /* how to reset signals (child_signals.c) */
	struct asp_share share;
	char **ptrs;         /* room for argc + inherited + envc + ASP_PTRS_EXTRA pointers */
	uint32_t nptrs;      /* ...that many, sized from the caller's request */
	const char *inherited; /* ASP_REQ_INHERIT_ENV: copies of environ's strings, NUL-separated */
	uint32_t ninherited;
	int32_t *src_fds;    /* per FD_MAP entry: the fd to install (-1: /dev/null) */
	uint32_t *map_work;  /* ASP_FDMAP_WORDS * nsrc words for the child */
};

/* The CLONE_VM child's entry point (child.c), called by the trampolines. */
ASP_HIDDEN int asp_child_main(struct asp_child_ctx *ctx);
/* child_signals.c: every signal not at its default back to SIG_DFL, found
 * through /proc or not; which is faster here (in the probe child). */
ASP_HIDDEN void asp_child_reset_signals(int by_proc);
ASP_HIDDEN int asp_child_pick_reset(void);
ASP_HIDDEN long asp_clone3_raw(struct asp_clone_args *args, size_t size, void *arg);
ASP_HIDDEN long asp_clone_raw(unsigned long flags, void *stack, int *ptid, int *ctid, void *arg);

/* A reusable stack (stack_pool.c). */
struct asp_slot {
	uint8_t *map;     /* mapping; its lowest page is the guard */
	size_t map_size;
	volatile int32_t tid; /* CLONE_CHILD_CLEARTID word: 0 once the child exec'd or exited */
	uint8_t busy;
	uint8_t dumpable_hold; /* asp_dumpable_hold was called for this child */
	uint8_t oversized;
	struct asp_pending pending; /* with CLONE_FILES (share.c) */
};

ASP_HIDDEN int asp_pool_acquire(size_t need, struct asp_slot **out);
/* The child will not touch the slot again: on fallbacks, or when clone
 * failed. Also ends the slot's dumpable hold. */
ASP_HIDDEN void asp_pool_release(struct asp_slot *slot);
/* Free every slot whose child has left it (tid cleared). */
ASP_HIDDEN void asp_pool_reclaim(void);
/* Close the pending fds of children that no longer share our fd table. */
ASP_HIDDEN void asp_pool_sweep(void);
ASP_HIDDEN size_t asp_page_size(void);

/* dumpable.c: the parent's dumpable flag while children that may clear it
 * share our memory (they change credentials, or the guard of old kernels
 * is on: probe.c). hold: one more such child (the first saves the flag);
 * release: one fewer (the last restores it). */
#define ASP_DUMPABLE_KEEP 0  /* leave the flag as it is for now */
#define ASP_DUMPABLE_CLEAR 1 /* make the mm non-dumpable now (the guard) */
ASP_HIDDEN void asp_dumpable_hold(int how);
ASP_HIDDEN void asp_dumpable_release(void);

/* reactor.c: whether fd is the reactor's (epoll, eventfd, a channel's pipe). */
ASP_HIDDEN int asp_reactor_owns_fd(int fd);

/* fds.c: fds we create, moved off 0-2 when they land there. */
ASP_HIDDEN long asp_fd_high(long fd);
ASP_HIDDEN long asp_pipe_high(int fds[2], int flags);
ASP_HIDDEN long asp_socketpair_high(int fds[2], int flags);

/* helper_thread.c: a detached thread of ours, every signal blocked; 0 or an errno. */
ASP_HIDDEN int asp_start_helper_thread(void *(*fn)(void *));

/* threads.c: the calling thread's channel and liveness record. */
ASP_HIDDEN int asp_self_pid(void);
ASP_HIDDEN int asp_self_tid(void);
ASP_HIDDEN int asp_thread_channel(void);
ASP_HIDDEN int asp_thread_set_channel(int ch);
ASP_HIDDEN const uint32_t *asp_thread_alive_word(uint32_t *gen);
/* reactor.c: the thread `tid` ended; reclaim its contexts' channels. */
ASP_HIDDEN void asp_reactor_context_ended(int tid);

/* spawn.c, for launch.c: asp_spawn's phases before the clone, on the
 * caller's thread (the status pipe watched on channel ch if ch >= 0), and
 * the clone, on the launcher thread (frees the prepared spawn). */
struct spawn;
ASP_HIDDEN int asp_spawn_prepare(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int ch,
				 uint32_t status_id, struct spawn **prepared);
ASP_HIDDEN int asp_spawn_launch(struct spawn *sp, int32_t *out);
/* launch.c: the reactor reclaims channel ch. */
ASP_HIDDEN void asp_launch_channel_ended(int ch);
/* owners.c: which channel's context holds each fd asp_spawn handed out. */
#define ASP_OWN_FD 1
#define ASP_OWN_PIDFD 2
ASP_HIDDEN void asp_owner_set(int ch, const int32_t *fds, const uint8_t *kinds, uint32_t n);
ASP_HIDDEN void asp_owner_clear(int fd);
ASP_HIDDEN void asp_owner_take(int ch, void (*fn)(int fd, int kind));

/* io.c: reap without blocking; 1, -EAGAIN while it runs, or -errno. */
ASP_HIDDEN long asp_reap(int pidfd, int pid, uint8_t si[ASP_SIGINFO_SIZE], void *rusage);
/* io.c: reap, the result as asp_wait gives it; block: until the child exits. */
ASP_HIDDEN long asp_reap_result(int pidfd, int pid, int block, struct asp_wait_result *out);

/* spawn.c: asp_spawn for a caller that waits itself on this thread
 * (asp_run_sync): the child never shares our fd table (its pipe ends close
 * when it exits) and the fds are not handed to the thread's JS context. */
ASP_HIDDEN int asp_spawn_private(const void *req, uint32_t len, int32_t *out, uint32_t out_len);

/* environ.c: a consistent copy of `environ` (ASP_REQ_INHERIT_ENV), taken
 * safely while other threads may change it. pid: ours. */
struct asp_env;
ASP_HIDDEN int asp_env_get(int pid, struct asp_env **out);
ASP_HIDDEN void asp_env_put(struct asp_env *env);
ASP_HIDDEN const char *asp_env_strings(const struct asp_env *env, uint32_t *count, size_t *size);

/* probe.c */
ASP_HIDDEN enum asp_mode asp_mode(void);
ASP_HIDDEN int asp_caps(void);
ASP_HIDDEN int asp_nodump_guard(void);
ASP_HIDDEN int asp_spawn_child(enum asp_mode mode, struct asp_slot *slot, struct asp_child_ctx *ctx,
			       void *stack_top, int cgroup_fd, int share_files, int *pidfd);

#endif
