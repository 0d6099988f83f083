/* vfork + execve with stdin /dev/null and stdout a pipe: the vfork method
 * of bench-c and the floor of bench-c-sync. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "bench.h"

static char *const empty_env[] = {0};

int vfork_exec(const char *path, char *const argv[], int out)
{
	pid_t pid = vfork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd > 0) {
			dup2(fd, 0);
			close(fd);
		}
		dup2(out, 1);
		execve(path, argv, empty_env);
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
	pid = vfork_exec(path, argv, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return pid;
	}
	*out_fd = p[0];
	return pid;
}
