#!/usr/bin/env bash
# Fuzz the request decoder with libFuzzer for SECONDS (default 60); the
# harness and the seed writer are built by `zig build fuzz` with Debian's clang.
# New inputs that add coverage land in test/fuzz/corpus (kept in the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=zig-out/fuzz
scripts/zig build fuzz -Dclang="${CLANG:-clang-16}"
mkdir -p test/fuzz/corpus
"$out/make-seeds" test/fuzz/corpus
"$out/fuzz-decoder" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 test/fuzz/corpus 2>&1 | tail -15
