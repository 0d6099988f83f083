/*
 * What the library knows about the threads that call it: each JS context
 * (the main thread, each Worker) lives on one thread, opens its reactor
 * channel there and spawns from there.
 *
 * A thread's end is learnt from a pthread key destructor, which runs when
 * the thread exits (a Worker that ends or is terminated) and never for a
 * thread still running. Two things need it:
 * - the reactor reclaims the channel of a context that is gone: closes the
 *   fds it held and reaps its children (reactor.c);
 * - a child spawned with a death signal checks, after its prctl, that the
 *   thread that spawned it still lives (PR_SET_PDEATHSIG follows that
 *   thread, not the process): each thread has a record whose generation
 *   changes when it exits, which the child reads in our shared memory.
 *
 * It also keeps the pid and each thread's id: getpid and gettid are
 * syscalls, a microsecond each where syscalls trap to a hypervisor, and
 * every spawn wants both. A fork() child forgets them (pthread_atfork), the
 * one way our code keeps running under a new pid; a fork that skips the
 * handlers (_Fork, a raw clone syscall) would keep stale ones, as glibc's
 * own pid cache did (the README says so). Without the handler: no cache.
 */
#include <pthread.h>
#include <stdlib.h>
#include "internal.h"

#define MAX_RECORDS 4096

struct thread_state {
	int channel; /* the last one opened on this thread, or -1 */
	int record;  /* index in records[], or -1 */
	int tid;     /* 0 until asked */
};

/* Odd: the thread holding the record lives. Even: free, or its thread ended. */
static uint32_t records[MAX_RECORDS];
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t records_lock = PTHREAD_MUTEX_INITIALIZER;
static int pid;    /* 0 until asked */
static int cached; /* the fork handler is in place */

static void thread_ended(void *p)
{
	struct thread_state *t = p;
	if (t->record >= 0)
		__atomic_fetch_add(&records[t->record], 1, __ATOMIC_RELEASE);
	if (t->channel >= 0)
		asp_reactor_context_ended((int)sys_gettid());
	free(t);
}

/* In the child of fork(), on the thread that forked (its only thread). */
static void forked(void)
{
	struct thread_state *t = key == (pthread_key_t)-1 ? 0 : pthread_getspecific(key);
	__atomic_store_n(&pid, 0, __ATOMIC_RELAXED);
	if (t)
		t->tid = 0;
}

static void make_key(void)
{
	if (pthread_key_create(&key, thread_ended) != 0)
		key = (pthread_key_t)-1;
	cached = pthread_atfork(0, 0, forked) == 0;
}

static struct thread_state *self(int create)
{
	struct thread_state *t;
	pthread_once(&key_once, make_key);
	if (key == (pthread_key_t)-1)
		return 0;
	t = pthread_getspecific(key);
	if (t || !create)
		return t;
	t = malloc(sizeof *t);
	if (!t)
		return 0;
	t->channel = -1;
	t->record = -1;
	t->tid = 0;
	if (pthread_setspecific(key, t) != 0) {
		free(t);
		return 0;
	}
	return t;
}

ASP_HIDDEN int asp_self_pid(void)
{
	int p = __atomic_load_n(&pid, __ATOMIC_RELAXED);
	pthread_once(&key_once, make_key); /* the atfork handler first */
	if (!cached)
		return (int)sys_getpid();
	if (!p) {
		p = (int)sys_getpid();
		__atomic_store_n(&pid, p, __ATOMIC_RELAXED);
	}
	return p;
}

ASP_HIDDEN int asp_self_tid(void)
{
	struct thread_state *t = self(1);
	if (!t || !cached)
		return (int)sys_gettid();
	if (!t->tid)
		t->tid = (int)sys_gettid();
	return t->tid;
}

ASP_HIDDEN int asp_thread_channel(void)
{
	struct thread_state *t = self(0);
	return t ? t->channel : -1;
}

ASP_HIDDEN int asp_thread_set_channel(int ch)
{
	struct thread_state *t = self(1);
	if (!t)
		return -ASP_ENOMEM;
	t->channel = ch;
	return 0;
}

/*
 * The calling thread's liveness word and its current value, for a child to
 * compare later; 0 when no record is free (the child then checks only that
 * the process lives).
 */
ASP_HIDDEN const uint32_t *asp_thread_alive_word(uint32_t *gen)
{
	struct thread_state *t = self(1);
	int i;
	if (!t)
		return 0;
	if (t->record < 0) {
		pthread_mutex_lock(&records_lock);
		for (i = 0; i < MAX_RECORDS; i++)
			if (!(records[i] & 1)) {
				__atomic_fetch_add(&records[i], 1, __ATOMIC_RELEASE);
				t->record = i;
				break;
			}
		pthread_mutex_unlock(&records_lock);
		if (t->record < 0)
			return 0;
	}
	*gen = __atomic_load_n(&records[t->record], __ATOMIC_ACQUIRE);
	return &records[t->record];
}
