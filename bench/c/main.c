/*
 * bench-c [--quick] [--parents small,4GiB,10k-fds|none] [--no-floors] [--json PATH] [LIBRARY]
 *
 * First, while this process is small, the floors of the JS scenarios
 * (floors.c: the storm as a C epoll loop, echo captured, the best stdout
 * reader) unless --no-floors; then the spawn methods per parent:
 * Every method runs in the same process and phase, interleaved, so a noisy
 * moment of this 2-core VM lands on all of them alike:
 *  - blocked/sequential: each iteration spawns once with every method, in
 *    an order that rotates per iteration; only the spawn call is timed for
 *    "blocked", the spawn plus its full reaping for "sequential".
 *  - 32 in flight: rounds of a chunk per method, the order rotating per round.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

#define ROUNDS 4

static void child_reset(struct child *c)
{
	memset(c, 0, sizeof *c);
	c->pid = c->pidfd = c->status_fd = c->out_fd = c->in_fd = c->err_fd = -1;
	c->child_ends[0] = c->child_ends[1] = -1;
}

static void spawn_or_die(const struct method *m, struct child *c, uint64_t *inner)
{
	int r;
	child_reset(c);
	r = m->spawn(c, inner);
	if (r < 0) {
		fprintf(stderr, "bench-c: %s spawn failed: %s\n", m->name, strerror(-r));
		exit(1);
	}
}

struct samples {
	uint64_t *blocked, *inner;
	uint64_t seq_ns;
};

static void run_sequential(long n, struct samples s[NMETHODS], int record)
{
	long i;
	int j, done;
	for (i = 0; i < n; i++)
		for (j = 0; j < NMETHODS; j++) {
			const struct method *m = &methods[(i + j) % NMETHODS];
			struct child c;
			uint64_t inner = 0, t0, t1;
			t0 = now_ns();
			spawn_or_die(m, &c, &inner);
			t1 = now_ns();
			while (!reap_some(m, &c, 1, &done))
				;
			if (record) {
				struct samples *x = &s[m - methods];
				x->blocked[i] = t1 - t0;
				x->inner[i] = inner;
				x->seq_ns += now_ns() - t0;
			}
		}
}

/* total spawns of one method with up to INFLIGHT children alive; ns taken. */
static uint64_t run_inflight(const struct method *m, long total)
{
	struct child tab[INFLIGHT];
	int done[INFLIGHT], k, i;
	long started = 0, finished = 0;
	uint64_t inner, t0 = now_ns();
	for (i = 0; i < INFLIGHT && started < total; i++, started++)
		spawn_or_die(m, &tab[i], &inner);
	for (; i < INFLIGHT; i++) {
		child_reset(&tab[i]);
		tab[i].reaped = 1; /* empty */
	}
	while (finished < total) {
		k = reap_some(m, tab, INFLIGHT, done);
		for (i = 0; i < k; i++) {
			finished++;
			if (started < total) {
				spawn_or_die(m, &tab[done[i]], &inner);
				started++;
			}
		}
	}
	return now_ns() - t0;
}

static void run_parent(enum parent_id p, long n, long inflight_n, struct cell cells[NMETHODS], struct run_info *ri)
{
	static struct samples s[NMETHODS];
	uint64_t inf_ns[NMETHODS] = {0};
	long chunk = inflight_n / ROUNDS, r;
	int j;

	for (j = 0; j < NMETHODS; j++) {
		s[j].blocked = calloc((size_t)n, sizeof(uint64_t));
		s[j].inner = calloc((size_t)n, sizeof(uint64_t));
		s[j].seq_ns = 0;
	}
	ri->rss_kib[p] = rss_kib();
	ri->fds[p] = count_fds();
	fprintf(stderr, "bench-c: parent %s (RSS %ld MiB, %d fds): sequential x %ld...\n", parent_names[p],
		ri->rss_kib[p] >> 10, ri->fds[p], n);
	run_sequential(n / 20 + 10, s, 0); /* warm-up: stack pools, page cache, branch predictors */
	run_sequential(n, s, 1);
	fprintf(stderr, "bench-c: parent %s: %d in flight x %ld...\n", parent_names[p], INFLIGHT, chunk * ROUNDS);
	for (r = 0; r < ROUNDS; r++)
		for (j = 0; j < NMETHODS; j++) {
			int m = (int)((r + j) % NMETHODS);
			inf_ns[m] += run_inflight(&methods[m], chunk);
		}
	for (j = 0; j < NMETHODS; j++) {
		struct cell *c = &cells[j];
		c->p50 = percentile_us(s[j].blocked, n, 0.50);
		c->p99 = percentile_us(s[j].blocked, n, 0.99);
		c->mean = mean_us(s[j].blocked, n);
		c->inner_p50 = j == M_ASP ? percentile_us(s[j].inner, n, 0.50) : 0;
		c->inner_p99 = j == M_ASP ? percentile_us(s[j].inner, n, 0.99) : 0;
		c->seq_per_s = (double)n * 1e9 / (double)s[j].seq_ns;
		c->inflight_per_s = (double)(chunk * ROUNDS) * 1e9 / (double)inf_ns[j];
		free(s[j].blocked);
		free(s[j].inner);
	}
}

static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

int main(int argc, char **argv)
{
	static struct cell cells[NPARENTS][NMETHODS];
	struct run_info ri = {0};
	const char *json = "bench/results/c.json", *only = 0;
	uint64_t t0 = now_ns(), t1;
	int i, floors = 1;

	ri.library = getenv("ASPAWN_LIBRARY");
	if (!ri.library || !*ri.library)
		ri.library = "prebuilds/linux-x64/libaspawn.so";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			ri.quick = 1;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else if (!strcmp(argv[i], "--parents") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--no-floors"))
			floors = 0;
		else if (argv[i][0] != '-')
			ri.library = argv[i];
		else {
			fprintf(stderr, "usage: bench-c [--quick] [--parents LIST] [--no-floors] [--json PATH] [LIBRARY]\n");
			return 2;
		}
	}
	ri.n = ri.quick ? 1000 : 2000;
	ri.inflight_n = ri.quick ? 500 : 6000;
	ri.load_start = loadavg();
	if (methods_init(ri.library) < 0)
		return 1;
	/* After loading: the reactor's own fds (epoll, eventfd, notify pipe) stay. */
	ri.fds_start = count_fds();
	ri.asp_version = L.version();
	ri.asp_caps = L.capabilities();
	if (floors && run_floors(ri.quick, &ri.floors) < 0)
		return 1;

	for (i = 0; i < NPARENTS; i++) {
		ri.ran[i] = !only || strstr(only, parent_names[i]);
		if (!ri.ran[i])
			continue;
		t1 = now_ns();
		if (parent_enter((enum parent_id)i) < 0)
			return 1;
		/* Touching 4 GiB costs 2-10 s here: the VM's host backs the pages lazily. */
		fprintf(stderr, "bench-c: parent %s set up in %.1f s\n", parent_names[i], (double)(now_ns() - t1) / 1e9);
		run_parent((enum parent_id)i, ri.n, ri.inflight_n, cells[i], &ri);
		parent_leave((enum parent_id)i);
	}
	methods_fini();
	ri.fds_end = count_fds();
	ri.zombies = count_zombie_children();
	ri.load_end = loadavg();
	ri.seconds = (double)(now_ns() - t0) / 1e9;
	report(&ri, cells, json);
	return failed_spawns || ri.zombies || ri.fds_end > ri.fds_start; /* a leak grows the table */
}
