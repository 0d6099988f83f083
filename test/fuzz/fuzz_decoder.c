/*
 * libFuzzer harness for the request decoder (lib/c/program.h): every byte
 * string must either be rejected or decode without reading outside the
 * buffer. Strings and payloads are touched so ASan sees any overread.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "program.h"

static volatile uint64_t sink;

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;
	for (i = 0; i < n; i++)
		sink += b[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct asp_reader strings, steps;
	struct asp_req_header h;
	const char *s;
	uint32_t len, i, seen = 0;
	uint8_t *copy;

	if (size > ASP_REQ_MAX_SIZE)
		return 0;
	/* An exact-size heap copy, so reading one byte past the end is caught. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (asp_req_open(copy, (uint32_t)size, &strings, &h) < 0)
		goto out;
	for (i = 0; i < 1 + h.argc + h.envc; i++) {
		if (asp_read_string(&strings, &s, &len) < 0)
			goto out;
		touch(s, len + 1);
		if (strlen(s) > len)
			abort();
	}
	asp_steps_begin(&strings, &h, &steps);
	for (i = 0; i < h.nsteps; i++) {
		struct asp_step st;
		if (asp_step_next(&steps, &st) < 0)
			break;
		touch(copy + st.offset, st.size);
		switch (asp_ops[st.op].layout) {
		case ASP_LAYOUT_FD_MAP:
			touch(st.u.fd_map.pairs, 8 * (size_t)st.u.fd_map.count);
			break;
		case ASP_LAYOUT_U32_LIST:
			touch(st.u.list.data, 4 * (size_t)st.u.list.count);
			break;
		case ASP_LAYOUT_FILTER:
			touch(st.u.list.data, 8 * (size_t)st.u.list.count);
			break;
		case ASP_LAYOUT_STRING:
			touch(st.u.str, strlen(st.u.str) + 1);
			break;
		case ASP_LAYOUT_CGROUP:
			touch(st.u.cgroup.path, strlen(st.u.cgroup.path) + 1);
			break;
		case ASP_LAYOUT_OPEN:
			touch(st.u.open.path, strlen(st.u.open.path) + 1);
			/* What the child relies on once a step decoded. */
			if (st.u.open.fd < 0 || st.u.open.mode > 07777u || (st.u.open.flags & ~3u))
				abort();
			break;
		case ASP_LAYOUT_FD_PAIR:
			if (st.u.pair.src < 0 || st.u.pair.dst < 0)
				abort();
			break;
		}
		/* What the parent's scan adds: a second ONCE op is refused. */
		if (asp_step_once(&seen, st.op) < 0)
			break;
	}
out:
	free(copy);
	return 0;
}
