/*
 * The stdout scenario's floor, timed in bench-c's process: reader_loop.c's
 * read of the producer's stdout, start to reaped, 1e6 bytes per MB as the
 * JS side.
 *
 * "The best C reader": the pipe size (F_SETPIPE_SZ) and read size are
 * tuned first on tune_bytes per pair, then the best pair reads `bytes`
 * `reps` times (median). splice(2) into /dev/null with the best pipe size
 * moves the bytes without copying them to us: a ceiling no reader that
 * sees the bytes can reach, reported, not a target.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"

#define KIB 1024L

static const long pipe_sizes[] = {64 * KIB, 256 * KIB, 1024 * KIB}; /* 64 KiB: Linux's default */
static const long read_sizes[] = {64 * KIB, 256 * KIB, 1024 * KIB};

static char *buf;

static double mb_per_s(long bytes, uint64_t t0)
{
	return (double)bytes / 1e6 / ((double)(now_ns() - t0) / 1e9);
}

/* One read of the whole stdout (reader_loop.c): MB/s, or < 0 (-errno). */
static double read_once(long bytes, long pipe_size, long read_size)
{
	uint64_t t0 = now_ns();
	int r = read_to_eof(bytes, pipe_size, read_size, buf);
	return r < 0 ? r : mb_per_s(bytes, t0);
}

static double splice_once(long bytes, long pipe_size)
{
	uint64_t t0 = now_ns();
	int r = splice_to_null(bytes, pipe_size);
	return r < 0 ? r : mb_per_s(bytes, t0);
}

/* The pipe sizes above that this system allows an unprivileged user (fs.pipe-max-size). */
static long pipe_max(void)
{
	long m = 1024 * KIB;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	if (f) {
		if (fscanf(f, "%ld", &m) != 1)
			m = 1024 * KIB;
		fclose(f);
	}
	return m;
}

int reader_floor(long bytes, long tune_bytes, int reps, struct reader_floor *r)
{
	long max = pipe_max();
	int i, j, k = 0;
	double v;
	if (reps > READER_MAX_REPS)
		reps = READER_MAX_REPS;
	buf = malloc((size_t)read_sizes[2]);
	if (!buf)
		abort();
	snprintf(r->producer, sizeof r->producer, "head -c %ld /dev/zero", bytes);
	r->bytes = bytes;
	r->tune_bytes = tune_bytes;
	r->reps = reps;
	r->best.mb_per_s = 0;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			struct reader_cfg *c = &r->tuned[k++];
			c->pipe_size = pipe_sizes[i] <= max ? pipe_sizes[i] : max;
			c->read_size = read_sizes[j];
			if ((v = read_once(tune_bytes, c->pipe_size, c->read_size)) < 0)
				goto fail;
			c->mb_per_s = v;
			if (v > r->best.mb_per_s)
				r->best = *c;
		}
	for (i = 0; i < reps; i++) {
		/* Alternating, so a noisy moment hits both. */
		if ((v = read_once(bytes, r->best.pipe_size, r->best.read_size)) < 0)
			goto fail;
		r->runs[i] = v;
		if ((v = splice_once(bytes, r->best.pipe_size)) < 0)
			goto fail;
		r->splice_runs[i] = v;
	}
	{
		double a[READER_MAX_REPS], b[READER_MAX_REPS];
		for (i = 0; i < reps; i++) {
			a[i] = r->runs[i];
			b[i] = r->splice_runs[i];
		}
		r->best.mb_per_s = median_of(a, reps);
		r->splice_mb_per_s = median_of(b, reps);
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return (int)v;
}
