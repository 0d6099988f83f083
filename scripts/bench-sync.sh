#!/bin/sh
# The blocking-run benchmark (runSync against each runtime's own blocking
# API and the C floor), in one run:
#   scripts/bench-sync.sh [--quick]
# 1. the C floor and asp_run_sync from C (zig-out/bin/bench-c-sync, 100 MiB
#    and 4 GiB parents) into build/bench-sync/c.json;
# 2. bench/sync.ts under node, bun and deno, one process each
#    (scripts/each-runtime.sh);
# 3. the table, with the ratios, on stdout (bench/sync-report.ts).
# Progress goes to stderr. A runtime that fails is left out and makes the
# script exit 1 after the rest ran.
set -eu
cd "$(dirname "$0")/.."
. scripts/each-runtime.sh
each_runtime_begin bench-sync "$@"

echo "bench-sync: C floor (zig-out/bin/bench-c-sync $quick)" >&2
scripts/zig build bench-c
rm -f "$out/c.json"
# shellcheck disable=SC2086
zig-out/bin/bench-c-sync $quick --json "$out/c.json" || echo "bench-sync: bench-c-sync exited non-zero" >&2

# shellcheck disable=SC2086
each_runtime bench/sync.ts --expose-gc $quick

# shellcheck disable=SC2086
"$bin/bun" bench/sync-report.ts "$out/c.json" $results
each_runtime_end
