/* The storm's floor in bench-c's process: loop_storm.c's loop, its gaps as percentiles. */
#define _GNU_SOURCE
#include <stdlib.h>
#include "bench.h"

int loop_floor(long total, struct loop_floor *r)
{
	struct gaps g = {0};
	uint64_t elapsed = 0;
	long failed = 0, warm_failed = 0;
	int e = loop_storm(INFLIGHT * 2, 0, &elapsed, &warm_failed); /* warm-up */
	if (e == 0)
		e = loop_storm(total, &g, &elapsed, &failed);
	failed_spawns += warm_failed + failed;
	if (e < 0) {
		free(g.ns);
		return e;
	}
	r->total = total;
	r->seconds = (double)elapsed / 1e9;
	r->per_s = (double)total / r->seconds;
	r->ticks = (double)(g.n - 1); /* the final gap is no tick */
	r->ticks_per_s = r->ticks / r->seconds;
	r->gap_p50_ms = percentile_us(g.ns, g.n, 0.50) / 1000;
	r->gap_p99_ms = percentile_us(g.ns, g.n, 0.99) / 1000;
	r->gap_max_ms = (double)g.ns[g.n - 1] / 1e6; /* sorted by percentile_us */
	free(g.ns);
	return 0;
}
