#!/usr/bin/env bash
# Fuzz with libFuzzer: the request decoder for SECONDS (default 60), then the
# child's reading of /proc/self/status for a quarter of that (its input is
# small). The harnesses and the seed writer are built by `zig build fuzz`
# with Debian's clang. New inputs that add coverage land in test/fuzz/corpus
# and test/fuzz/corpus-status (kept in the repo); this process's own status
# file seeds the second each run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=zig-out/fuzz
scripts/zig build fuzz -Dclang="${CLANG:-clang-16}"
mkdir -p test/fuzz/corpus test/fuzz/corpus-status
"$out/make-seeds" test/fuzz/corpus
"$out/fuzz-decoder" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 test/fuzz/corpus 2>&1 | tail -15
seed=$(mktemp -d)
trap 'rm -rf "$seed"' EXIT
cp /proc/self/status "$seed/status"
# A crash's input is written where -artifact_prefix says, not into the repository's root.
"$out/fuzz-status" -max_total_time="$((secs / 4))" -max_len=4096 -print_final_stats=1 \
	-artifact_prefix="$seed/" test/fuzz/corpus-status "$seed" 2>&1 | tail -8
