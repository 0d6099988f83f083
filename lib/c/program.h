/*
 * The request decoder: pure, bounds-checked, allocation-free functions over
 * the encoding in include/aspawn.h. The child interprets requests with it,
 * the parent scans them with it, and the fuzzer (test/fuzz) drives it with
 * arbitrary bytes. It is a header of static functions so that each user
 * compiles it with its own flags (the child without sanitizers or stack
 * protector).
 *
 * Every read goes through asp_load32/64, which never touches a byte past
 * `end`; decoding never trusts a length before comparing it to what is left.
 */
#ifndef ASP_PROGRAM_H
#define ASP_PROGRAM_H

#include <stddef.h>
#include <stdint.h>
#include "include/aspawn.h"

/* Linux values, spelled here so the decoder needs no other header. */
#define ASP_EINVAL_ 22
#define ASP_E2BIG_ 7
#define ASP_RLIM_NLIMITS_ 16

struct asp_reader {
	const uint8_t *base;
	uint32_t off;
	uint32_t end;
};

struct asp_step {
	uint32_t op;
	uint32_t offset; /* of the payload, from the start of the request */
	uint32_t size;
	union {
		struct {
			uint32_t count, flags;
			const uint8_t *pairs; /* {i32 src, i32 dst}[count] */
		} fd_map;
		struct {
			uint32_t count;
			const uint8_t *data;
		} list; /* SETGROUPS: u32[count]; SECCOMP: 8-byte filters */
		struct {
			uint32_t resource;
			uint64_t soft, hard;
		} rlimit;
		struct {
			int32_t fd;
			const char *path;
		} cgroup;
		const char *str;
		int32_t i32;
		uint32_t u32;
		uint64_t u64;
	} u;
};

static inline uint32_t asp_load32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}

static inline uint64_t asp_load64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

static inline uint32_t asp_pad4(uint32_t n) { return (n + 3u) & ~3u; }

/* Check the header; on success the reader is positioned at the first string. */
static inline int asp_req_open(const void *buf, uint32_t len, struct asp_reader *r,
			       struct asp_req_header *h)
{
	if (len < sizeof *h)
		return -ASP_EINVAL_;
	__builtin_memcpy(h, buf, sizeof *h);
	if (h->magic != ASP_REQ_MAGIC || h->version != ASP_ABI_VERSION)
		return -ASP_EINVAL_;
	if (h->size > ASP_REQ_MAX_SIZE)
		return -ASP_E2BIG_;
	if (h->size != len || h->steps_offset < sizeof *h || h->steps_offset > len ||
	    (h->steps_offset & 3u) || (h->flags & ~(ASP_REQ_SEARCH_PATH | ASP_REQ_INHERIT_ENV)))
		return -ASP_EINVAL_;
	/* Each string takes at least 8 bytes and each step 8: bound the counts
	 * before anyone sizes an array from them. */
	if (h->argc < 1 || h->argc > len / 8 || h->envc > len / 8 || h->nsteps > len / 8)
		return -ASP_EINVAL_;
	r->base = (const uint8_t *)buf;
	r->off = sizeof *h;
	r->end = h->steps_offset;
	return 0;
}

/* Read one string (u32 len, bytes, NUL, padding). Lengths are checked in
 * 64 bits: a length near 2^32 must not wrap around to a small one. */
static inline int asp_read_string(struct asp_reader *r, const char **s, uint32_t *slen)
{
	uint32_t left = r->end - r->off, n;
	uint64_t total;
	if (left < 8) /* the shortest string: length, NUL, padding */
		return -ASP_EINVAL_;
	n = asp_load32(r->base + r->off);
	total = ((uint64_t)n + 4 + 1 + 3) & ~(uint64_t)3;
	if (total > left || r->base[r->off + 4 + n] != 0)
		return -ASP_EINVAL_;
	*s = (const char *)(r->base + r->off + 4);
	if (slen)
		*slen = n;
	r->off += (uint32_t)total;
	return 0;
}

/* Position a reader over the steps. */
static inline void asp_steps_begin(const struct asp_reader *strings, const struct asp_req_header *h,
				   struct asp_reader *r)
{
	r->base = strings->base;
	r->off = h->steps_offset;
	r->end = h->size;
}

static inline int asp_expect(uint32_t size, uint32_t want) { return size == want ? 0 : -ASP_EINVAL_; }

