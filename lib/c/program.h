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
		struct {
			int32_t fd;
			uint32_t flags, mode;
			const char *path;
		} open;
		struct {
			int32_t src, dst;
		} pair;
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
	    (h->steps_offset & 3u) || (h->flags & ~(ASP_REQ_SEARCH_PATH | ASP_REQ_INHERIT_ENV | ASP_REQ_SH_FALLBACK)))
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

/*
 * The per-op table: the one place that says how each op's payload is laid
 * out and what the parent must know about it. The decoder decodes by
 * layout, the parent's scan (spawn.c) reads the flags, the child skips what
 * the parent prepared. src/ffi mirrors it (a test parses the lines below:
 * keep the enum on one line and one table entry per line).
 *
 * Each layout, and where the decoder puts it in struct asp_step:
 *   EMPTY     nothing
 *   I32, U32  u.i32, u.u32 (4 bytes)
 *   U64       u.u64 (8 bytes)
 *   STRING    u.str (u32 len, bytes, NUL, padding)
 *   FD_MAP    u.fd_map: u32 count, u32 flags, {i32 src, i32 dst}[count]
 *   U32_LIST  u.list: u32 count, u32[count]
 *   FILTER    u.list: u32 count, u32 0, struct sock_filter[count] (8 bytes each)
 *   RLIMIT    u.rlimit: u32 resource, u32 0, u64 soft, u64 hard
 *   CGROUP    u.cgroup: i32 fd, string
 *   OPEN      u.open: i32 fd, u32 flags, u32 mode, string
 *   FD_PAIR   u.pair: i32 src, i32 dst
 */
/* Payload layouts (aspawn.h documents each op's). */
enum asp_layout { ASP_LAYOUT_EMPTY = 1, ASP_LAYOUT_I32, ASP_LAYOUT_U32, ASP_LAYOUT_U64, ASP_LAYOUT_STRING, ASP_LAYOUT_FD_MAP, ASP_LAYOUT_U32_LIST, ASP_LAYOUT_FILTER, ASP_LAYOUT_RLIMIT, ASP_LAYOUT_CGROUP, ASP_LAYOUT_OPEN, ASP_LAYOUT_FD_PAIR };
/* Op properties. */
#define ASP_OPF_CREDS 0x1u  /* changes uid/gid: the kernel resets the shared mm's dumpable flag (dumpable.c) */
#define ASP_OPF_ONCE 0x2u   /* at most one per request */
#define ASP_OPF_PARENT 0x4u /* prepared by asp_spawn before clone (the child only reports it) */
struct asp_op_info { uint8_t layout; uint8_t flags; };
static const struct asp_op_info asp_ops[ASP_OP_MAX + 1] = {
	[ASP_OP_FD_MAP] = {ASP_LAYOUT_FD_MAP, ASP_OPF_ONCE},
	[ASP_OP_CHDIR] = {ASP_LAYOUT_STRING, 0},
	[ASP_OP_SETSID] = {ASP_LAYOUT_EMPTY, 0},
	[ASP_OP_SETPGID] = {ASP_LAYOUT_I32, 0},
	[ASP_OP_SETGROUPS] = {ASP_LAYOUT_U32_LIST, 0},
	[ASP_OP_SETGID] = {ASP_LAYOUT_U32, ASP_OPF_CREDS},
	[ASP_OP_SETUID] = {ASP_LAYOUT_U32, ASP_OPF_CREDS},
	[ASP_OP_UMASK] = {ASP_LAYOUT_U32, 0},
	[ASP_OP_NICE] = {ASP_LAYOUT_I32, 0},
	[ASP_OP_RLIMIT] = {ASP_LAYOUT_RLIMIT, 0},
	[ASP_OP_PDEATHSIG] = {ASP_LAYOUT_U32, 0},
	[ASP_OP_NO_NEW_PRIVS] = {ASP_LAYOUT_EMPTY, 0},
	[ASP_OP_SECCOMP] = {ASP_LAYOUT_FILTER, 0},
	[ASP_OP_SIGMASK] = {ASP_LAYOUT_U64, 0},
	[ASP_OP_CGROUP] = {ASP_LAYOUT_CGROUP, ASP_OPF_ONCE | ASP_OPF_PARENT},
	[ASP_OP_CLEAR_GROUPS] = {ASP_LAYOUT_EMPTY, 0},
	[ASP_OP_OPEN] = {ASP_LAYOUT_OPEN, 0},
	[ASP_OP_DUP] = {ASP_LAYOUT_FD_PAIR, 0},
	[ASP_OP_CTTY] = {ASP_LAYOUT_I32, ASP_OPF_ONCE},
};
/* A request's ONCE ops fit a bit set of one word. */
_Static_assert(ASP_OP_MAX < 32, "ASP_OPF_ONCE bookkeeping uses one bit per op");

