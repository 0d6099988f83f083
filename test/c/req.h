/* Builds requests in the encoding of aspawn.h, as src/api does in TypeScript. */
#ifndef ASP_TEST_REQ_H
#define ASP_TEST_REQ_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aspawn.h"

struct req {
	uint8_t *buf;
	size_t len, cap;
	uint32_t argc, envc, nsteps;
	int in_steps;
};

static inline void req_put(struct req *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2 + 256;
		r->buf = realloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static inline void req_u32(struct req *r, uint32_t v) { req_put(r, &v, 4); }

static inline void req_string_raw(struct req *r, const char *s, size_t n)
{
	static const uint8_t zeros[4];
	req_u32(r, (uint32_t)n);
	req_put(r, s, n);
	req_put(r, zeros, 4 - (n % 4)); /* NUL + padding to 4 */
}

static inline void req_begin(struct req *r, const char *file, uint32_t flags)
{
	struct asp_req_header h = {ASP_REQ_MAGIC, ASP_ABI_VERSION, 0, flags, 0, 0, 0, 0};
	memset(r, 0, sizeof *r);
	req_put(r, &h, sizeof h);
	req_string_raw(r, file, strlen(file));
}

static inline void req_arg(struct req *r, const char *s)
{
	req_string_raw(r, s, strlen(s));
	r->argc++;
}

static inline void req_env(struct req *r, const char *s)
{
	req_string_raw(r, s, strlen(s));
	r->envc++;
}

static inline void req_step(struct req *r, uint32_t op, const void *payload, uint32_t size)
{
	struct asp_req_header *h = (struct asp_req_header *)r->buf;
	if (!r->in_steps) {
		h->steps_offset = (uint32_t)r->len;
		r->in_steps = 1;
	}
	req_u32(r, op);
	req_u32(r, size);
	if (size)
		req_put(r, payload, size);
	r->nsteps++;
}

static inline void req_step_u32(struct req *r, uint32_t op, uint32_t v) { req_step(r, op, &v, 4); }

static inline void req_step_string(struct req *r, uint32_t op, const char *s)
{
	struct req tmp = {0};
	req_string_raw(&tmp, s, strlen(s));
	req_step(r, op, tmp.buf, (uint32_t)tmp.len);
	free(tmp.buf);
}

static inline void req_fd_map(struct req *r, const int32_t (*pairs)[2], uint32_t n, uint32_t flags)
{
	uint8_t *p = malloc(8 + 8 * n);
	memcpy(p, &n, 4);
	memcpy(p + 4, &flags, 4);
	memcpy(p + 8, pairs, 8 * n);
	req_step(r, ASP_OP_FD_MAP, p, 8 + 8 * n);
	free(p);
}

static inline void req_rlimit(struct req *r, uint32_t res, uint64_t soft, uint64_t hard)
{
	uint8_t p[24] = {0};
	memcpy(p, &res, 4);
	memcpy(p + 8, &soft, 8);
	memcpy(p + 16, &hard, 8);
	req_step(r, ASP_OP_RLIMIT, p, 24);
}

/* Finish: fill the header. The buffer belongs to the caller (free(r->buf)). */
static inline void req_end(struct req *r)
{
	struct asp_req_header *h = (struct asp_req_header *)r->buf;
	if (!r->in_steps)
		h->steps_offset = (uint32_t)r->len;
	h->size = (uint32_t)r->len;
	h->argc = r->argc;
	h->envc = r->envc;
	h->nsteps = r->nsteps;
}
#endif
