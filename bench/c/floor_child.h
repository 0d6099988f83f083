/* Shared by floor.c (parent) and floor_child.c (the raw-syscall child). */
#ifndef BENCH_FLOOR_CHILD_H
#define BENCH_FLOOR_CHILD_H

#include <stddef.h>
#include <stdint.h>

/* Lives in the stack slot, not on the parent's stack: the parent returns
 * from the spawn long before the child reads it. */
struct floor_arg {
	int in_fd; /* -1: stdin stays ours (inherited) */
	int out_fd;
	int err_fd; /* -1: stderr stays ours */
	int unshare_files; /* CLONE_FILES: take our own table, copying the fds below keep_below only */
	int keep_below;
	const char *path;
	char *const *argv;
	char *const *envp;
};

/* The kernel's struct clone_args (version 2, 88 bytes). */
struct bench_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
		cgroup;
};

__attribute__((visibility("hidden"))) int bench_floor_child(const struct floor_arg *a);
__attribute__((visibility("hidden"))) long bench_clone3(struct bench_clone_args *args, size_t size,
							const struct floor_arg *arg);

#endif
