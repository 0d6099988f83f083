/*
 * Pseudo-terminals for the `pty` option: the pair is opened here, in the
 * parent, with raw ioctls (no libc grantpt/unlockpt/ptsname), and the
 * window size is set before any child exists, so the program's first
 * TIOCGWINSZ already sees it. The child takes the slave as its controlling
 * terminal with a pre-exec step; the parent keeps only the master.
 */
#include "internal.h"

#define ASP_O_NOCTTY 0400
#define ASP_ENOTTY 25
/* asm-generic ioctl numbers: the same on x86_64 and aarch64. */
#define ASP_TIOCGWINSZ 0x5413
#define ASP_TIOCSWINSZ 0x5414
#define ASP_TIOCGPTN 0x80045430u
#define ASP_TIOCSPTLCK 0x40045431u
#define ASP_TIOCGPTPEER 0x5441
#define ASP_TCGETS 0x5401
#define ASP_TCSETS 0x5402
/* c_iflag bits, asm-generic too. */
#define ASP_BRKINT 0000002u
#define ASP_IXANY 0004000u
#define ASP_IMAXBEL 0020000u
#define ASP_IUTF8 0040000u

/* The kernel's struct termios (TCGETS/TCSETS; NCCS 19 on both). */
struct asp_termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};
_Static_assert(sizeof(struct asp_termios) == 36, "struct termios of asm-generic");

struct asp_winsize {
	uint16_t rows, cols, xpixel, ypixel;
};

static int valid_size(uint32_t cols, uint32_t rows)
{
	return cols >= 1 && rows >= 1 && cols <= 0xffff && rows <= 0xffff;
}

/* The slave through the master (Linux 4.13: no path lookup, right in any
 * mount namespace), else by its /dev/pts path. */
static long open_slave(int master)
{
	const int flags = ASP_O_RDWR | ASP_O_NOCTTY | ASP_O_CLOEXEC;
	uint32_t n;
	char path[24] = "/dev/pts/";
	int i = 9, len = 0;
	char digits[10];
	long fd = sys_ioctl(master, ASP_TIOCGPTPEER, (void *)(long)flags);
	if (fd != -ASP_EINVAL && fd != -ASP_ENOTTY)
		return fd;
	fd = sys_ioctl(master, ASP_TIOCGPTN, &n);
	if (fd < 0)
		return fd;
	do
		digits[len++] = (char)('0' + n % 10);
	while ((n /= 10) && len < 10);
	while (len)
		path[i++] = digits[--len];
	path[i] = 0;
	return sys_openat(ASP_AT_FDCWD, path, flags, 0);
}

/* A terminal's input as terminal emulators set it (node-pty, xterm):
 * erasing a UTF-8 character erases all its bytes (IUTF8), any key resumes
 * output stopped by ^S (IXANY), a full line rings (IMAXBEL), a break is
 * SIGINT (BRKINT). Best effort: the kernel's defaults otherwise. */
static void line_discipline(int slave)
{
	struct asp_termios t;
	if (sys_ioctl(slave, ASP_TCGETS, &t) < 0)
		return;
	t.iflag |= ASP_IUTF8 | ASP_IXANY | ASP_IMAXBEL | ASP_BRKINT;
	sys_ioctl(slave, ASP_TCSETS, &t);
}

/* out[0]: the master (O_NONBLOCK, for the reactor), out[1]: the slave;
 * both O_CLOEXEC and never 0-2. */
ASP_EXPORT int asp_pty_open(uint32_t cols, uint32_t rows, int32_t *out)
{
	struct asp_winsize ws = {(uint16_t)rows, (uint16_t)cols, 0, 0};
	int unlock = 0, ch = asp_thread_channel();
	uint8_t kinds[2] = {ASP_OWN_FD, ASP_OWN_FD};
	long master, slave, r;
	if (!valid_size(cols, rows))
		return -ASP_EINVAL;
	master = asp_fd_high(sys_openat(ASP_AT_FDCWD, "/dev/ptmx",
					 ASP_O_RDWR | ASP_O_NOCTTY | ASP_O_CLOEXEC | ASP_O_NONBLOCK, 0));
	if (master < 0)
		return (int)master;
	r = sys_ioctl((int)master, ASP_TIOCSPTLCK, &unlock);
	if (r >= 0)
		r = sys_ioctl((int)master, ASP_TIOCSWINSZ, &ws);
	slave = r < 0 ? r : asp_fd_high(open_slave((int)master));
	if (slave < 0) {
		sys_close((int)master);
		return (int)slave;
	}
	line_discipline((int)slave);
	out[0] = (int32_t)master;
	out[1] = (int32_t)slave;
	/* Owned by the caller's context like a child's pipes (owners.c): a
	 * Worker terminated with its terminal open leaves no fd behind. */
	if (ch >= 0)
		asp_owner_set(ch, out, kinds, 2);
	return 0;
}

/* The program gets SIGWINCH from the kernel when the size changes. */
ASP_EXPORT int asp_pty_resize(int fd, uint32_t cols, uint32_t rows)
{
	struct asp_winsize ws = {(uint16_t)rows, (uint16_t)cols, 0, 0};
	if (!valid_size(cols, rows))
		return -ASP_EINVAL;
	return (int)sys_ioctl(fd, ASP_TIOCSWINSZ, &ws);
}

/* out[0] = cols, out[1] = rows. */
ASP_EXPORT int asp_pty_size(int fd, int32_t *out)
{
	struct asp_winsize ws;
	long r = sys_ioctl(fd, ASP_TIOCGWINSZ, &ws);
	if (r < 0)
		return (int)r;
	out[0] = ws.cols;
	out[1] = ws.rows;
	return 0;
}
