/*
 * The floor's child: it runs on its own stack but in the parent's memory
 * (CLONE_VM) and shares the parent's TLS, so it makes raw syscalls only and
 * touches nothing of libc (no errno, no PLT). build.zig (zig build bench-c) builds this
 * file with the library child's flags (no stack protector, no sanitizers) for the same reason.
 * x86_64 only; the trampoline follows lib/c/arch/x86_64.h.
 */
#include "floor_child.h"

static inline long raw3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

#define NR_DUP2 33
#define NR_EXECVE 59
#define NR_UNSHARE 272
#define NR_CLOSE_RANGE 436
#define CLONE_FILES_ 0x400
#define CLOSE_RANGE_UNSHARE_ 0x2

int bench_floor_child(const struct floor_arg *a)
{
	/* With CLONE_FILES the table is still the parent's: dup2 onto fd 1
	 * would replace the parent's stdout. Take a private copy first, of the
	 * fds below keep_below only, as the library's child does. */
	if (a->unshare_files && raw3(NR_CLOSE_RANGE, a->keep_below, ~0u, CLOSE_RANGE_UNSHARE_) < 0 &&
	    raw3(NR_UNSHARE, CLONE_FILES_, 0, 0) < 0)
		return 126;
	if ((a->in_fd >= 0 && raw3(NR_DUP2, a->in_fd, 0, 0) < 0) || raw3(NR_DUP2, a->out_fd, 1, 0) < 0 ||
	    (a->err_fd >= 0 && raw3(NR_DUP2, a->err_fd, 2, 0) < 0))
		return 125;
	raw3(NR_EXECVE, (long)a->path, (long)a->argv, (long)a->envp);
	return 127;
}

/*
 * long bench_clone3(struct bench_clone_args *args, size_t size, const struct floor_arg *arg)
 *
 * The child resumes after `syscall` on its new stack with the parent's
 * registers; the argument rides in r9, which the kernel preserves. It
 * never returns here: it execs or exits with the entry's result.
 */
__asm__(".text\n"
	".globl bench_clone3\n.hidden bench_clone3\n"
	".type bench_clone3,@function\n"
	"bench_clone3:\n"
	"	mov %rdx, %r9\n"
	"	mov $435, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"
	"	ret\n"
	"1:	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	mov %r9, %rdi\n"
	"	call bench_floor_child\n"
	"	mov %eax, %edi\n"
	"	mov $231, %eax\n"
	"	syscall\n"
	"	hlt\n"
	".size bench_clone3, .-bench_clone3\n");
