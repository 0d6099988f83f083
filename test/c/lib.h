/* The library under test, loaded with dlopen so any build (the committed
 * prebuilt, a sanitizer build) can be tested; every exported symbol must
 * resolve. */
#ifndef ASP_TEST_LIB_H
#define ASP_TEST_LIB_H
#include <stdint.h>
#include "aspawn.h"

struct lib {
	int (*version)(void);
	int (*capabilities)(void);
	int (*spawn)(const void *req, uint32_t len, int32_t *out, uint32_t out_len);
	int (*spawn_start)(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int channel, uint32_t status_id);
	int (*launched)(int ticket, int32_t *out);
	int (*status_read)(int fd, int32_t *record);
	int (*wait)(int pidfd, int pid, void *result);
	int (*kill)(int pidfd, int pid, int sig);
	int (*killpg)(int pgid, int sig);
	int (*kill_tree)(int pidfd, int pid, int sig, const char *cgroup);
	int (*read)(int fd, void *buf, uint32_t len);
	int (*write)(int fd, const void *buf, uint32_t len);
	int (*close)(int fd);
	int (*reactor_open)(int32_t *out);
	int (*reactor_close)(int channel);
	int (*watch)(int channel, int fd, uint32_t events, uint32_t id);
	int (*rearm)(int channel, int fd, uint32_t events, uint32_t id);
	int (*unwatch)(int fd);
	int (*watch2)(int channel, int fd, uint32_t id, int fd2, uint32_t id2);
	int (*spawn_watch)(const void *req, uint32_t len, int32_t *out, uint32_t out_len, int channel, uint32_t status_id,
			   uint32_t exit_id);
	int (*status_take)(int fd, int32_t *record);
	int (*exit_take)(int pidfd, int pid, void *result, int status_fd, void *status);
	int (*read_arm)(int channel, int fd, void *buf, uint32_t len, uint32_t id, uint32_t flags);
	int (*pty_open)(uint32_t cols, uint32_t rows, int32_t *out);
	int (*pty_resize)(int fd, uint32_t cols, uint32_t rows);
	int (*pty_size)(int fd, int32_t *out);
	int (*run_sync)(const void *req, uint32_t len, const void *input, uint32_t input_len, const void *opts,
			void *result);
	int (*sync_take)(int stream, void *buf, uint32_t len);
	int (*sync_free)(void);
	int (*socketpair)(int32_t *out, int32_t bufsize);
	int (*send_fds)(int sock, const void *buf, uint32_t len, const int32_t *fds, uint32_t nfds);
	int (*recv_fds)(int sock, void *buf, uint32_t len, int32_t *fds, uint32_t maxfds, int32_t *nfds_out);
	int (*accept)(int sock);
};
extern struct lib L;
int lib_load(const char *path);
#endif
