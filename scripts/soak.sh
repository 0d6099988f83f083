#!/bin/sh
# The soak (scripts/soak.ts) on every runtime:
#   scripts/soak.sh [--quick]
# Full size: 100 000 spawns of /bin/true (64 in flight) per runtime, 10 000
# live children at once, the malformed calls and the fault classes of
# test/faults.ts; --quick: 10 000 and 2 000.
# 1. scripts/soak.ts under node, bun and deno, one process each
#    (scripts/each-runtime.sh), with the GC exposed and V8's young generation
#    pinned (test/gc.ts: V8_FLAGS) and the soft RLIMIT_NOFILE raised;
# 2. the merged results in bench/results/soak.json and a Markdown table on
#    stdout; a full run also writes the table into README.md between
#    <!-- soak:start --> and <!-- soak:end -->, if the README has them.
# Progress goes to stderr. A runtime that fails is left out of the merge and
# makes the script exit 1 after the rest ran.
set -eu
cd "$(dirname "$0")/.."
. scripts/each-runtime.sh
each_runtime_begin soak "$@"
size="--spawns 100000 --live 10000"
[ -z "$quick" ] || size="--spawns 10000 --live 2000"
mkdir -p bench/results
# Two fds per live child at most (pidfd, status pipe), and the rest.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "soak: soft RLIMIT_NOFILE $(ulimit -n)" >&2

# shellcheck disable=SC2086
each_runtime scripts/soak.ts "--expose-gc --min-semi-space-size=16 --max-semi-space-size=16" run $size

# shellcheck disable=SC2086
"$bin/bun" scripts/soak.ts report bench/results/soak.json $results
if [ -z "$quick" ] && grep -q '<!-- soak:start -->' README.md; then
	"$bin/bun" scripts/soak.ts readme bench/results/soak.json README.md
fi
each_runtime_end
