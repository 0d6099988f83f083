/* Clock, percentiles and RSS (leaked fds and zombies: test/c/proc.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: with 2000 samples p99 is the 20th largest, not an interpolation. */
double percentile_us(uint64_t *ns, long n, double q)
{
	long i;
	if (n <= 0)
		return 0;
	qsort(ns, (size_t)n, sizeof *ns, cmp_u64);
	i = (long)(q * (double)n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return (double)ns[i] / 1000.0;
}

double mean_us(const uint64_t *ns, long n)
{
	double s = 0;
	long i;
	for (i = 0; i < n; i++)
		s += (double)ns[i];
	return n ? s / (double)n / 1000.0 : 0;
}

long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}
