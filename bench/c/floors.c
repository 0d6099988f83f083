/*
 * The floors of the JS scenarios (loop, echo, reader), run in a small
 * parent, their table and their part of the JSON file. Sizes follow
 * bench/config.ts: the same storm total, echo samples and stdout bytes
 * as the JS run of the same mode.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

#define MIB (1024L * 1024)

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double median_of(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[(n - 1) / 2]; /* nearest rank, as bench/stats.ts */
}

static int fail(const char *what, int e)
{
	fprintf(stderr, "bench-c: %s floor failed: %s\n", what, e == -ETIMEDOUT ? "no event for 10 s" : strerror(-e));
	return e;
}

int run_floors(int quick, struct floors *f)
{
	long storm = quick ? 2000 : 10000, echo = quick ? 200 : 1000;
	long bytes = quick ? 256 * MIB : 2048 * MIB, tune = quick ? 64 * MIB : 256 * MIB;
	int e;
	memset(f, 0, sizeof *f);
	fprintf(stderr, "bench-c: floors: C loop storm x %ld, %d in flight...\n", storm, INFLIGHT);
	if ((e = loop_floor(storm, &f->loop)) < 0)
		return fail("loop", e);
	fprintf(stderr, "bench-c: floors: echo hello captured x %ld (vfork, posix_spawn)...\n", echo);
	if ((e = echo_floor(echo, &f->echo_vfork, &f->echo_posix_spawn)) < 0)
		return fail("echo", e);
	fprintf(stderr, "bench-c: floors: stdout reader, %ld MiB x %d...\n", bytes / MIB, quick ? 3 : 5);
	if ((e = reader_floor(bytes, tune, quick ? 3 : 5, &f->reader)) < 0)
		return fail("stdout reader", e);
	f->ran = 1;
	return 0;
}

void print_floors(const struct floors *f)
{
	const struct reader_floor *r = &f->reader;
	int i;
	if (!f->ran)
		return;
	printf("\nfloors of the JS scenarios (small parent)\n");
	printf("  storm: C epoll loop, 1 ms timerfd, vfork+exec /bin/true, %d in flight, stdout read, pidfd: "
	       "%.0f spawns/s, %.1f ticks/s, gap p50 %.2f p99 %.2f max %.2f ms (%ld in %.2f s)\n",
	       INFLIGHT, f->loop.per_s, f->loop.ticks_per_s, f->loop.gap_p50_ms, f->loop.gap_p99_ms,
	       f->loop.gap_max_ms, f->loop.total, f->loop.seconds);
	printf("  echo hello captured + reaped: vfork p50 %.1f p99 %.1f us; posix_spawn p50 %.1f p99 %.1f us (n=%ld)\n",
	       f->echo_vfork.p50, f->echo_vfork.p99, f->echo_posix_spawn.p50, f->echo_posix_spawn.p99,
	       f->echo_vfork.n);
	printf("  stdout of %s, epoll + non-blocking reads, tuned on %ld MiB:", r->producer, r->tune_bytes / MIB);
	for (i = 0; i < READER_CONFIGS; i++)
		printf(" %ld/%ld KiB %.0f", r->tuned[i].pipe_size / 1024, r->tuned[i].read_size / 1024,
		       r->tuned[i].mb_per_s);
	printf(" MB/s\n    best: pipe %ld KiB, reads %ld KiB: %.0f MB/s; splice to /dev/null (ceiling): %.0f MB/s\n",
	       r->best.pipe_size / 1024, r->best.read_size / 1024, r->best.mb_per_s, r->splice_mb_per_s);
}

static void json_runs(FILE *out, const double *v, int n)
{
	int i;
	fprintf(out, "[");
	for (i = 0; i < n; i++)
		fprintf(out, "%s%.1f", i ? ", " : "", v[i]);
	fprintf(out, "]");
}

static void json_lat(FILE *out, const char *name, const struct lat *l, const char *sep)
{
	fprintf(out, "\"%s\": {\"n\": %ld, \"p50_us\": %.2f, \"p99_us\": %.2f}%s", name, l->n, l->p50, l->p99, sep);
}

/* "floors": {...}, (the caller writes the rest of the object) */
void json_floors(FILE *out, const struct floors *f)
{
	const struct loop_floor *l = &f->loop;
	const struct reader_floor *r = &f->reader;
	int i;
	if (!f->ran)
		return;
	fprintf(out, "  \"floors\": {\n");
	fprintf(out,
		"    \"loop\": {\"total\": %ld, \"inflight\": %d, \"seconds\": %.3f, \"per_s\": %.1f, \"ticks\": %.0f, "
		"\"ticks_per_s\": %.2f, \"gap_p50_ms\": %.3f, \"gap_p99_ms\": %.3f, \"gap_max_ms\": %.3f},\n",
		l->total, INFLIGHT, l->seconds, l->per_s, l->ticks, l->ticks_per_s, l->gap_p50_ms, l->gap_p99_ms,
		l->gap_max_ms);
	fprintf(out, "    \"echo\": {\"command\": \"/bin/echo hello\", ");
	json_lat(out, "vfork", &f->echo_vfork, ", ");
	json_lat(out, "posix_spawn", &f->echo_posix_spawn, "},\n");
	fprintf(out, "    \"stdout\": {\"producer\": \"%s\", \"bytes\": %ld, \"tune_bytes\": %ld, \"tuned\": [", r->producer,
		r->bytes, r->tune_bytes);
	for (i = 0; i < READER_CONFIGS; i++)
		fprintf(out, "%s{\"pipe_size\": %ld, \"read_size\": %ld, \"mb_per_s\": %.1f}", i ? ", " : "",
			r->tuned[i].pipe_size, r->tuned[i].read_size, r->tuned[i].mb_per_s);
	fprintf(out, "],\n      \"best\": {\"pipe_size\": %ld, \"read_size\": %ld, \"mb_per_s\": %.1f, \"runs\": ",
		r->best.pipe_size, r->best.read_size, r->best.mb_per_s);
	json_runs(out, r->runs, r->reps);
	fprintf(out, "},\n      \"splice\": {\"mb_per_s\": %.1f, \"runs\": ", r->splice_mb_per_s);
	json_runs(out, r->splice_runs, r->reps);
	fprintf(out, "}}\n  },\n");
}
