/* C tests of libaspawn against real processes.
 *   aspawn-test [LIBRARY] [NAME-FILTER]
 * LIBRARY defaults to $ASPAWN_LIBRARY, then ./libaspawn.so. */
#define _GNU_SOURCE
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int check_failures;
const char *test_library;
const char *check_current;
extern int test_scale;
extern const struct test_case exec_tests[], step_tests[], fdmap_tests[], signal_tests[], reactor_tests[],
	stress_tests[], fdtable_tests[], tree_tests[], environ_tests[], pty_tests[], sync_tests[], sock_tests[];
int tree_forker(void);
int tree_vfork(void);

int main(int argc, char **argv)
{
	const struct test_case *suites[] = {stress_tests, exec_tests, step_tests, fdmap_tests, signal_tests, reactor_tests,
						fdtable_tests, tree_tests, environ_tests, pty_tests, sync_tests, sock_tests};
	const char *lib = argc > 1 ? argv[1] : getenv("ASPAWN_LIBRARY");
	const char *filter = argc > 2 ? argv[2] : 0;
	int passed = 0, failed = 0, skipped = 0, qemu_user = getenv("ASPAWN_TEST_QEMU_USER") != 0;
	size_t s;
	/* The forking child of the tree tests (the test binary runs it). */
	if (argc > 1 && strcmp(argv[1], "--tree-forker") == 0)
		return tree_forker();
	if (argc > 1 && strcmp(argv[1], "--tree-vfork") == 0)
		return tree_vfork();
	if (!lib)
		lib = "./libaspawn.so";
	if (getenv("ASPAWN_TEST_SCALE"))
		test_scale = atoi(getenv("ASPAWN_TEST_SCALE"));
	if (test_scale < 1)
		test_scale = 1;
	test_library = lib;
	if (lib_load(lib) < 0)
		return 2;
	/* With the reactor running, CLONE_VM spawns share our fd table until the
	 * child unshares it (the path the TypeScript API always takes). */
	if (getenv("ASPAWN_TEST_REACTOR") && strcmp(getenv("ASPAWN_TEST_REACTOR"), "1") == 0) {
		int32_t fd;
		if (L.reactor_open(&fd) < 0)
			return 2;
		fprintf(stderr, "    reactor running: fd tables shared until unshare\n");
	}
	for (s = 0; s < sizeof suites / sizeof suites[0]; s++) {
		const struct test_case *t;
		for (t = suites[s]; t->name; t++) {
			int before = check_failures;
			if (filter && !strstr(t->name, filter))
				continue;
			if (qemu_user && t->not_under_qemu_user) {
				skipped++;
				fprintf(stderr, "skip %s: %s\n", t->name, t->not_under_qemu_user);
				continue;
			}
			check_current = t->name;
			t->fn();
			if (check_failures == before) {
				passed++;
				fprintf(stderr, "ok   %s\n", t->name);
			} else {
				failed++;
				fprintf(stderr, "FAIL %s\n", t->name);
			}
		}
	}
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
