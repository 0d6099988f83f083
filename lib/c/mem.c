/*
 * Our own mem* functions, hidden, so that no call the compiler emits (struct
 * copies, array initialisers) can leave this library through the PLT: the
 * CLONE_VM child may use them. Word-at-a-time because the parent copies
 * requests with them too. Built with -fno-builtin so these loops are not
 * turned back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>
#include "sys.h"

ASP_HIDDEN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	for (; n >= 8; n -= 8, d += 8, s += 8) {
		uint64_t w;
		__builtin_memcpy(&w, s, 8);
		__builtin_memcpy(d, &w, 8);
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

ASP_HIDDEN void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

ASP_HIDDEN void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	uint64_t w = 0x0101010101010101ull * (uint8_t)c;
	for (; n >= 8; n -= 8, d += 8)
		__builtin_memcpy(d, &w, 8);
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

ASP_HIDDEN int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
