#!/usr/bin/env bash
# The arm64 library and C tests: under qemu-user (which rejects CLONE_VM
# without CLONE_VFORK, so this covers the vfork fallback) and in a real arm64
# kernel booted by ../shared/tools/arm64-vm (the CLONE_VM path).
set -euo pipefail
cd "$(dirname "$0")/.."
vm=${ARM64_VM:-../shared/tools/arm64-vm/run.sh}
scripts/zig build tests
lib=prebuilds/linux-arm64/libaspawn.so
# Each run fixes how children reset their signals (child_signals.c), so the
# capabilities expected are known: every signal under qemu-user, whose
# /proc may not show the emulated process's, /proc in the real kernel.
echo "== arm64 C tests under qemu-aarch64-static (fallback path)"
ASPAWN_TEST_QEMU_USER=1 ASPAWN_SIGNAL_RESET=all ASPAWN_EXPECT_CAPS=0x54 qemu-aarch64-static -L /usr/aarch64-linux-gnu \
	zig-out/bin/aspawn-test-arm64 "$lib" 2>&1 | grep -v '^ok \|^qemu: uncaught'
echo "== arm64 C tests in an arm64 kernel (CLONE_VM path)"
"$vm" --timeout 900 --file "$lib" --file zig-out/bin/aspawn-test-arm64 --env ASPAWN_TEST_SCALE=10 \
	--env ASPAWN_SIGNAL_RESET=proc --env ASPAWN_EXPECT_CAPS=0xf3 -- test/c/vm-run.sh
