/*
 * C spawn benchmark: declarations shared by its translation units.
 *
 * Every method spawns /bin/true with stdin = /dev/null, stdout = a pipe
 * whose read end the parent keeps, stderr inherited, and an empty
 * environment, so the methods do the same work a runtime's spawn() does.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include "lib.h"
#include "proc.h"

#define INFLIGHT 32
#define TRUE_PATH "/bin/true"

enum method_id { M_VFORK, M_POSIX_SPAWN, M_ASP, M_FLOOR, M_FLOOR_FILES, NMETHODS };
enum parent_id { P_SMALL, P_4GIB, P_FDS, NPARENTS };

/* One spawned child, from spawn to the end of its reaping. */
struct child {
	int pid;
	int pidfd;     /* -1 for the waitpid methods */
	int status_fd; /* -1 for the waitpid methods */
	int out_fd;    /* read end of the child's stdout */
	int in_fd, err_fd; /* floor with sockets: our ends of its stdin and stderr, else -1 */
	int child_ends[2]; /* floor+CLONE_FILES: the child's pipe ends, closed after waitid */
	int open;      /* fds still registered in the epoll set */
	int reaped;
	void *slot;    /* floor: the stack slot */
};

struct method {
	const char *name;
	int pidfd_reaped; /* reaped through the epoll set; else waitpid */
	/* The timed part: the caller's blocked time is exactly this call.
	 * *inner_ns gets the time of asp_spawn alone (asp only). */
	int (*spawn)(struct child *c, uint64_t *inner_ns);
	/* Reaping a pidfd method's child: -EAGAIN until it has exited, then its
	 * wait status code (exit code, or 128 + signal). */
	int (*wait)(struct child *c);
	/* Reading its status fd: 0 at EOF, > 0 when it reports a pre-exec
	 * failure, -EAGAIN when nothing is there yet. */
	int (*status)(int fd);
};

extern const struct method methods[NMETHODS];

/* methods.c */
int methods_init(const char *library); /* dlopen, epoll set, floor stacks */
void methods_fini(void);
/* Block until at least one of tab[0..n) with reaped == 0 (a child of m)
 * is fully reaped; its index goes to done[]. Returns how many. */
int reap_some(const struct method *m, struct child *tab, int n, int *done);
extern long failed_spawns;

/* asp_lib.c: the library, dlopen'ed as the JS runtimes will (test/c/lib.c: L). */
int asp_load(const char *path);

/* vfork_spawn.c: vfork + execve, stdin /dev/null, stdout a pipe whose read
 * end (O_CLOEXEC | pipe_flags) goes to *out_fd: the pid, or -errno. A path
 * without "/" is a name looked up in PATH (execvpe). */
int vfork_spawn(const char *path, char *const argv[], int pipe_flags, int *out_fd);
/* The same with stdout onto the caller's fd out, and stderr onto err unless
 * it is -1 (both left open): the pid, or -errno. */
int vfork_exec(const char *path, char *const argv[], int out, int err);
/* The same as vfork_spawn through glibc's posix_spawn. */
int posix_spawn_out(const char *path, char *const argv[], int pipe_flags, int *out_fd);
/* Reads fd (blocking) to EOF, closes it, waits for pid: 0 when the child
 * exited 0 having printed exactly expect, else -EPROTO. */
int capture_reap(int pid, int fd, const char *expect);

/* echo_capture.c: one `/bin/echo hello` captured and reaped, by vfork
 * (posix 0) or posix_spawn: 0 when it printed "hello\n" and exited 0. */
int echo_capture(int posix);
int bench_echo_floor(void);

/* sync_jobs.c: bench/sync.ts's blocking runs and their floor (vfork,
 * stdout and stderr captured, reaped): 0 when the child printed what it
 * should. */
