/*
 * bench-c-sync: the C floor of a blocking run (sync_jobs.c), and
 * asp_run_sync called from C, for bench/sync.ts (scripts/bench-sync.sh).
 *
 *   bench-c-sync [--quick] [--json PATH] [LIBRARY]
 *
 * asp: asp_run_sync with run()'s pipes (stdin /dev/null, stdout and stderr
 * pipes). Each of `true` and `echo hello`, in a parent with a 100 MiB and
 * then a 4 GiB touched heap; the methods take turns in blocks. The whole
 * call blocks, so the blocked time is the call's time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "req.h"

#define BLOCK 10
#define MIB ((size_t)1 << 20)

/* The heap escapes here, so that its allocation and memset stay. */
static char *volatile held;

static struct req reqs[NJOBS];

static void asp_prepare(void)
{
	static const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {ASP_FD_PIPE_WRITE, 2}};
	int i, k;
	for (i = 0; i < NJOBS; i++) {
		/* By name and with our environment, as the floor runs it. */
		req_begin(&reqs[i], sync_jobs[i].path, ASP_REQ_SEARCH_PATH | ASP_REQ_INHERIT_ENV);
		for (k = 0; sync_jobs[i].argv[k]; k++)
			req_arg(&reqs[i], sync_jobs[i].argv[k]);
		req_fd_map(&reqs[i], map, 3, ASP_FDMAP_CLOSE_OTHERS);
		req_end(&reqs[i]);
	}
}

static int asp_run(const struct sync_job *j)
{
	struct asp_sync_opts o = {.timeout_ms = -1, .force_kill_after_ms = -1, .max_buffer = 64.0 * MIB,
				  .kill_signal = 15, .stdin_pipe = -1, .stdout_pipe = 0, .stderr_pipe = 1};
	struct asp_sync_result res;
	char buf[256];
	int r = L.run_sync(reqs[j - sync_jobs].buf, (uint32_t)reqs[j - sync_jobs].len, 0, 0, &o, &res), n;
	if (r < 0)
		return r;
	n = L.sync_take(ASP_SYNC_STDOUT, buf, sizeof buf - 1);
	L.sync_free();
	buf[n > 0 ? n : 0] = 0;
	return res.code == 0 && res.si_code == ASP_WAIT_EXITED && strcmp(buf, j->expect) == 0 ? 0 : -1;
}

typedef int (*method_fn)(const struct sync_job *);
static const char *const method_names[] = {"floor", "asp"};
static const method_fn method_fns[] = {sync_floor_run, asp_run};
#define NMETHODS_SYNC 2

int main(int argc, char **argv)
{
	const char *json = 0, *library = "prebuilds/linux-x64/libaspawn.so";
	size_t heaps[] = {100 * MIB, (size_t)4 << 30};
	const char *heap_names[] = {"100MiB", "4GiB"};
	int quick = 0, i, h, fds0, failed = 0;
	long samples;
	FILE *out;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (argv[i][0] != '-')
			library = argv[i];
		else {
			fprintf(stderr, "usage: bench-c-sync [--quick] [--json PATH] [LIBRARY]\n");
			return 2;
		}
	}
	if (lib_load(library) < 0)
		return 2;
	asp_prepare();
	samples = quick ? 200 : 2000;
	out = json ? fopen(json, "w") : stdout;
	if (!out) {
		perror(json);
		return 2;
	}
	fds0 = count_fds();
	fprintf(out, "{\n  \"quick\": %s,\n  \"samples\": %ld,\n  \"heaps\": {", quick ? "true" : "false", samples);
	for (h = 0; h < 2; h++) {
		uint64_t *ns[NMETHODS_SYNC][NJOBS];
		char *heap = malloc(heaps[h]);
		int m, j;
		long s, k;
		if (!heap) {
			perror("bench-c-sync: malloc");
			return 2;
		}
		held = heap;
		memset(heap, 1, heaps[h]); /* every page touched */
		for (m = 0; m < NMETHODS_SYNC; m++)
			for (j = 0; j < NJOBS; j++)
				ns[m][j] = calloc((size_t)samples, sizeof(uint64_t));
		for (m = 0; m < NMETHODS_SYNC; m++) /* warm-up: the library's probe and stack pool */
			for (j = 0; j < NJOBS; j++)
				for (k = 0; k < 20; k++)
					method_fns[m](&sync_jobs[j]);
		for (s = 0; s < samples; s += BLOCK)
			for (i = 0; i < NMETHODS_SYNC * NJOBS; i++) {
				/* Rotated: no method always follows the same one. */
				int x = (int)((i + s / BLOCK) % (NMETHODS_SYNC * NJOBS));
				m = x / NJOBS;
				j = x % NJOBS;
				for (k = s; k < s + BLOCK && k < samples; k++) {
					uint64_t t0 = now_ns();
					if (method_fns[m](&sync_jobs[j]) < 0)
						failed++;
					ns[m][j][k] = now_ns() - t0;
				}
			}
		fprintf(out, "%s\n    \"%s\": {\"rss_kib\": %ld", h ? "," : "", heap_names[h], rss_kib());
		for (m = 0; m < NMETHODS_SYNC; m++)
			for (j = 0; j < NJOBS; j++) {
				double mean = mean_us(ns[m][j], samples);
				double p50 = percentile_us(ns[m][j], samples, 0.5), p99 = percentile_us(ns[m][j], samples, 0.99);
				fprintf(out, ", \"%s_%s\": {\"p50_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f}", method_names[m],
					sync_jobs[j].name, p50, p99, mean);
				free(ns[m][j]);
			}
		fprintf(out, "}");
		free(heap);
	}
	fprintf(out, "\n  },\n  \"failed\": %d,\n  \"fds_left\": %d,\n  \"zombies\": %d\n}\n", failed, count_fds() - fds0,
		count_zombie_children());
	if (json)
		fclose(out);
	return failed ? 1 : 0;
}
