/*
 * A CLONE_VM child that changes its uid or gid (ASP_OPF_CREDS steps) makes
 * the mm it shares with us non-dumpable (commit_creds), i.e. makes the
 * *parent* non-dumpable and un-ptrace-able. That protection is right while
 * the child (now another user) still shares our memory, so the flag is
 * restored only when the last such child has left the mm — children
 * overlap, so a per-child save/restore would restore too early or restore
 * a stale value. Before Linux 5.16 every child sharing our memory needs the
 * mm non-dumpable (probe.c: asp_nodump_guard): ASP_DUMPABLE_CLEAR sets it
 * so at once.
 */
#include <pthread.h>
#include "internal.h"

static pthread_mutex_t creds_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned live;
static long saved;

ASP_HIDDEN void asp_dumpable_hold(int how)
{
	pthread_mutex_lock(&creds_lock);
	if (live++ == 0)
		saved = sys_prctl(ASP_PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (how == ASP_DUMPABLE_CLEAR && saved > 0)
		sys_prctl(ASP_PR_SET_DUMPABLE, 0, 0, 0, 0);
	pthread_mutex_unlock(&creds_lock);
}

ASP_HIDDEN void asp_dumpable_release(void)
{
	pthread_mutex_lock(&creds_lock);
	if (live && --live == 0 && saved >= 0)
		sys_prctl(ASP_PR_SET_DUMPABLE, (unsigned long)saved, 0, 0, 0);
	pthread_mutex_unlock(&creds_lock);
}