struct sync_job {
	const char *name;
	const char *path;   /* a name: looked up in PATH, as runSync("true") is */
	char *const *argv;
	const char *expect; /* stdout */
};
#define NJOBS 2
extern const struct sync_job sync_jobs[NJOBS];
int sync_floor_run(const struct sync_job *j);
int bench_sync_floor(int job);
/* The physical floors of the JS scenarios (bench/main.ts): C doing the
 * same work, in the same run. Times in us unless named _ms. */
struct lat {
	long n;
	double p50, p99;
};
/* loop_floor.c: the storm as one epoll loop with a 1 ms timerfd. */
struct loop_floor {
	long total;
	double seconds, per_s, ticks, ticks_per_s, gap_p50_ms, gap_p99_ms, gap_max_ms;
};
int loop_floor(long total, struct loop_floor *r);
/* loop_storm.c: the loop itself; the timer's gaps in g (when not null),
 * the children that did not exit 0 in *failed; 0, or -errno. */
struct gaps {
	uint64_t *ns;
	long n, cap;
};
int loop_storm(long total, struct gaps *g, uint64_t *elapsed, long *failed);
/* echo_floor.c: `echo hello`, stdout captured through a pipe, reaped. */
int echo_floor(long n, struct lat *vfork_lat, struct lat *posix_lat);
/* reader_floor.c: a producer's whole stdout read by an epoll loop. */
#define READER_CONFIGS 9
#define READER_MAX_REPS 8
struct reader_cfg {
	long pipe_size, read_size;
	double mb_per_s;
};
struct reader_floor {
	char producer[64];
	long bytes, tune_bytes;
	int reps;
	struct reader_cfg tuned[READER_CONFIGS]; /* tune_bytes each */
	struct reader_cfg best;                  /* bytes, median of reps */
	double runs[READER_MAX_REPS];
	double splice_mb_per_s; /* splice(2) to /dev/null: a ceiling, not a target */
	double splice_runs[READER_MAX_REPS];
};
int reader_floor(long bytes, long tune_bytes, int reps, struct reader_floor *r);
/* reader_loop.c: the producer's stdout read to EOF (or moved to /dev/null
 * by splice) and the producer reaped: 0, or -errno. */
int read_to_eof(long bytes, long pipe_size, long read_size, char *buf);
int splice_to_null(long bytes, long pipe_size);
struct floors {
	int ran;
	struct loop_floor loop;
	struct lat echo_vfork, echo_posix_spawn;
	struct reader_floor reader;
};
/* floors.c */
int run_floors(int quick, struct floors *f);
void print_floors(const struct floors *f);
void json_floors(FILE *out, const struct floors *f);
double median_of(double *v, int n); /* sorts v */

/* floor.c: the parent's syscalls of one spawn, done by hand. */
int floor_init(void);
void floor_fini(void);
int floor_spawn(struct child *c, int clone_files, int sockets, int epfd);
int floor_wait(struct child *c);
/* Closes the child ends a CLONE_FILES spawn held until the exit (a reserved number gets its placeholder back). */
void floor_release_ends(struct child *c);

/* parents.c */
extern const char *const parent_names[NPARENTS];
int parent_enter(enum parent_id p);
void parent_leave(enum parent_id p);

/* stats.c */
uint64_t now_ns(void);
double percentile_us(uint64_t *ns, long n, double q); /* sorts ns */
double mean_us(const uint64_t *ns, long n);
long rss_kib(void);

/* report.c */
struct cell {
	double p50, p99, mean;   /* blocked, us */
	double inner_p50, inner_p99; /* asp_spawn alone (asp only) */
	double seq_per_s, inflight_per_s;
};
struct run_info {
	int quick;
	long n, inflight_n;
	const char *library;
	int asp_version, asp_caps;
	double load_start, load_end;
	long rss_kib[NPARENTS];
	int fds[NPARENTS];
	int ran[NPARENTS]; /* --parents may skip some */
	int fds_start, fds_end, zombies;
	double seconds;
	struct floors floors;
};
void report(const struct run_info *ri, struct cell cells[NPARENTS][NMETHODS], const char *json_path);

#endif
