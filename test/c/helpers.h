#ifndef ASP_TEST_HELPERS_H
#define ASP_TEST_HELPERS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "aspawn.h"
#include "check.h"
#include "lib.h"
#include "proc.h"
#include "req.h"

struct run_result {
	int err;          /* asp_spawn's return */
	int32_t out[ASP_OUT_MAX];
	int record;       /* 1: the child reported a pre-exec failure */
	int32_t rec[3];   /* err, step, detail */
	struct asp_wait_result w;
	char text[1 << 16]; /* captured stdout, NUL-terminated */
	size_t text_len;
};

/* /bin/sh -c script, with PATH set; steps may follow. */
void req_sh(struct req *r, const char *script);
/* An OPEN step: the child opens `path` as its fd `fd` (ASP_OPEN_* flags). */
void req_open(struct req *r, int32_t fd, uint32_t flags, uint32_t mode, const char *path);
/* The child gets SIGKILL when the spawning thread ends: a test killed
 * midway (a CI timeout, ^C) leaves nothing behind, not even a stopped one. */
void req_death_signal(struct req *r);
/* stdin /dev/null, stdout a pipe we read, stderr inherited; others closed. */
void req_capture(struct req *r);
/* Spawn, read stdout (if the first pipe exists) to EOF, read the status, reap. */
void run_req(struct req *r, struct run_result *res);
/* Convenience: run a script with optional extra steps added by `steps`. */
void run_sh(const char *script, void (*steps)(struct req *), struct run_result *res);
/* AUDIT_ARCH of this build, for seccomp filters. */
#if defined(__x86_64__)
#define TEST_AUDIT_ARCH 0xc000003eu
#else
#define TEST_AUDIT_ARCH 0xc00000b7u
#endif
/* NO_NEW_PRIVS and the classic BPF filter f[0..count) (struct sock_filter)
 * on the calling thread: 1, or 0 if either was refused. */
int seccomp_install(const void *f, unsigned short count);
/* Spawn r from a short-lived SCHED_FIFO thread pinned to our CPU, so that
 * the child, which cannot run before that thread does, is stopped
 * (SIGSTOP) ahead of its first step, every signal still blocked. 0 with
 * out[] filled, or -errno (SCHED_FIFO needs root or CAP_SYS_NICE). The
 * spawning thread has ended on return. */
int spawn_stopped(const struct req *r, int32_t *out);
/* classic BPF, for SECCOMP steps */
#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_RET_K 0x06
struct filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
/* NO_NEW_PRIVS and a seccomp filter: syscall `nr` fails with `err`. */
void req_seccomp_errno(struct req *r, uint32_t nr, int err);
/* The library the tests were given (main's argument). */
extern const char *test_library;
int count_maps(void);
int wait_readable(int fd, int timeout_ms);
const char *proc_field(const char *text, const char *key, char *buf, size_t n);
#endif
