/* The table, the project's target ratios (DESIGN.md "Performance targets") and the JSON file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "bench.h"

#define ACROSS_ALL (-1)
#define ACROSS_HEAP (-2)

struct ratio {
	const char *name, *label;
	int parent; /* or ACROSS_* */
	double value, target;
	int at_least; /* the target is a lower bound */
	int pass;
};

static struct ratio ratios[16];
static int nratios;

static void add_ratio(const char *name, const char *label, int parent, double v, double target, int at_least)
{
	struct ratio *r = &ratios[nratios++];
	r->name = name;
	r->label = label;
	r->parent = parent;
	r->value = v;
	r->target = target;
	r->at_least = at_least;
	r->pass = at_least ? v >= target : v <= target;
}

static const char *ratio_parent(const struct ratio *r)
{
	return r->parent == ACROSS_ALL ? "all" : r->parent == ACROSS_HEAP ? "heap" : parent_names[r->parent];
}

/* max/min of asp's blocked p50 over the parents in mask that ran; 0 if < 2 ran. */
static double flatness(const struct run_info *ri, struct cell c[NPARENTS][NMETHODS], unsigned mask)
{
	double lo = 1e300, hi = 0;
	int p, k = 0;
	for (p = 0; p < NPARENTS; p++)
		if (ri->ran[p] && (mask >> p & 1)) {
			lo = c[p][M_ASP].p50 < lo ? c[p][M_ASP].p50 : lo;
			hi = c[p][M_ASP].p50 > hi ? c[p][M_ASP].p50 : hi;
			k++;
		}
	return k >= 2 ? hi / lo : 0;
}

static void compute_ratios(const struct run_info *ri, struct cell c[NPARENTS][NMETHODS])
{
	double f;
	int p;
	nratios = 0;
	for (p = 0; p < NPARENTS; p++)
		if (ri->ran[p])
			add_ratio("asp_blocked_p50_over_floor", "asp blocked p50 / floor p50", p,
				  c[p][M_ASP].p50 / c[p][M_FLOOR].p50, 1.3, 0);
	for (p = 0; p < NPARENTS; p++)
		if (ri->ran[p])
			add_ratio("asp_blocked_p50_over_posix_spawn", "asp blocked p50 / posix_spawn p50", p,
				  c[p][M_ASP].p50 / c[p][M_POSIX_SPAWN].p50, 0.4, 0);
	/* The brief asks for flatness over all three parents; DESIGN.md's
	 * target is over heap size only (100 MiB to 4 GiB). Both are shown. */
	if ((f = flatness(ri, c, 7)) > 0)
		add_ratio("asp_blocked_p50_flatness", "asp blocked p50 max/min", ACROSS_ALL, f, 1.3, 0);
	if (ri->ran[P_FDS] && (f = flatness(ri, c, 1u << P_SMALL | 1u << P_4GIB)) > 0)
		add_ratio("asp_blocked_p50_flatness_heap", "asp blocked p50 max/min (small, 4GiB)", ACROSS_HEAP, f, 1.3,
			  0);
	for (p = 0; p < NPARENTS; p++)
		if (ri->ran[p])
			add_ratio("asp_inflight_over_vfork", "asp 32-in-flight/s / vfork", p,
				  c[p][M_ASP].inflight_per_s / c[p][M_VFORK].inflight_per_s, 0.95, 1);
}

static void print_table(const struct run_info *ri, struct cell c[NPARENTS][NMETHODS])
{
	int p, m;
	printf("\nspawn /bin/true (stdin /dev/null, stdout pipe); blocked = caller's time in the spawn call\n");
	printf("%-8s %-20s %9s %9s %9s %8s %14s\n", "parent", "method", "p50 us", "p99 us", "mean us", "seq/s",
	       "32-inflight/s");
	for (p = 0; p < NPARENTS; p++) {
		if (!ri->ran[p])
			continue;
		printf("-- %s: RSS %ld MiB, %d fds\n", parent_names[p], ri->rss_kib[p] >> 10, ri->fds[p]);
		for (m = 0; m < NMETHODS; m++) {
			const struct cell *x = &c[p][m];
			printf("%-8s %-20s %9.1f %9.1f %9.1f %8.0f %14.0f\n", parent_names[p], methods[m].name, x->p50,
			       x->p99, x->mean, x->seq_per_s, x->inflight_per_s);
			if (m == M_ASP)
				printf("%-8s %-20s %9.1f %9.1f\n", parent_names[p], "  asp_spawn alone", x->inner_p50,
				       x->inner_p99);
		}
	}
}

