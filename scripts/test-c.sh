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
# With the reactor running (as from TypeScript), CLONE_VM children share
# our fd table until they unshare it; without it they get a copy at clone.
# +nodump: the guard of kernels before 5.16 (probe.c) forced on. The
# children's signal reset (child_signals.c) alternates between its two
# ways, whichever this host's probe would pick.
reset=proc
for mode in clone3 clone3+reactor clone clone+reactor vfork fork clone3+reactor+nodump; do
	echo "== C tests, spawn mechanism: $mode, signals reset: $reset"
	reactor=0 nodump=0
	[[ $mode == *+nodump ]] && nodump=1 && mode=${mode%+nodump}
	[[ $mode == *+reactor ]] && reactor=1
	ASPAWN_MODE=${mode%+reactor} ASPAWN_TEST_REACTOR=$reactor ASPAWN_NODUMP_GUARD=$nodump ASPAWN_SIGNAL_RESET=$reset \
		zig-out/bin/aspawn-test-x64 prebuilds/linux-x64/libaspawn.so 2>&1 | grep -v '^ok '
	[[ $reset == proc ]] && reset=all || reset=proc
done
