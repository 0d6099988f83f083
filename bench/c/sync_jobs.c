/*
 * The blocking runs of bench/sync.ts (`true`, `echo hello`) and their
 * floor: vfork + execve, stdout and stderr captured through pipes read to
 * EOF, waitpid — the least a blocking spawn that returns the output can
 * do. Both streams, as every method it is held against captures both
 * (runSync and run() by default, execFileSync, outputSync, and
 * Bun.spawnSync as bench/sync.ts asks): the second pipe is ~3 % of the
 * run here, too much to leave out of a floor held to 1.15x.
 * The program is named, not given by path, as bench/sync.ts names it to
 * every method: the floor looks it up in PATH as they all must (execvpe:
 * one failed execve per directory before the one that holds it).
 * Linked into bench-c-sync, and alone into libbench-floor.so, which
 * bench/sync.ts loads into the runtime's own process: runSync and its floor
 * then take turns in the same process, parent and minute (a floor timed by
 * another process, even in the same run, drifted 20-30 % from it on this
 * noisy host).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#include "bench.h"

static char *const true_argv[] = {"true", 0};
static char *const echo_argv[] = {"echo", "hello", 0};
const struct sync_job sync_jobs[NJOBS] = {
	{"true", "true", true_argv, ""},
	{"echo", "echo", echo_argv, "hello\n"},
};

/* Reads fd (blocking) to EOF and closes it: the bytes read, or -errno. */
static long drain(int fd)
{
	char buf[256];
	long n, total = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		total += n > 0 ? n : 0;
	if (n < 0)
		total = -errno; /* before close() can change it */
	close(fd);
	return total;
}

int sync_floor_run(const struct sync_job *j)
{
	int out[2], err[2];
	long stderr_len;
	pid_t pid;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return -e;
	}
	pid = vfork_exec(j->path, j->argv, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		return pid;
	}
	/* No poll: the jobs print less than a pipe holds, so stderr's EOF
	 * (the exit) comes first, and stdout is then read without a wait. */
	stderr_len = drain(err[0]);
	return capture_reap(pid, out[0], j->expect) < 0 || stderr_len != 0 ? -1 : 0;
}

/* The library's entry: job 0 (true) or 1 (echo hello); 0 on success. */
int bench_sync_floor(int job)
{
	return job < 0 || job >= NJOBS ? -1 : sync_floor_run(&sync_jobs[job]);
}