static void print_ratios(const struct run_info *ri, struct cell c[NPARENTS][NMETHODS])
{
	int i, p, all = 1;
	printf("\ntargets\n");
	for (i = 0; i < nratios; i++) {
		const struct ratio *r = &ratios[i];
		printf("  %-40s %-8s %6.2f  (%s %.2f)  %s\n", r->label, ratio_parent(r), r->value,
		       r->at_least ? ">=" : "<=", r->target, r->pass ? "PASS" : "MISS");
		all &= r->pass;
	}
	printf("  overall: %s\n", all ? "PASS" : "MISS");
	/* floor+FILES also leaves its 2 closes of the child's ends out of the
	 * timed call (they must wait for the child's unshare). */
	printf("\nexperiment: CLONE_FILES + unshare in the child, blocked p50 floor+FILES / floor:");
	for (p = 0; p < NPARENTS; p++)
		if (ri->ran[p])
			printf("  %s %.2f (%.1f / %.1f us)", parent_names[p], c[p][M_FLOOR_FILES].p50 / c[p][M_FLOOR].p50,
			       c[p][M_FLOOR_FILES].p50, c[p][M_FLOOR].p50);
	printf("\n");
}

static void json_cell(FILE *f, const struct cell *x, int asp)
{
	fprintf(f, "{\"blocked_p50_us\": %.2f, \"blocked_p99_us\": %.2f, \"blocked_mean_us\": %.2f, ", x->p50, x->p99,
		x->mean);
	if (asp)
		fprintf(f, "\"asp_spawn_alone_p50_us\": %.2f, \"asp_spawn_alone_p99_us\": %.2f, ", x->inner_p50,
			x->inner_p99);
	fprintf(f, "\"seq_per_s\": %.1f, \"inflight32_per_s\": %.1f}", x->seq_per_s, x->inflight_per_s);
}

static void json_parents(FILE *f, const struct run_info *ri, struct cell c[NPARENTS][NMETHODS])
{
	const char *sep = "";
	int p, m;
	fprintf(f, "  \"parents\": {");
	for (p = 0; p < NPARENTS; p++) {
		if (!ri->ran[p])
			continue;
		fprintf(f, "%s\n    \"%s\": {\"rss_kib\": %ld, \"fds\": %d, \"methods\": {\n", sep, parent_names[p],
			ri->rss_kib[p], ri->fds[p]);
		for (m = 0; m < NMETHODS; m++) {
			fprintf(f, "      \"%s\": ", methods[m].name);
			json_cell(f, &c[p][m], m == M_ASP);
			fprintf(f, "%s\n", m + 1 < NMETHODS ? "," : "");
		}
		fprintf(f, "    }}");
		sep = ",";
	}
	fprintf(f, "\n  },\n");
}

static int write_json(const char *path, const struct run_info *ri, struct cell c[NPARENTS][NMETHODS])
{
	struct utsname u;
	char dir[4096], *slash;
	FILE *f;
	int i;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = 0;
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			return -1;
	}
	if (!(f = fopen(path, "w")))
		return -1;
	uname(&u);
	fprintf(f, "{\n  \"kernel\": \"%s\", \"quick\": %s, \"n\": %ld, \"inflight\": %d, \"inflight_n\": %ld,\n",
		u.release, ri->quick ? "true" : "false", ri->n, INFLIGHT, ri->inflight_n);
	fprintf(f, "  \"library\": \"%s\", \"asp_version\": %d, \"asp_capabilities\": %d,\n", ri->library,
		ri->asp_version, ri->asp_caps);
	fprintf(f, "  \"loadavg_start\": %.2f, \"loadavg_end\": %.2f, \"seconds\": %.1f,\n", ri->load_start, ri->load_end,
		ri->seconds);
	json_parents(f, ri, c);
	json_floors(f, &ri->floors);
	fprintf(f, "  \"ratios\": [\n");
	for (i = 0; i < nratios; i++) {
		const struct ratio *r = &ratios[i];
		fprintf(f, "    {\"name\": \"%s\", \"parent\": \"%s\", \"value\": %.3f, \"target\": \"%s %.2f\", \"pass\": %s}%s\n",
			r->name, ratio_parent(r), r->value, r->at_least ? ">=" : "<=", r->target,
			r->pass ? "true" : "false", i + 1 < nratios ? "," : "");
	}
	fprintf(f, "  ],\n  \"end\": {\"fds_start\": %d, \"fds_end\": %d, \"zombies\": %d, \"failed_spawns\": %ld}\n}\n",
		ri->fds_start, ri->fds_end, ri->zombies, failed_spawns);
	return fclose(f);
}

void report(const struct run_info *ri, struct cell cells[NPARENTS][NMETHODS], const char *json_path)
{
	compute_ratios(ri, cells);
	printf("bench-c: %s, libaspawn %s (ABI %d, caps 0x%x), n=%ld, %d in flight x %ld, %.1f s, load %.2f -> %.2f\n",
	       ri->quick ? "quick" : "full", ri->library, ri->asp_version, ri->asp_caps, ri->n, INFLIGHT,
	       ri->inflight_n, ri->seconds, ri->load_start, ri->load_end);
	print_table(ri, cells);
	print_floors(&ri->floors);
	print_ratios(ri, cells);
	printf("\nend: %d fds open (%d at start), %d zombies, %ld failed spawns\n", ri->fds_end, ri->fds_start,
	       ri->zombies, failed_spawns);
	if (write_json(json_path, ri, cells) < 0)
		fprintf(stderr, "bench-c: cannot write %s: %s\n", json_path, strerror(errno));
	else
		printf("wrote %s\n", json_path);
}
