/*
 * The library's own threads (the reactor, the launcher): detached, with
 * every signal blocked (signals belong to the runtime), on a small stack.
 *
 * glibc carves the thread's static TLS out of that stack and refuses
 * (EINVAL) a stack it does not fit in: Bun 1.1 to 1.3.0 carry 300-370 KiB
 * of it, more than the 256 KiB asked for, and no thread started at all.
 * Then the default size is taken: only the pages used are ever touched.
 */
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include "internal.h"

#define SMALL_STACK (256 << 10)

static int start(void *(*fn)(void *), size_t stack)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int r;
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &attr, fn, 0);
	pthread_sigmask(SIG_SETMASK, &old, 0);
	pthread_attr_destroy(&attr);
	return r;
}

ASP_HIDDEN int asp_start_helper_thread(void *(*fn)(void *))
{
	int r = start(fn, SMALL_STACK);
	return r == EINVAL ? start(fn, 0) : r;
}
