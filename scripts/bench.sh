#!/bin/sh
# The side-by-side benchmark (bench/main.ts) on every runtime:
#   scripts/bench.sh [--quick]
# 1. the C floors (bench/c, small parent only: the one the JS numbers are
#    held against) into build/bench-c.json: the spawn syscalls by hand, and
#    the floors of the storm, echo and stdout scenarios at the JS run's
#    sizes (a full run's floors read 2 GiB, as the JS side does);
# 2. bench/main.ts under node, bun and deno, one process each
#    (scripts/each-runtime.sh);
# 3. the merged results in bench/results/latest.json, the table on stdout,
#    and bench/chart.svg drawn from that JSON.
# Progress goes to stderr. A runtime that fails is left out of the merge and
# makes the script exit 1 after the rest ran.
set -eu
cd "$(dirname "$0")/.."
. scripts/each-runtime.sh
each_runtime_begin bench "$@"

echo "bench: C floors (scripts/bench-c.sh ${quick:-(full)} --parents small)" >&2
rm -f build/bench-c.json
# bench-c exits 1 when its fd count differs at the end, which also happens
# when it inherits fds from its caller: its numbers stand, so go on.
# shellcheck disable=SC2086
if ! scripts/bench-c.sh $quick --parents small --json build/bench-c.json >"$out/c.txt"; then
	echo "bench: bench-c exited non-zero: $(grep '^end:' "$out/c.txt" || echo 'see build/bench/c.txt')" >&2
fi
[ -f build/bench-c.json ] || echo "bench: no C floor: the targets that need it are left out" >&2

# shellcheck disable=SC2086
each_runtime bench/main.ts --expose-gc $quick --no-table --c-floor build/bench-c.json

# shellcheck disable=SC2086
"$bin/bun" bench/merge.ts bench/results/latest.json build/bench-c.json $results
"$bin/bun" bench/chart.ts bench/results/latest.json bench/chart.svg
# A full run is the one the README shows.
[ -n "$quick" ] || "$bin/bun" bench/readme.ts bench/results/latest.json README.md
each_runtime_end
