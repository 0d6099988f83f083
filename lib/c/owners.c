/*
 * Which JS context holds each fd that asp_spawn handed out (a child's pidfd,
 * status pipe, our ends of its pipes), so that when a context ends without
 * closing them (a Worker terminated while its children ran: JS runs no code
 * of ours then) the reactor can close them and reap the children instead of
 * leaving zombies and open fds for the life of the process.
 *
 * An entry is set by asp_spawn on the spawning thread and cleared by
 * asp_close; JS closes these fds only through asp_close. A table indexed by
 * fd number, under one lock: a spawn takes it once, a close once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* An entry: 0, or (channel + 1) << 2 | kind. */
static uint32_t *owner;
static size_t cap;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int grow(size_t need)
{
	size_t ncap = cap ? cap : 256;
	uint32_t *n;
	while (ncap <= need)
		ncap *= 2;
	n = realloc(owner, ncap * sizeof *n);
	if (!n)
		return -ASP_ENOMEM;
	memset(n + cap, 0, (ncap - cap) * sizeof *n);
	owner = n;
	cap = ncap;
	return 0;
}

ASP_HIDDEN void asp_owner_set(int ch, const int32_t *fds, const uint8_t *kinds, uint32_t n)
{
	uint32_t i;
	if (ch < 0)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < n; i++) {
		if (fds[i] < 0 || ((size_t)fds[i] >= cap && grow((size_t)fds[i]) < 0))
			continue; /* not tracked: only a dead context's cleanup misses it */
		owner[fds[i]] = (uint32_t)(ch + 1) << 2 | kinds[i];
	}
	pthread_mutex_unlock(&lock);
}

ASP_HIDDEN void asp_owner_clear(int fd)
{
	if (fd < 0)
		return;
	pthread_mutex_lock(&lock);
	if ((size_t)fd < cap)
		owner[fd] = 0;
	pthread_mutex_unlock(&lock);
}

/* Forget every fd of channel ch, calling fn for each (under the lock: fn
 * must not call back into this file). */
ASP_HIDDEN void asp_owner_take(int ch, void (*fn)(int fd, int kind))
{
	size_t fd;
	uint32_t want = (uint32_t)(ch + 1);
	pthread_mutex_lock(&lock);
	for (fd = 0; fd < cap; fd++) {
		if (!owner[fd] || owner[fd] >> 2 != want)
			continue;
		fn((int)fd, (int)(owner[fd] & 3));
		owner[fd] = 0;
	}
	pthread_mutex_unlock(&lock);
}