/* ASP_OPF_ONCE: note op in *seen; EINVAL if it was there already. */
static inline int asp_step_once(uint32_t *seen, uint32_t op)
{
	if (!(asp_ops[op].flags & ASP_OPF_ONCE))
		return 0;
	if (*seen & (1u << op))
		return -ASP_EINVAL_;
	*seen |= 1u << op;
	return 0;
}

/* The op's table entry, or 0 for an op this library does not know. */
static inline const struct asp_op_info *asp_op_info(uint32_t op)
{
	return op >= 1 && op <= ASP_OP_MAX && asp_ops[op].layout ? &asp_ops[op] : 0;
}

/* Op-specific limits beyond the payload's shape. */
#define ASP_MAX_SIGNAL 64u

/* A string filling [off, end) exactly. */
static inline int asp_whole_string(const uint8_t *base, uint32_t off, uint32_t end, const char **s)
{
	struct asp_reader sr = {base, off, end};
	if (asp_read_string(&sr, s, NULL) || sr.off != sr.end)
		return -ASP_EINVAL_;
	return 0;
}

/* u32 count, a `head`-byte header in all, then count `elem`-byte entries,
 * filling the payload exactly (checked in 64 bits: no count wraps). */
static inline int asp_list(const uint8_t *p, uint32_t size, uint32_t head, uint32_t elem, uint32_t *count,
			   const uint8_t **data)
{
	if (size < head)
		return -ASP_EINVAL_;
	*count = asp_load32(p);
	*data = p + head;
	return (uint64_t)head + (uint64_t)elem * *count == size ? 0 : -ASP_EINVAL_;
}

/* Decode a payload of size bytes at p by its layout. */
static inline int asp_decode_layout(uint8_t layout, const uint8_t *base, uint32_t off, uint32_t size,
				    struct asp_step *s)
{
	const uint8_t *p = base + off;
	switch (layout) {
	case ASP_LAYOUT_EMPTY:
		return size == 0 ? 0 : -ASP_EINVAL_;
	case ASP_LAYOUT_I32:
	case ASP_LAYOUT_U32:
		if (size != 4)
			return -ASP_EINVAL_;
		s->u.u32 = asp_load32(p); /* u.i32 shares its bytes */
		return 0;
	case ASP_LAYOUT_U64:
		if (size != 8)
			return -ASP_EINVAL_;
		s->u.u64 = asp_load64(p);
		return 0;
	case ASP_LAYOUT_STRING:
		return asp_whole_string(base, off, off + size, &s->u.str);
	case ASP_LAYOUT_FD_MAP:
		if (size >= 8)
			s->u.fd_map.flags = asp_load32(p + 4);
		return asp_list(p, size, 8, 8, &s->u.fd_map.count, &s->u.fd_map.pairs);
	case ASP_LAYOUT_U32_LIST:
		return asp_list(p, size, 4, 4, &s->u.list.count, &s->u.list.data);
	case ASP_LAYOUT_FILTER:
		return asp_list(p, size, 8, 8, &s->u.list.count, &s->u.list.data);
	case ASP_LAYOUT_RLIMIT:
		if (size != 24)
			return -ASP_EINVAL_;
		s->u.rlimit.resource = asp_load32(p);
		s->u.rlimit.soft = asp_load64(p + 8);
		s->u.rlimit.hard = asp_load64(p + 16);
		return 0;
	case ASP_LAYOUT_CGROUP:
		if (size < 4)
			return -ASP_EINVAL_;
		s->u.cgroup.fd = (int32_t)asp_load32(p);
		return asp_whole_string(base, off + 4, off + size, &s->u.cgroup.path);
	case ASP_LAYOUT_OPEN:
		if (size < 12)
			return -ASP_EINVAL_;
		s->u.open.fd = (int32_t)asp_load32(p);
		s->u.open.flags = asp_load32(p + 4);
		s->u.open.mode = asp_load32(p + 8);
		return asp_whole_string(base, off + 12, off + size, &s->u.open.path);
	case ASP_LAYOUT_FD_PAIR:
		if (size != 8)
			return -ASP_EINVAL_;
		s->u.pair.src = (int32_t)asp_load32(p);
		s->u.pair.dst = (int32_t)asp_load32(p + 4);
		return 0;
	}
	return -ASP_EINVAL_;
}

