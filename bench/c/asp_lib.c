/* The library, dlopen'ed (test/c/lib.c) with its reactor running. */
#include <stdio.h>
#include "bench.h"

int asp_load(const char *path)
{
	int32_t fd;
	if (lib_load(path) < 0)
		return -1;
	/* Start the reactor thread, as every JS context does: with it running,
	 * the library shares the fd table with the child until the child
	 * unshares it (the caller's cost stops growing with the table). */
	if (L.reactor_open(&fd) < 0) {
		fprintf(stderr, "bench-c: asp_reactor_open failed\n");
		return -1;
	}
	return 0;
}
