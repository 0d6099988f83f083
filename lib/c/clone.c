/* Emits the trampolines of arch/x86_64.h or arch/aarch64.h; they enter asp_child_main. */
#include "internal.h"

__asm__(ASP_ARCH_CLONE_ASM);
