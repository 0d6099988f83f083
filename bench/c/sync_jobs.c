/*
 * The blocking runs of bench/sync.ts (`true`, `echo hello`) and their
 * floor: vfork + execve, stdout captured through a pipe read to EOF,
 * waitpid — the least a blocking spawn that returns the output can do.
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
#include <sys/types.h>
#include "bench.h"

static char *const true_argv[] = {"true", 0};
static char *const echo_argv[] = {"echo", "hello", 0};
const struct sync_job sync_jobs[NJOBS] = {
	{"true", "true", true_argv, ""},
	{"echo", "echo", echo_argv, "hello\n"},
};

int sync_floor_run(const struct sync_job *j)
{
	int fd;
	pid_t pid = vfork_spawn(j->path, j->argv, 0, &fd);
	return pid < 0 ? pid : capture_reap(pid, fd, j->expect) < 0 ? -1 : 0;
}

/* The library's entry: job 0 (true) or 1 (echo hello); 0 on success. */
int bench_sync_floor(int job)
{
	return job < 0 || job >= NJOBS ? -1 : sync_floor_run(&sync_jobs[job]);
}
