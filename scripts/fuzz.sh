#!/usr/bin/env bash
# Fuzz the request decoder with libFuzzer for SECONDS (default 60).
# New inputs that add coverage land in test/fuzz/corpus (kept in the repo).
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CLANG:-clang-16}
secs=${1:-60}
out=build/fuzz
mkdir -p "$out" test/fuzz/corpus
$CC -std=gnu11 -O1 -g -Ilib/c -Itest/c -Ilib/c/include test/fuzz/make_seeds.c -o "$out/make-seeds"
"$out/make-seeds" test/fuzz/corpus
$CC -std=gnu11 -O1 -g -Ilib/c -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	test/fuzz/fuzz_decoder.c -o "$out/fuzz-decoder"
"$out/fuzz-decoder" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 test/fuzz/corpus 2>&1 | tail -15
