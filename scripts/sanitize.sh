#!/usr/bin/env bash
# ASan/UBSan build of the library and the C tests (Debian's clang: Zig 0.11
# ships no sanitizer runtime), then the tests against it. The child's code is
# built without sanitizers, as in the real build: it must not call into any
# runtime while it shares our memory.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CLANG:-clang-16}
out=build/sanitize
mkdir -p "$out"
common="-std=gnu11 -O1 -g -fPIC -fvisibility=hidden -Wall -Wextra -Werror -Wno-unused-parameter -Ilib/c"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
objs=""
for src in spawn probe stack_pool low_fds dumpable io reactor environ; do
	$CC $common $san -c "lib/c/$src.c" -o "$out/$src.o"
	objs="$objs $out/$src.o"
done
for src in child mem clone; do
	$CC $common -fno-sanitize=all -fno-stack-protector -ffreestanding -fno-builtin -c "lib/c/$src.c" -o "$out/$src.o"
	objs="$objs $out/$src.o"
done
$CC -shared $san $objs -o "$out/libaspawn.so" -Wl,-z,nodelete -Wl,-z,now -lpthread
$CC -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers $san \
	-Ilib/c/include -Itest/c test/c/*.c -o "$out/aspawn-test" -ldl -lpthread
for reactor in 0 1; do
	echo "== sanitized C tests, reactor $reactor"
	ASPAWN_TEST_REACTOR=$reactor ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$out/aspawn-test" "$out/libaspawn.so"
done
