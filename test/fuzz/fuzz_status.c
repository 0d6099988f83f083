/*
 * libFuzzer harness for the child's reading of /proc/self/status
 * (lib/c/status_mask.h): on any bytes it must stay inside them (an
 * exact-size heap copy, no NUL after it, for ASan) and agree with the plain
 * reading below, written for clarity rather than for the child.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "status_mask.h"

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The first "\n<key>", blanks, 1-16 lowercase hex digits, then a newline. */
static int reference(const char *buf, size_t n, const char *key, uint64_t *set)
{
	size_t klen = strlen(key), i;
	const char *at = memmem(buf, n, key, klen);
	uint64_t v = 0;
	int digits = 0;
	if (!at)
		return 0;
	i = (size_t)(at - buf) + klen;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	while (i < n && digits < 16 && hex(buf[i]) >= 0)
		v = v << 4 | (uint64_t)hex(buf[i++]), digits++;
	if (digits == 0 || i >= n || buf[i] != '\n')
		return 0;
	*set = v;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"\nSigIgn:", "\nSigCgt:"};
	char *copy = malloc(size ? size : 1);
	size_t k;
	memcpy(copy, data, size);
	for (k = 0; k < 2; k++) {
		uint64_t got = 0, want = 0;
		int r = asp_status_mask(copy, (long)size, keys[k], &got);
		if (r != reference(copy, size, keys[k], &want) || (r && got != want))
			abort();
	}
	free(copy);
	return 0;
}
