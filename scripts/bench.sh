#!/bin/sh
# The side-by-side benchmark (bench/main.ts) on every runtime:
#   scripts/bench.sh [--quick]
# 1. the C floor (bench/c, --quick, small parent only: that is the one the
#    JS numbers are held against) into build/bench-c.json;
# 2. bench/main.ts under node (an esbuild bundle: Node 20 cannot run
#    TypeScript; build/bench/ is two levels deep like src/ffi/, so the
#    library finds ../../prebuilds), bun and deno, one process each;
# 3. the merged results in bench/results/latest.json, the table on stdout,
#    and bench/chart.svg drawn from that JSON.
# Progress goes to stderr. A runtime that fails is left out of the merge and
# makes the script exit 1 after the rest ran.
set -eu
cd "$(dirname "$0")/.."
quick=""
case "${1:-}" in
--quick) quick="--quick" ;;
"") ;;
*) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac
bin=node_modules/.bin
out=build/bench
start=$(date +%s)
mkdir -p "$out"
rm -f "$out"/node.json "$out"/bun.json "$out"/deno.json # never merge a stale runtime

echo "bench: C floor (scripts/bench-c.sh --quick --parents small)" >&2
rm -f build/bench-c.json
# bench-c exits 1 when its fd count differs at the end, which also happens
# when it inherits fds from its caller: its numbers stand, so go on.
if ! scripts/bench-c.sh --quick --parents small --json build/bench-c.json >"$out/c.txt"; then
	echo "bench: bench-c exited non-zero: $(grep '^end:' "$out/c.txt" || echo 'see build/bench/c.txt')" >&2
fi
[ -f build/bench-c.json ] || echo "bench: no C floor: the targets that need it are left out" >&2

"$bin/esbuild" bench/main.ts --bundle --platform=node --format=esm --packages=external \
	--outfile="$out/main.mjs" --log-level=warning

failed=""
common="$quick --no-table --c-floor build/bench-c.json"
node --expose-gc "$out/main.mjs" $common --out "$out/node.json" || failed="$failed node"
"$bin/bun" bench/main.ts $common --out "$out/bun.json" || failed="$failed bun"
"$bin/deno" run --allow-all --no-check --v8-flags=--expose-gc bench/main.ts $common --out "$out/deno.json" ||
	failed="$failed deno"

"$bin/bun" bench/merge.ts bench/results/latest.json build/bench-c.json "$out/node.json" "$out/bun.json" "$out/deno.json"
"$bin/bun" bench/chart.ts bench/results/latest.json bench/chart.svg
# A full run is the one the README shows.
[ -n "$quick" ] || "$bin/bun" bench/readme.ts bench/results/latest.json README.md
echo "bench: ${quick:-full} run took $(($(date +%s) - start)) s" >&2
if [ -n "$failed" ]; then
	echo "bench: failed on:$failed" >&2
	exit 1
fi
