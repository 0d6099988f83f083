#!/usr/bin/env bash
# ASan/UBSan build of the library and the C tests (`zig build sanitize`: the
# shipped compile lines of build.zig, run with Debian's clang, as Zig 0.11
# ships no sanitizer runtime), then the tests against it. The child's code is
# built without sanitizers, as in the real build: it must not call into any
# runtime while it shares our memory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/zig build sanitize -Dclang="${CLANG:-clang-16}"
out=zig-out/sanitize
for reactor in 0 1; do
	echo "== sanitized C tests, reactor $reactor"
	ASPAWN_TEST_REACTOR=$reactor ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$out/aspawn-test" "$out/libaspawn.so"
done
