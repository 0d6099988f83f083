/* A tiny test harness: CHECK records a failure and continues the test. */
#ifndef ASP_TEST_CHECK_H
#define ASP_TEST_CHECK_H
#include <stdio.h>

extern int check_failures;
extern const char *check_current;

#define CHECK(cond)                                                                                  \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			check_failures++;                                                            \
			fprintf(stderr, "  FAIL %s (%s:%d): %s\n", check_current, __FILE__, __LINE__, #cond); \
		}                                                                                    \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                           \
	do {                                                                                         \
		long long a_ = (long long)(a), b_ = (long long)(b);                                  \
		if (a_ != b_) {                                                                      \
			check_failures++;                                                            \
			fprintf(stderr, "  FAIL %s (%s:%d): %s == %lld, expected %s == %lld\n", check_current, \
				__FILE__, __LINE__, #a, a_, #b, b_);                                 \
		}                                                                                    \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                           \
	do {                                                                                         \
		const char *a_ = (a), *b_ = (b);                                                     \
		if (strcmp(a_, b_) != 0) {                                                           \
			check_failures++;                                                            \
			fprintf(stderr, "  FAIL %s (%s:%d): %s is \"%s\", expected \"%s\"\n", check_current, \
				__FILE__, __LINE__, #a, a_, b_);                                     \
		}                                                                                    \
	} while (0)

typedef void (*test_fn)(void);
struct test_case {
	const char *name;
	test_fn fn;
	/* Why qemu-user cannot run it (it runs in the arm64 VM instead). */
	const char *not_under_qemu_user;
};
#define TEST_LIST(name) const struct test_case name[]
#endif
