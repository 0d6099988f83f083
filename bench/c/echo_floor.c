/*
 * The echo scenario's floor in bench-c: echo_capture.c's capture, start to
 * "hello\n" in hand and the child reaped, by vfork + execve and by
 * posix_spawn, alternating. Blocking reads and waitpid: the least a
 * capture can do (the JS side also has its event loop to run).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include "bench.h"

int echo_floor(long n, struct lat *vfork_lat, struct lat *posix_lat)
{
	uint64_t *ns[2];
	long i, warm = n / 20 + 5;
	int j, r = 0;
	ns[0] = calloc((size_t)n, sizeof(uint64_t));
	ns[1] = calloc((size_t)n, sizeof(uint64_t));
	if (!ns[0] || !ns[1])
		abort();
	for (i = -warm; i < n && r == 0; i++)
		for (j = 0; j < 2 && r == 0; j++) {
			int m = (int)((i + warm + j) & 1); /* the order rotates, as bench/scenarios/echo.ts */
			uint64_t t0 = now_ns();
			r = echo_capture(m);
			if (i >= 0)
				ns[m][i] = now_ns() - t0;
		}
	if (r == 0) {
		vfork_lat->n = posix_lat->n = n;
		vfork_lat->p50 = percentile_us(ns[0], n, 0.50);
		vfork_lat->p99 = percentile_us(ns[0], n, 0.99);
		posix_lat->p50 = percentile_us(ns[1], n, 0.50);
		posix_lat->p99 = percentile_us(ns[1], n, 0.99);
	}
	free(ns[0]);
	free(ns[1]);
	return r;
}