/* Every src and dst in range; flags known. */
static inline int asp_check_fd_map(const struct asp_step *s)
{
	uint32_t i;
	if (s->u.fd_map.count > ASP_REQ_MAX_FDS || (s->u.fd_map.flags & ~ASP_FDMAP_CLOSE_OTHERS))
		return -ASP_EINVAL_;
	for (i = 0; i < s->u.fd_map.count; i++) {
		int32_t src = (int32_t)asp_load32(s->u.fd_map.pairs + 8 * i);
		int32_t dst = (int32_t)asp_load32(s->u.fd_map.pairs + 8 * i + 4);
		if (src < ASP_FD_SOCKETPAIR || src >= (int32_t)ASP_REQ_MAX_FD || dst < 0 ||
		    dst >= (int32_t)ASP_REQ_MAX_FD)
			return -ASP_EINVAL_;
	}
	return 0;
}

static inline int asp_fd_ok(int32_t fd)
{
	return fd >= 0 && fd < (int32_t)ASP_REQ_MAX_FD;
}

/* A target in range, known flags (APPEND only with WRITE), a mode of at
 * most 07777. */
static inline int asp_check_open(const struct asp_step *s)
{
	uint32_t f = s->u.open.flags;
	if (!asp_fd_ok(s->u.open.fd) || (f & ~(ASP_OPEN_WRITE | ASP_OPEN_APPEND)) ||
	    ((f & ASP_OPEN_APPEND) && !(f & ASP_OPEN_WRITE)) || s->u.open.mode > 07777u)
		return -ASP_EINVAL_;
	return 0;
}

/* The checks of values that the layout alone does not bound. */
static inline int asp_check_values(const struct asp_step *s)
{
	switch (s->op) {
	case ASP_OP_FD_MAP:
		return asp_check_fd_map(s);
	case ASP_OP_SETGROUPS:
		return s->u.list.count <= ASP_REQ_MAX_GROUPS ? 0 : -ASP_EINVAL_;
	case ASP_OP_SECCOMP:
		return s->u.list.count >= 1 && s->u.list.count <= ASP_REQ_MAX_FILTERS ? 0 : -ASP_EINVAL_;
	case ASP_OP_PDEATHSIG:
		return s->u.u32 >= 1 && s->u.u32 <= ASP_MAX_SIGNAL ? 0 : -ASP_EINVAL_;
	case ASP_OP_RLIMIT:
		return s->u.rlimit.resource < ASP_RLIM_NLIMITS_ ? 0 : -ASP_EINVAL_;
	case ASP_OP_OPEN:
		return asp_check_open(s);
	case ASP_OP_DUP:
		return asp_fd_ok(s->u.pair.src) && asp_fd_ok(s->u.pair.dst) ? 0 : -ASP_EINVAL_;
	case ASP_OP_CTTY:
		return asp_fd_ok(s->u.i32) ? 0 : -ASP_EINVAL_;
	}
	return 0;
}

/* Decode the next step: its op must be in the table, its payload must match
 * the op's layout exactly, and its values the op's limits. */
static inline int asp_step_next(struct asp_reader *r, struct asp_step *s)
{
	uint32_t left = r->end - r->off, size;
	const struct asp_op_info *info;
	int e;
	if (left < 8)
		return -ASP_EINVAL_;
	s->op = asp_load32(r->base + r->off);
	size = asp_load32(r->base + r->off + 4);
	if ((size & 3u) || size > left - 8)
		return -ASP_EINVAL_;
	s->offset = r->off + 8;
	s->size = size;
	r->off += 8 + size;
	info = asp_op_info(s->op);
	if (!info)
		return -ASP_EINVAL_;
	e = asp_decode_layout(info->layout, r->base, s->offset, size, s);
	return e < 0 ? e : asp_check_values(s);
}

#endif
