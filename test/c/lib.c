/* Loads the library under test with dlopen (the C tests and bench/c). */
#include <dlfcn.h>
#include <stdio.h>
#include "lib.h"

struct lib L;

int lib_load(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -1;
	}
#define SYM(field, name)                                                     \
	do {                                                                 \
		*(void **)&L.field = dlsym(h, name);                         \
		if (!L.field) {                                              \
			fprintf(stderr, "missing symbol %s\n", name);        \
			return -1;                                           \
		}                                                            \
	} while (0)
	SYM(version, "asp_version");
	SYM(capabilities, "asp_capabilities");
	SYM(spawn, "asp_spawn");
	SYM(spawn_start, "asp_spawn_start");
	SYM(launched, "asp_launched");
	SYM(status_read, "asp_status_read");
	SYM(wait, "asp_wait");
	SYM(kill, "asp_kill");
	SYM(killpg, "asp_killpg");
	SYM(kill_tree, "asp_kill_tree");
	SYM(pty_open, "asp_pty_open");
	SYM(pty_resize, "asp_pty_resize");
	SYM(pty_size, "asp_pty_size");
	SYM(read, "asp_read");
	SYM(write, "asp_write");
	SYM(close, "asp_close");
	SYM(reactor_open, "asp_reactor_open");
	SYM(reactor_close, "asp_reactor_close");
	SYM(watch, "asp_watch");
	SYM(rearm, "asp_rearm");
	SYM(unwatch, "asp_unwatch");
	SYM(watch2, "asp_watch2");
	SYM(spawn_watch, "asp_spawn_watch");
	SYM(status_take, "asp_status_take");
	SYM(exit_take, "asp_exit_take");
	SYM(read_arm, "asp_read_arm");
	SYM(run_sync, "asp_run_sync");
	SYM(sync_take, "asp_sync_take");
	SYM(sync_free, "asp_sync_free");
	SYM(socketpair, "asp_socketpair");
	SYM(send_fds, "asp_send_fds");
	SYM(recv_fds, "asp_recv_fds");
	SYM(accept, "asp_accept");
	return 0;
}
