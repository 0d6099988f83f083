#!/bin/sh
# Builds the C spawn benchmark (bench/c) into build/bench-c and runs it:
#   scripts/bench-c.sh [--quick] [--json PATH] [LIBRARY]
# LIBRARY (or $ASPAWN_LIBRARY) defaults to prebuilds/linux-x64/libaspawn.so.
# x86_64 only: the floor's clone3 trampoline is x86_64 assembly.
set -eu
cd "$(dirname "$0")/.."
obj=build/bench-c.obj
mkdir -p "$obj"
cflags="-target x86_64-linux-gnu.2.17 -O2 -std=gnu11 -Wall -Wextra -Werror -Ilib/c/include -Itest/c"
objs=""
# The loader and the /proc checks are the C tests' own (test/c).
for src in bench/c/*.c test/c/lib.c test/c/proc.c; do
	name=$(basename "$src" .c)
	extra=""
	# The floor's child runs in our memory before exec: nothing may call
	# into a runtime (stack protector, sanitizers) or emit libc builtins.
	[ "$name" = floor_child ] && extra="-fno-stack-protector -fno-sanitize=all -fno-builtin"
	scripts/zig cc $cflags $extra -c "$src" -o "$obj/$name.o"
	objs="$objs $obj/$name.o"
done
scripts/zig cc -target x86_64-linux-gnu.2.17 $objs -o build/bench-c -ldl
exec build/bench-c "$@"
