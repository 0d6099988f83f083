/* /proc checks for leaks, shared by the C tests and bench/c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* Children of ours in any state, or only zombies. */
static int count_kids(int zombies_only)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0, me = getpid();
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[64], buf[512], *p;
		FILE *f;
		int ppid;
		char state;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')) && sscanf(p + 2, "%c %d", &state, &ppid) == 2 &&
		    (state == 'Z' || !zombies_only) && ppid == me)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

int count_zombie_children(void) { return count_kids(1); }
int count_children(void) { return count_kids(0); }
