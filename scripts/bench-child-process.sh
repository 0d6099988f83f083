#!/bin/sh
# What aspawn/register changes for existing node:child_process code
# (bench/child-process-block.ts), in one run:
#   scripts/bench-child-process.sh [--quick] [--no-build] [--heaps 1024,4096] [--fills objects,buffers] [--calls 200]
# A Node parent holding 1 GiB and 4 GiB (live V8 objects, then touched
# ArrayBuffers) runs sequential execFile("true") calls (and execa("true")
# when execa is installed), with the real module and under `node --import dist/register.js`: the time each
# call blocks the event loop, calls/s, and the ratios. Node only: the hook
# is Node's. Builds dist/ first (npm run build) unless --no-build.
set -eu
cd "$(dirname "$0")/.."
build=1
for a in "$@"; do [ "$a" = --no-build ] && build=0; done
[ "$build" = 0 ] || bash scripts/build.sh >&2
out=build/bench-child-process
mkdir -p "$out"
node_modules/.bin/esbuild bench/child-process-block.ts --bundle --platform=node --format=esm --packages=external \
	--outfile="$out/child-process-block.mjs" --log-level=warning
args=""
for a in "$@"; do [ "$a" = --no-build ] || args="$args $a"; done
# shellcheck disable=SC2086
exec node "$out/child-process-block.mjs" --register "$PWD/dist/register.js" $args
