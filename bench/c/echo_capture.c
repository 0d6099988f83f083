/*
 * One `/bin/echo hello` captured: stdin /dev/null, stdout through a pipe
 * read to EOF, stderr inherited, reaped — the echo scenario's floor, by
 * vfork + execve or by posix_spawn. bench-c times it in a process of its
 * own (echo_floor.c); libbench-floor.so gives bench/scenarios/echo.ts the
 * vfork one to time in the runtime's process, in turn with run().
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include "bench.h"

#define ECHO_PATH "/bin/echo"

static char *const echo_argv[] = {"echo", "hello", 0};

int echo_capture(int posix)
{
	int fd;
	pid_t pid = posix ? posix_spawn_out(ECHO_PATH, echo_argv, 0, &fd) : vfork_spawn(ECHO_PATH, echo_argv, 0, &fd);
	return pid < 0 ? pid : capture_reap(pid, fd, "hello\n");
}

/* The library's entry: 0 when the child printed "hello\n" and exited 0. */
int bench_echo_floor(void)
{
	return echo_capture(0);
}