/* Decode the next step, checking its payload against the op's layout. */
static inline int asp_step_next(struct asp_reader *r, struct asp_step *s)
{
	uint32_t left = r->end - r->off, size;
	const uint8_t *p;
	if (left < 8)
		return -ASP_EINVAL_;
	s->op = asp_load32(r->base + r->off);
	size = asp_load32(r->base + r->off + 4);
	if ((size & 3u) || size > left - 8)
		return -ASP_EINVAL_;
	s->offset = r->off + 8;
	s->size = size;
	p = r->base + s->offset;
	r->off += 8 + size;

	switch (s->op) {
	case ASP_OP_FD_MAP: {
		uint32_t i;
		if (size < 8)
			return -ASP_EINVAL_;
		s->u.fd_map.count = asp_load32(p);
		s->u.fd_map.flags = asp_load32(p + 4);
		s->u.fd_map.pairs = p + 8;
		if (s->u.fd_map.count > ASP_REQ_MAX_FDS || size != 8 + 8 * s->u.fd_map.count ||
		    (s->u.fd_map.flags & ~ASP_FDMAP_CLOSE_OTHERS))
			return -ASP_EINVAL_;
		for (i = 0; i < s->u.fd_map.count; i++) {
			int32_t src = (int32_t)asp_load32(p + 8 + 8 * i);
			int32_t dst = (int32_t)asp_load32(p + 12 + 8 * i);
			if (src < ASP_FD_PIPE_WRITE || src >= (int32_t)ASP_REQ_MAX_FD || dst < 0 ||
			    dst >= (int32_t)ASP_REQ_MAX_FD)
				return -ASP_EINVAL_;
		}
		return 0;
	}
	case ASP_OP_CHDIR: {
		struct asp_reader sr = {r->base, s->offset, s->offset + size};
		if (asp_read_string(&sr, &s->u.str, NULL) || sr.off != sr.end)
			return -ASP_EINVAL_;
		return 0;
	}
	case ASP_OP_CGROUP: {
		struct asp_reader sr = {r->base, s->offset + 4, s->offset + size};
		if (size < 4)
			return -ASP_EINVAL_;
		s->u.cgroup.fd = (int32_t)asp_load32(p);
		if (asp_read_string(&sr, &s->u.cgroup.path, NULL) || sr.off != sr.end)
			return -ASP_EINVAL_;
		return 0;
	}
	case ASP_OP_SETSID:
	case ASP_OP_NO_NEW_PRIVS:
	case ASP_OP_CLEAR_GROUPS:
		return asp_expect(size, 0);
	case ASP_OP_SETPGID:
	case ASP_OP_NICE:
		s->u.i32 = size == 4 ? (int32_t)asp_load32(p) : 0;
		return asp_expect(size, 4);
	case ASP_OP_SETGID:
	case ASP_OP_SETUID:
	case ASP_OP_UMASK:
		s->u.u32 = size == 4 ? asp_load32(p) : 0;
		return asp_expect(size, 4);
	case ASP_OP_PDEATHSIG:
		if (size != 4)
			return -ASP_EINVAL_;
		s->u.u32 = asp_load32(p);
		return s->u.u32 >= 1 && s->u.u32 <= 64 ? 0 : -ASP_EINVAL_;
	case ASP_OP_SIGMASK:
		if (size != 8)
			return -ASP_EINVAL_;
		s->u.u64 = asp_load64(p);
		return 0;
	case ASP_OP_RLIMIT:
		if (size != 24)
			return -ASP_EINVAL_;
		s->u.rlimit.resource = asp_load32(p);
		s->u.rlimit.soft = asp_load64(p + 8);
		s->u.rlimit.hard = asp_load64(p + 16);
		return s->u.rlimit.resource < ASP_RLIM_NLIMITS_ ? 0 : -ASP_EINVAL_;
	case ASP_OP_SETGROUPS:
		if (size < 4)
			return -ASP_EINVAL_;
		s->u.list.count = asp_load32(p);
		s->u.list.data = p + 4;
		if (s->u.list.count > 65536u || size != 4 + 4 * s->u.list.count)
			return -ASP_EINVAL_;
		return 0;
	case ASP_OP_SECCOMP:
		if (size < 8)
			return -ASP_EINVAL_;
		s->u.list.count = asp_load32(p);
		s->u.list.data = p + 8;
		if (s->u.list.count < 1 || s->u.list.count > 4096u || size != 8 + 8 * s->u.list.count)
			return -ASP_EINVAL_;
		return 0;
	default:
		return -ASP_EINVAL_;
	}
}

#endif
