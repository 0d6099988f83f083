/* x86_64: raw syscalls and the clone trampolines. Nothing else lives here. */
#ifndef ASP_ARCH_X86_64_H
#define ASP_ARCH_X86_64_H

#define ASP_O_DIRECTORY 0200000 /* differs from the generic 040000 */

static inline long asp_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * The trampolines. The child resumes after `syscall` with a copy of the
 * parent's registers on its new stack, so the argument rides in r9, which the
 * kernel preserves. The child aligns its stack (on the fork fallback it
 * continues on a copy of ours, mid-frame), calls asp_child_main directly (a
 * hidden symbol: no PLT) and exits with its result; it never returns here.
 *
 *   long asp_clone3_raw(struct clone_args *args, size_t size, void *arg);
 *   long asp_clone_raw(unsigned long flags, void *stack, int *ptid, int *ctid, void *arg);
 */
/* The child's side of both trampolines (label 1). */
#define ASP_CHILD_PATH                                                 \
	"1:	xor %ebp, %ebp\n"                                      \
	"	and $-16, %rsp\n"                                      \
	"	mov %r9, %rdi\n"                                       \
	"	call asp_child_main\n"                                 \
	"	mov %eax, %edi\n"                                      \
	"	mov $231, %eax\n"                                      \
	"	syscall\n"                                             \
	"	hlt\n"

#define ASP_ARCH_CLONE_ASM                                             \
	".text\n"                                                      \
	".globl asp_clone3_raw\n.hidden asp_clone3_raw\n"              \
	".type asp_clone3_raw,@function\n"                             \
	"asp_clone3_raw:\n"                                            \
	"	mov %rdx, %r9\n"                                       \
	"	mov $435, %eax\n"                                      \
	"	syscall\n"                                             \
	"	test %rax, %rax\n"                                     \
	"	jz 1f\n"                                               \
	"	ret\n"                                                 \
	ASP_CHILD_PATH                                                 \
	".size asp_clone3_raw, .-asp_clone3_raw\n"                     \
	".globl asp_clone_raw\n.hidden asp_clone_raw\n"                \
	".type asp_clone_raw,@function\n"                              \
	"asp_clone_raw:\n"                                             \
	"	mov %r8, %r9\n"                                        \
	"	mov %rcx, %r10\n"                                      \
	"	xor %r8d, %r8d\n"                                      \
	"	mov $56, %eax\n"                                       \
	"	syscall\n"                                             \
	"	test %rax, %rax\n"                                     \
	"	jz 1f\n"                                               \
	"	ret\n"                                                 \
	ASP_CHILD_PATH                                                 \
	".size asp_clone_raw, .-asp_clone_raw\n"

#endif
