/* Writes seed requests for the decoder fuzzer: one per op, and a full one. */
#include <stdio.h>
#include "req.h"

static void save(const char *dir, const char *name, struct req *r)
{
	char path[512];
	FILE *f;
	req_end(r);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	fwrite(r->buf, 1, r->len, f);
	fclose(f);
	free(r->buf);
}

static void base(struct req *r)
{
	req_begin(r, "sh", ASP_REQ_SEARCH_PATH);
	req_arg(r, "sh");
	req_arg(r, "-c");
	req_arg(r, "echo hi");
	req_env(r, "PATH=/bin:/usr/bin");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct req r;
	const int32_t map[][2] = {{ASP_FD_DEVNULL, 0}, {ASP_FD_PIPE_WRITE, 1}, {2, 2}, {5, 3}, {ASP_FD_SOCKETPAIR, 4}};
	const int32_t merge[2] = {1, 2};
	struct req op = {0};
	int32_t one = 1;
	uint32_t groups[2] = {100, 200};
	uint64_t mask = 1u << 9;
	struct { uint32_t count, pad; uint16_t code; uint8_t jt, jf; uint32_t k; } filter = {1, 0, 6, 0, 0, 0x7fff0000u};
	struct req cg = {0};
	int32_t fd = -1;

	base(&r);
	save(dir, "plain", &r);
	req_begin(&r, "script", ASP_REQ_SEARCH_PATH | ASP_REQ_INHERIT_ENV | ASP_REQ_SH_FALLBACK);
	req_arg(&r, "script");
	save(dir, "sh-fallback", &r);
	base(&r);
	req_fd_map(&r, map, 5, ASP_FDMAP_CLOSE_OTHERS);
	req_step_string(&r, ASP_OP_CHDIR, "/tmp");
	req_step(&r, ASP_OP_SETSID, 0, 0);
	req_step_u32(&r, ASP_OP_CTTY, 0);
	req_step_u32(&r, ASP_OP_SETPGID, 0);
	req_step(&r, ASP_OP_SETGROUPS, groups, sizeof groups);
	req_step_u32(&r, ASP_OP_SETGID, 65534);
	req_step_u32(&r, ASP_OP_SETUID, 65534);
	req_step_u32(&r, ASP_OP_UMASK, 022);
	req_step_u32(&r, ASP_OP_NICE, 5);
	req_rlimit(&r, 7, 64, 128);
	req_step_u32(&r, ASP_OP_PDEATHSIG, 9);
	req_step(&r, ASP_OP_NO_NEW_PRIVS, 0, 0);
	req_step(&r, ASP_OP_SIGMASK, &mask, 8);
	req_put(&cg, &fd, 4);
	req_string_raw(&cg, "/sys/fs/cgroup/x", 16);
	req_step(&r, ASP_OP_CGROUP, cg.buf, (uint32_t)cg.len);
	req_step(&r, ASP_OP_CLEAR_GROUPS, 0, 0);
	/* OPEN: i32 fd, u32 flags, u32 mode, string */
	req_put(&op, &one, 4);
	req_u32(&op, ASP_OPEN_WRITE | ASP_OPEN_APPEND);
	req_u32(&op, 0640);
	req_string_raw(&op, "out.txt", 7);
	req_step(&r, ASP_OP_OPEN, op.buf, (uint32_t)op.len);
	req_step(&r, ASP_OP_DUP, merge, sizeof merge);
	req_step(&r, ASP_OP_SECCOMP, &filter, sizeof filter);
	save(dir, "all-steps", &r);
	/* OPEN's value checks: APPEND without WRITE, a mode above 07777. */
	base(&r);
	__builtin_memcpy(op.buf + 4, &(uint32_t){ASP_OPEN_APPEND}, 4);
	req_step(&r, ASP_OP_OPEN, op.buf, (uint32_t)op.len);
	save(dir, "open-append-read", &r);
	base(&r);
	__builtin_memcpy(op.buf + 4, &(uint32_t){ASP_OPEN_WRITE}, 4);
	__builtin_memcpy(op.buf + 8, &(uint32_t){010000}, 4);
	req_step(&r, ASP_OP_OPEN, op.buf, (uint32_t)op.len);
	save(dir, "open-mode-too-large", &r);
	free(op.buf);
	/* Paths of the decoder by layout: a second ONCE op, and list counts
	 * whose payload size would wrap around in 32 bits. */
	base(&r);
	req_fd_map(&r, map, 1, 0);
	req_fd_map(&r, map, 2, 0);
	save(dir, "fd-map-twice", &r);
	base(&r);
	req_step(&r, ASP_OP_CGROUP, cg.buf, (uint32_t)cg.len);
	req_step(&r, ASP_OP_CGROUP, cg.buf, (uint32_t)cg.len);
	save(dir, "cgroup-twice", &r);
	base(&r);
	groups[0] = 0x40000001u; /* 4 + 4 * count wraps to 8 */
	req_step(&r, ASP_OP_SETGROUPS, groups, sizeof groups);
	save(dir, "groups-count-wraps", &r);
	base(&r);
	filter.count = 0x20000001u; /* 8 + 8 * count wraps to 16 */
	req_step(&r, ASP_OP_SECCOMP, &filter, sizeof filter);
	save(dir, "filter-count-wraps", &r);
	base(&r);
	req_step_u32(&r, ASP_OP_CTTY, 0);
	req_step_u32(&r, ASP_OP_CTTY, 1); /* ONCE */
	save(dir, "ctty-twice", &r);
	base(&r);
	req_step_u32(&r, ASP_OP_CTTY, 0xffffffffu); /* a negative fd */
	save(dir, "ctty-bad-fd", &r);
	free(cg.buf);
	return 0;
}
