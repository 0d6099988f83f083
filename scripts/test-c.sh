#!/usr/bin/env bash
# C tests of the committed x86_64 library, once per spawn mechanism: the
# default (clone3 + CLONE_VM here) and each fallback forced with ASPAWN_MODE.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -m)" != x86_64 ] || ! scripts/zig version >/dev/null 2>&1; then
	echo "C tests: skipped (they need x86_64 and the optional Zig dependency)"
	exit 0
fi
scripts/zig build tests
for mode in default clone vfork fork; do
	echo "== C tests, spawn mechanism: $mode"
	if [ "$mode" = default ]; then
		zig-out/bin/aspawn-test-x64 prebuilds/linux-x64/libaspawn.so 2>&1 | grep -v '^ok '
	else
		ASPAWN_MODE=$mode zig-out/bin/aspawn-test-x64 prebuilds/linux-x64/libaspawn.so 2>&1 | grep -v '^ok '
	fi
done
