/* Loads libaspawn.so with dlopen, the way the JS runtimes' FFI will. */
#include <dlfcn.h>
#include <stdio.h>
#include "bench.h"

struct asp_lib asp;

int asp_load(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "bench-c: dlopen %s: %s\n", path, dlerror());
		return -1;
	}
#define SYM(field, name)                                                     \
	do {                                                                 \
		*(void **)&asp.field = dlsym(h, name);                       \
		if (!asp.field) {                                            \
			fprintf(stderr, "bench-c: %s: no symbol %s\n", path, name); \
			return -1;                                           \
		}                                                            \
	} while (0)
	SYM(version, "asp_version");
	SYM(capabilities, "asp_capabilities");
	SYM(spawn, "asp_spawn");
	SYM(status_read, "asp_status_read");
	SYM(wait, "asp_wait");
	SYM(reactor_open, "asp_reactor_open");
#undef SYM
	/* Start the reactor thread, as every JS context does: with it running,
	 * the library shares the fd table with the child until the child
	 * unshares it (the caller's cost stops growing with the table). */
	{
		int32_t fd;
		if (asp.reactor_open(&fd) < 0) {
			fprintf(stderr, "bench-c: asp_reactor_open failed\n");
			return -1;
		}
	}
	return 0;
}
