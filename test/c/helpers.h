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
/* stdin /dev/null, stdout a pipe we read, stderr inherited; others closed. */
void req_capture(struct req *r);
/* Spawn, read stdout (if the first pipe exists) to EOF, read the status, reap. */
void run_req(struct req *r, struct run_result *res);
/* Convenience: run a script with optional extra steps added by `steps`. */
void run_sh(const char *script, void (*steps)(struct req *), struct run_result *res);
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
