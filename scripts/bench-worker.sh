#!/bin/sh
# Workers (bench/worker.ts) on node, bun and deno, each with the C floor of a
# round trip measured in the same run:
#   scripts/bench-worker.sh         (N=2000 calls; N=... to change)
# Builds dist/ (Node's worker host runs from it) and bench-c-channel first.
set -eu
cd "$(dirname "$0")/.."
bin=node_modules/.bin
scripts/zig build bench-c >&2
bash scripts/build.sh >&2
# Node 20 cannot run TypeScript: a bundle in dist/, beside dist/worker-host.js.
bundle=dist/worker-bench.mjs
trap 'rm -f "$bundle"' EXIT
"$bin/esbuild" bench/worker.ts --bundle --platform=node --format=esm --packages=external --outfile="$bundle" --log-level=warning
node "$bundle"
"$bin/bun" bench/worker.ts
"$bin/deno" run --allow-all --no-check bench/worker.ts
