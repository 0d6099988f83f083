/* Exec success and failure, PATH search, argv and environment. */
#define _GNU_SOURCE
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void exec_true(void)
{
	struct req r;
	struct run_result res;
	req_begin(&r, "/bin/true", 0);
	req_arg(&r, "true");
	run_req(&r, &res);
	CHECK_EQ_INT(res.err, 0);
	CHECK(res.out[ASP_OUT_PID] > 0);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.si_code, 1 /* CLD_EXITED */);
	CHECK_EQ_INT(res.w.code, 0);
}

static void exit_code(void)
{
	struct run_result res;
	run_sh("exit 3", 0, &res);
	CHECK_EQ_INT(res.err, 0);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_INT(res.w.code, 3);
}

static void argv_env(void)
{
	struct req r;
	struct run_result res;
	req_begin(&r, "/bin/sh", 0);
	req_arg(&r, "sh"); /* argv[0] comes from argv, not from the path */
	req_arg(&r, "-c");
	req_arg(&r, "printf '%s|%s|' \"$0\" \"$FOO\"; tr '\\0' ' ' < /proc/$$/cmdline; true");
	req_arg(&r, "one two");
	req_env(&r, "FOO=bar baz");
	req_capture(&r);
	run_req(&r, &res);
	CHECK(strncmp(res.text, "one two|bar baz|sh -c ", 22) == 0);
}

static void expect_exec_error(const char *file, uint32_t flags, const char *path_env, int err)
{
	struct req r;
	struct run_result res;
	req_begin(&r, file, flags);
	req_arg(&r, file);
	if (path_env)
		req_env(&r, path_env);
	run_req(&r, &res);
	CHECK_EQ_INT(res.err, 0);
	CHECK_EQ_INT(res.record, 1);
	CHECK_EQ_INT(res.rec[0], err);
	CHECK_EQ_INT(res.rec[1], ASP_STEP_EXEC);
	CHECK_EQ_INT(res.w.code, 127);
}

static void enoent(void) { expect_exec_error("/nonexistent/program", 0, 0, ENOENT); }
static void enotdir(void) { expect_exec_error("/etc/passwd/x", 0, 0, ENOTDIR); }
static void empty_file(void) { expect_exec_error("", ASP_REQ_SEARCH_PATH, "PATH=/bin", ENOENT); }
static void path_enoent(void) { expect_exec_error("no-such-program-aspawn", ASP_REQ_SEARCH_PATH, "PATH=/bin:/usr/bin", ENOENT); }

