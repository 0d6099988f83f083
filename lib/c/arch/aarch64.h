/* aarch64: raw syscalls and the clone trampolines. Nothing else lives here. */
#ifndef ASP_ARCH_AARCH64_H
#define ASP_ARCH_AARCH64_H

#define ASP_O_DIRECTORY 040000 /* x86_64's value means O_DIRECT here */

static inline long asp_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}

/*
 * The trampolines. The child resumes after `svc` with a copy of the parent's
 * registers on its new stack (sp is 16-byte aligned by construction), so the
 * argument rides in x9, which the kernel preserves. Frame pointer and link
 * register are cleared so unwinders stop here; the child never returns.
 * Legacy clone on arm64 takes (flags, stack, ptid, tls, ctid).
 *
 *   long asp_clone3_raw(struct clone_args *args, size_t size, void *arg);
 *   long asp_clone_raw(unsigned long flags, void *stack, int *ptid, int *ctid, void *arg);
 */
/* The child's side of both trampolines (label 1). */
#define ASP_CHILD_PATH                                                 \
	"1:	mov x29, #0\n"                                         \
	"	mov x30, #0\n"                                         \
	"	mov x0, x9\n"                                          \
	"	bl asp_child_main\n"                                   \
	"	mov x8, #94\n"                                         \
	"	svc #0\n"                                              \
	"	brk #1000\n"

#define ASP_ARCH_CLONE_ASM                                             \
	".text\n"                                                      \
	".globl asp_clone3_raw\n.hidden asp_clone3_raw\n"              \
	".type asp_clone3_raw,%function\n"                             \
	"asp_clone3_raw:\n"                                            \
	"	mov x9, x2\n"                                          \
	"	mov x8, #435\n"                                        \
	"	svc #0\n"                                              \
	"	cbz x0, 1f\n"                                          \
	"	ret\n"                                                 \
	ASP_CHILD_PATH                                                 \
	".size asp_clone3_raw, .-asp_clone3_raw\n"                     \
	".globl asp_clone_raw\n.hidden asp_clone_raw\n"                \
	".type asp_clone_raw,%function\n"                              \
	"asp_clone_raw:\n"                                             \
	"	mov x9, x4\n"                                          \
	"	mov x4, x3\n"                                          \
	"	mov x3, #0\n"                                          \
	"	mov x8, #220\n"                                        \
	"	svc #0\n"                                              \
	"	cbz x0, 1f\n"                                          \
	"	ret\n"                                                 \
	ASP_CHILD_PATH                                                 \
	".size asp_clone_raw, .-asp_clone_raw\n"

#endif
