/*
 * Parent configurations. Each one loads what makes a parent expensive to
 * clone for some method: a large touched heap (page tables, for anything
 * fork-like) and a large fd table (copied by every clone without
 * CLONE_FILES).
 *
 * The fd table never shrinks once grown, so the fd parent must come last.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "bench.h"

#define BIG_HEAP ((size_t)4 << 30)
#define EXTRA_FDS 10000

const char *const parent_names[NPARENTS] = {"small", "4GiB", "10k-fds"};

static char *heap;
static int fds[EXTRA_FDS];

int parent_enter(enum parent_id p)
{
	switch (p) {
	case P_SMALL:
		return 0;
	case P_4GIB:
		/* THP is "madvise" here, so this is 1 Mi 4 KiB pages, as a
		 * runtime's heap would mostly be. */
		heap = malloc(BIG_HEAP);
		if (!heap) {
			perror("bench-c: malloc 4 GiB");
			return -1;
		}
		memset(heap, 1, BIG_HEAP);
		return 0;
	case P_FDS: {
		struct rlimit rl;
		int i;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		for (i = 0; i < EXTRA_FDS; i++) {
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fds[i] < 0) {
				perror("bench-c: open /dev/null (10 000 fds)");
				while (i--)
					close(fds[i]);
				return -1;
			}
		}
		return 0;
	}
	default:
		return -1;
	}
}

void parent_leave(enum parent_id p)
{
	int i;
	switch (p) {
	case P_4GIB:
		free(heap);
		heap = 0;
		break;
	case P_FDS:
		for (i = 0; i < EXTRA_FDS; i++)
			close(fds[i]);
		break;
	default:
		break;
	}
}
