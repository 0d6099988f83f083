#!/bin/sh
# The soak (scripts/soak.ts) on every runtime:
#   scripts/soak.sh [--quick]
# Full size: 100 000 spawns of /bin/true (64 in flight) per runtime, 10 000
# live children at once, the malformed calls and the fault classes of
# test/faults.ts; --quick: 10 000 and 2 000.
# 1. scripts/soak.ts under node (an esbuild bundle in build/soak/, two levels
#    deep like src/ffi/, so the library finds ../../prebuilds), bun and
#    deno, one process each, with the GC exposed and V8's young generation
#    pinned (test/hard-util.ts: V8_FLAGS) and the soft RLIMIT_NOFILE raised;
# 2. the merged results in bench/results/soak.json and a Markdown table on
#    stdout; a full run also writes the table into README.md between
#    <!-- soak:start --> and <!-- soak:end -->, if the README has them.
# Progress goes to stderr. A runtime that fails is left out of the merge and
# makes the script exit 1 after the rest ran.
set -eu
cd "$(dirname "$0")/.."
size="--spawns 100000 --live 10000"
case "${1:-}" in
--quick) size="--spawns 10000 --live 2000" ;;
"") ;;
*) echo "usage: scripts/soak.sh [--quick]" >&2; exit 2 ;;
esac
bin=node_modules/.bin
out=build/soak
start=$(date +%s)
mkdir -p "$out" bench/results
rm -f "$out"/node.json "$out"/bun.json "$out"/deno.json # never merge a stale runtime
# Two fds per live child at most (pidfd, status pipe), and the rest.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "soak: soft RLIMIT_NOFILE $(ulimit -n)" >&2

"$bin/esbuild" scripts/soak.ts --bundle --platform=node --format=esm --packages=external \
	--outfile="$out/soak.mjs" --log-level=warning

v8="--expose-gc --min-semi-space-size=16 --max-semi-space-size=16"
failed=""
# shellcheck disable=SC2086
node $v8 "$out/soak.mjs" run $size --out "$out/node.json" || failed="$failed node"
# shellcheck disable=SC2086
"$bin/bun" scripts/soak.ts run $size --out "$out/bun.json" || failed="$failed bun"
# shellcheck disable=SC2086
"$bin/deno" run --allow-all --no-check --v8-flags="$(echo $v8 | tr ' ' ',')" scripts/soak.ts run $size --out "$out/deno.json" ||
	failed="$failed deno"

"$bin/bun" scripts/soak.ts report bench/results/soak.json "$out/node.json" "$out/bun.json" "$out/deno.json"
if [ -z "${1:-}" ] && grep -q '<!-- soak:start -->' README.md; then
	"$bin/bun" scripts/soak.ts readme bench/results/soak.json README.md
fi
echo "soak: ${1:-full} run took $(($(date +%s) - start)) s" >&2
if [ -n "$failed" ]; then
	echo "soak: failed on:$failed" >&2
	exit 1
fi