static char *make_nonexec(char *dir, size_t n)
{
	static char file[256];
	int fd;
	snprintf(dir, n, "/tmp/aspawn-test-XXXXXX");
	if (!mkdtemp(dir))
		return 0;
	snprintf(file, sizeof file, "%s/prog", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	if (write(fd, "#!/bin/sh\n", 10) != 10)
		CHECK(0);
	close(fd);
	return file;
}

static void eacces(void)
{
	char dir[64], env[128], *file = make_nonexec(dir, sizeof dir);
	CHECK(file != 0);
	expect_exec_error(file, 0, 0, EACCES);
	/* PATH search reports EACCES over ENOENT when an entry was not executable. */
	snprintf(env, sizeof env, "PATH=/nonexistent:%s:/also-missing", dir);
	expect_exec_error("prog", ASP_REQ_SEARCH_PATH, env, EACCES);
	unlink(file);
	rmdir(dir);
}

static void path_search(void)
{
	struct req r;
	struct run_result res;
	/* The child's own PATH decides, not ours. */
	req_begin(&r, "sh", ASP_REQ_SEARCH_PATH);
	req_arg(&r, "sh");
	req_arg(&r, "-c");
	req_arg(&r, "echo found");
	req_env(&r, "PATH=/nonexistent:/bin");
	req_capture(&r);
	run_req(&r, &res);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_STR(res.text, "found\n");

	/* No PATH at all: the default search path. */
	req_begin(&r, "sh", ASP_REQ_SEARCH_PATH);
	req_arg(&r, "sh");
	req_arg(&r, "-c");
	req_arg(&r, "echo default");
	req_capture(&r);
	run_req(&r, &res);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_STR(res.text, "default\n");
}

/* A script without "#!": ENOEXEC, unless ASP_REQ_SH_FALLBACK gives it to
 * /bin/sh as execvp does ($0 the path it was found at, argv[0] dropped). */
static void sh_fallback(void)
{
	char dir[64], file[128], env[160], want[256];
	struct req r;
	struct run_result res;
	int fd;
	snprintf(dir, sizeof dir, "/tmp/aspawn-test-XXXXXX");
	CHECK(mkdtemp(dir) != 0);
	snprintf(file, sizeof file, "%s/script", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0755);
	CHECK(write(fd, "echo \"$0|$1|$#\"\n", 16) == 16);
	close(fd);
	expect_exec_error(file, 0, 0, ENOEXEC);

	req_begin(&r, file, ASP_REQ_SH_FALLBACK);
	req_arg(&r, "argv0");
	req_arg(&r, "one two");
	req_capture(&r);
	run_req(&r, &res);
	CHECK_EQ_INT(res.record, 0);
	snprintf(want, sizeof want, "%s|one two|1\n", file);
	CHECK_EQ_STR(res.text, want);

	/* Found by the PATH search, after an entry that has no such file. */
	req_begin(&r, "script", ASP_REQ_SEARCH_PATH | ASP_REQ_SH_FALLBACK);
	req_arg(&r, "script");
	snprintf(env, sizeof env, "PATH=/nonexistent:%s", dir);
	req_env(&r, env);
	req_capture(&r);
	run_req(&r, &res);
	CHECK_EQ_INT(res.record, 0);
	snprintf(want, sizeof want, "%s||0\n", file);
	CHECK_EQ_STR(res.text, want);

	/* Not executable: EACCES still, no shell. */
	CHECK(chmod(file, 0644) == 0);
	expect_exec_error(file, ASP_REQ_SH_FALLBACK, 0, EACCES);
	unlink(file);
	rmdir(dir);
}

static void large_request(void)
{
	/* Eight 100 KB arguments: a request too big for a pooled slot gets
	 * its own mapping. */
	struct req r;
	struct run_result res;
	char *big = malloc(100001);
	int i;
	memset(big, 'x', 100000);
	big[100000] = 0;
	req_sh(&r, "echo $#");
	for (i = 0; i < 9; i++)
		req_arg(&r, big);
	req_capture(&r);
	run_req(&r, &res);
	free(big);
	CHECK_EQ_INT(res.err, 0);
	CHECK_EQ_INT(res.record, 0);
	CHECK_EQ_STR(res.text, "8\n");
}

static void large_requests_again(void)
{
	/* Oversized slots are kept for the next large request: one of 900 KB,
	 * then 300 KB in the slot it left (placed from the top, the rest of
	 * the slot unused), then 900 KB again, then a standard one. */
	static const int sizes[] = {9, 3, 9, 0};
	struct req r;
	struct run_result res;
	char *big = malloc(100001), want[32];
	int i, k;
	memset(big, 'y', 100000);
	big[100000] = 0;
	for (k = 0; k < 4; k++) {
		req_sh(&r, "echo $# ${#1}");
		for (i = 0; i < sizes[k]; i++)
			req_arg(&r, big);
		req_capture(&r);
		run_req(&r, &res);
		CHECK_EQ_INT(res.err, 0);
		CHECK_EQ_INT(res.record, 0);
		snprintf(want, sizeof want, "%d %d\n", sizes[k] ? sizes[k] - 1 : 0, sizes[k] > 1 ? 100000 : 0);
		CHECK_EQ_STR(res.text, want);
	}
	free(big);
}

static void inherited_env(void)
{
	/* INHERIT_ENV: our environment as it is now, with the request's
	 * strings on top: set, override, remove. */
	struct req r;
	struct run_result res;
	setenv("ASPAWN_KEEP", "kept", 1);
	setenv("ASPAWN_OVERRIDE", "old", 1);
	setenv("ASPAWN_REMOVE", "gone?", 1);
	req_begin(&r, "/bin/sh", ASP_REQ_INHERIT_ENV);
	req_arg(&r, "sh");
	req_arg(&r, "-c");
	req_arg(&r, "echo \"$ASPAWN_KEEP|$ASPAWN_OVERRIDE|${ASPAWN_REMOVE-unset}|$ASPAWN_NEW\"");
	req_env(&r, "ASPAWN_OVERRIDE=new");
	req_env(&r, "ASPAWN_REMOVE");
	req_env(&r, "ASPAWN_NEW=fresh");
	req_capture(&r);
	run_req(&r, &res);
	CHECK_EQ_STR(res.text, "kept|new|unset|fresh\n");
	/* Changes to our environment show up in the next spawn. */
	unsetenv("ASPAWN_KEEP");
	req_begin(&r, "/bin/sh", ASP_REQ_INHERIT_ENV);
	req_arg(&r, "sh");
	req_arg(&r, "-c");
	req_arg(&r, "echo \"${ASPAWN_KEEP-unset}\"");
	req_capture(&r);
	run_req(&r, &res);
	CHECK_EQ_STR(res.text, "unset\n");
	unsetenv("ASPAWN_OVERRIDE");
	unsetenv("ASPAWN_REMOVE");
}

TEST_LIST(exec_tests) = {
	{"exec: inherited environment with overrides", inherited_env},
	{"exec: /bin/true", exec_true},
	{"exec: exit code", exit_code},
	{"exec: argv and env", argv_env},
	{"exec: ENOENT", enoent},
	{"exec: ENOTDIR", enotdir},
	{"exec: empty file name", empty_file},
	{"exec: PATH search ENOENT", path_enoent},
	{"exec: EACCES direct and via PATH", eacces},
	{"exec: PATH search uses the child's PATH", path_search},
	{"exec: a script without #! runs under /bin/sh with SH_FALLBACK only", sh_fallback},
	{"exec: oversized request gets its own stack", large_request},
	{"exec: oversized slots kept serve the next large requests, larger or smaller", large_requests_again},
	{0, 0},
};
