/* C tests of libaspawn against real processes.
 *   aspawn-test [LIBRARY] [NAME-FILTER]
 * LIBRARY defaults to $ASPAWN_LIBRARY, then ./libaspawn.so. */
#define _GNU_SOURCE
#include "helpers.h"
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

int check_failures;
const char *test_library;
const char *check_current;
extern int test_scale;
extern const struct test_case exec_tests[], step_tests[], fdmap_tests[], signal_tests[], reactor_tests[],
	stress_tests[], fdtable_tests[], tree_tests[], environ_tests[], pty_tests[], sync_tests[], sock_tests[],
	launch_tests[];
int tree_forker(void);
int tree_vfork(void);
int probe_under_seccomp(const char *lib);

/* As much static TLS as Bun 1.1-1.3.0 carry (300-370 KiB), more than the
 * library's helper threads ask for as a stack: glibc puts static TLS on
 * each thread's stack and refused (EINVAL) to start the reactor, so every
 * test that uses it failed before helper_thread.c. Touched in main(): the
 * linker keeps it. */
static __thread volatile char big_static_tls[400 << 10];

/* A hung test must name itself: without this, CI only saw the arm64 VM killed
 * after 900 s with no line of output. A thread, not alarm(): the sync tests
 * own ITIMER_REAL and SIGALRM. */
static unsigned test_generation; /* atomic: the watchdog reads it */
static unsigned test_limit_s = 300;

static void print_proc_file(int pid, const char *name)
{
	char path[64], line[512];
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof line, f)) {
		char *end = strrchr(line, ')'); /* stat: keep pid, comm, state, ppid */
		int fields = 0;
		while (end && *end && *end != '\n' && fields < 3)
			fields += *++end == ' ';
		if (end)
			*end = 0;
		line[strcspn(line, "\n")] = 0;
		fprintf(stderr, "    %s: %s\n", path, line);
	}
	if (f)
		fclose(f);
}

/* This process, its threads' wait channels, and its descendants. */
static void print_tree(int pid, int depth)
{
	char path[64];
	struct dirent *e;
	DIR *tasks;
	print_proc_file(pid, "stat");
	print_proc_file(pid, "wchan");
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	tasks = opendir(path);
	while (tasks && (e = readdir(tasks))) {
		FILE *f;
		int child;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/children", pid, e->d_name);
		f = fopen(path, "r");
		while (f && depth < 8 && fscanf(f, "%d", &child) == 1)
			print_tree(child, depth + 1);
		if (f)
			fclose(f);
	}
	if (tasks)
		closedir(tasks);
}

static void *watchdog(void *arg)
{
	unsigned seen = __atomic_load_n(&test_generation, __ATOMIC_RELAXED), now, idle_s = 0;
	struct timespec second = {1, 0};
	(void)arg;
	for (;;) {
		nanosleep(&second, 0);
		now = __atomic_load_n(&test_generation, __ATOMIC_RELAXED);
		idle_s = seen == now ? idle_s + 1 : 0;
		seen = now;
		if (idle_s < test_limit_s)
			continue;
		fprintf(stderr, "TIMEOUT %s: no result after %u s; processes:\n", check_current, test_limit_s);
		print_tree(getpid(), 0);
		_exit(124);
	}
	return 0;
}

static void start_watchdog(void)
{
	pthread_t t;
	sigset_t all, old;
	if (getenv("ASPAWN_TEST_TIMEOUT"))
		test_limit_s = (unsigned)atoi(getenv("ASPAWN_TEST_TIMEOUT"));
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, 0, watchdog, 0) == 0)
		pthread_detach(t);
	pthread_sigmask(SIG_SETMASK, &old, 0);
}

int main(int argc, char **argv)
{
	const struct test_case *suites[] = {stress_tests, exec_tests, step_tests, fdmap_tests, signal_tests, reactor_tests,
						fdtable_tests, tree_tests, environ_tests, pty_tests, sync_tests, sock_tests,
						launch_tests};
	const char *lib = argc > 1 ? argv[1] : getenv("ASPAWN_LIBRARY");
	const char *filter = argc > 2 ? argv[2] : 0;
	int passed = 0, failed = 0, skipped = 0, qemu_user = getenv("ASPAWN_TEST_QEMU_USER") != 0;
	size_t s;
	big_static_tls[0] = 1;
	/* The forking child of the tree tests (the test binary runs it). */
	if (argc > 1 && strcmp(argv[1], "--tree-forker") == 0)
		return tree_forker();
	if (argc > 1 && strcmp(argv[1], "--tree-vfork") == 0)
		return tree_vfork();
	if (argc > 2 && strcmp(argv[1], "--probe-under-seccomp") == 0)
		return probe_under_seccomp(argv[2]);
	if (!lib)
		lib = "./libaspawn.so";
	if (getenv("ASPAWN_TEST_SCALE"))
		test_scale = atoi(getenv("ASPAWN_TEST_SCALE"));
	if (test_scale < 1)
		test_scale = 1;
	test_library = lib;
	start_watchdog();
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
			__atomic_add_fetch(&test_generation, 1, __ATOMIC_RELAXED);
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
