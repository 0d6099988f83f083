/* vfork + execve (and posix_spawn) with stdin /dev/null and stdout a
 * pipe: the vfork and posix_spawn methods of bench-c, its echo floor and
 * the floor of bench-c-sync. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

/* The children get our environment, as a runtime's children get theirs:
 * the same work (coreutils' echo loads locale files when LANG is set, which
 * costs it more than the spawn itself). */
extern char **environ;

int vfork_exec(const char *path, char *const argv[], int out, int err)
{
	pid_t pid = vfork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd > 0) {
			dup2(fd, 0);
			close(fd);
		}
		dup2(out, 1);
		if (err >= 0)
			dup2(err, 2);
		/* A bare name is looked up in PATH, as execvp does (and every
		 * runtime's API, and the library, for a name without "/"). */
		if (strchr(path, '/'))
			execve(path, argv, environ);
		else
			execvpe(path, argv, environ);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

int vfork_spawn(const char *path, char *const argv[], int pipe_flags, int *out_fd)
{
	int p[2];
	pid_t pid;
	if (pipe2(p, O_CLOEXEC | pipe_flags) < 0)
		return -errno;
	pid = vfork_exec(path, argv, p[1], -1);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return pid;
	}
	*out_fd = p[0];
	return pid;
}

int posix_spawn_out(const char *path, char *const argv[], int pipe_flags, int *out_fd)
{
	posix_spawn_file_actions_t fa;
	int p[2], e;
	pid_t pid;
	if (pipe2(p, O_CLOEXEC | pipe_flags) < 0)
		return -errno;
	/* Per spawn, as its callers do: the pipe's numbers change. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	e = posix_spawn(&pid, path, &fa, 0, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (e) {
		close(p[0]);
		return -e;
	}
	*out_fd = p[0];
	return pid;
}

int capture_reap(int pid, int fd, const char *expect)
{
	char buf[256];
	size_t len = 0;
	ssize_t n;
	int status;
	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = 0;
	return status == 0 && strcmp(buf, expect) == 0 ? 0 : -EPROTO;
}
