/* /proc checks for leaks (proc.c), shared by the C tests and bench/c. */
#ifndef ASP_TEST_PROC_H
#define ASP_TEST_PROC_H
/* Open fds of this process. */
int count_fds(void);
/* Children of ours that exited and were never reaped. */
int count_zombie_children(void);
/* Children of ours, in any state. */
int count_children(void);
#endif
