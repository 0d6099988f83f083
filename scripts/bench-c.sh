#!/bin/sh
# Builds the C spawn benchmark (bench/c; `zig build bench-c`) and runs it:
#   scripts/bench-c.sh [--quick] [--json PATH] [LIBRARY]
# LIBRARY (or $ASPAWN_LIBRARY) defaults to prebuilds/linux-x64/libaspawn.so.
# x86_64 only: the floor's clone3 trampoline is x86_64 assembly.
set -eu
cd "$(dirname "$0")/.."
scripts/zig build bench-c
exec zig-out/bin/bench-c "$@"
