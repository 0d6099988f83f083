/*
 * The signal masks of a /proc/<pid>/status text (SigIgn:, SigCgt:), read by
 * the child before exec (child_signals.c). Header-only, with no calls, so
 * the child's code can use it and test/fuzz/fuzz_status.c can feed it any
 * bytes: every index is checked against n, the text is not NUL-terminated.
 */
#ifndef ASP_STATUS_MASK_H
#define ASP_STATUS_MASK_H
#include <stdint.h>

/* 1 and *set, or 0: the 64-bit hex mask after "\n<key>" in buf[0..n). */
static inline int asp_status_mask(const char *buf, long n, const char *key, uint64_t *set)
{
	long i, k;
	for (i = 0; i < n; i++) {
		uint64_t v = 0;
		int digits = 0;
		for (k = 0; key[k] && i + k < n && buf[i + k] == key[k]; k++)
			;
		if (key[k])
			continue;
		for (i += k; i < n && (buf[i] == ' ' || buf[i] == '\t'); i++)
			;
		for (; i < n && digits < 16; i++, digits++) {
			char c = buf[i];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				break;
			v = v << 4 | (uint64_t)d;
		}
		/* The whole mask, up to its newline: a cut-off one is no answer. */
		if (digits == 0 || i >= n || buf[i] != '\n')
			return 0;
		*set = v;
		return 1;
	}
	return 0;
}

#endif
