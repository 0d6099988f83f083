#!/bin/sh
# Node's own child_process tests against the real module and against
# aspawn/child_process, side by side in one run:
#   scripts/node-child-process-tests.sh NODE_SOURCE_DIR [--jobs N] [--timeout SECONDS]
#       [--filter REGEX] [--side both|baseline|ours] [--no-retry] [--no-build]
# NODE_SOURCE_DIR: a checkout (or source tarball) of Node for the version of
# `node` on PATH, with test/common and test/parallel; never committed here
# (third-party code). Debian's source package is one way to get it:
#   cd /tmp && apt-get source --download-only nodejs && tar xf nodejs_*.orig.tar.xz
# Every test/parallel/test-child-process-*.js runs unmodified twice, the
# second time under `node --import dist/register.js` (aspawn/register, which
# `npm run build` makes: this script runs it first unless --no-build).
# Prints a per-file table and a summary; exits 1 when a file passes only
# against the real module and is not listed in scripts/node-tests/exceptions.txt.
# Logs: build/node-tests/logs/{baseline,ours}/FILE.log; build/node-tests/results.json.
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
src=$1
shift
build=1
for a in "$@"; do [ "$a" = --no-build ] && build=0; done
[ "$build" = 0 ] || bash scripts/build.sh >&2
[ -f dist/register.js ] && [ -f dist/child_process.js ] || { echo "no dist/register.js or dist/child_process.js: run npm run build" >&2; exit 1; }
mkdir -p build/node-tests
node_modules/.bin/esbuild scripts/node-tests/run.ts --bundle --platform=node --format=esm --packages=external \
	--outfile=build/node-tests/run.mjs --log-level=warning
args=""
for a in "$@"; do [ "$a" = --no-build ] || args="$args $(printf '%s' "$a" | sed "s/'/'\\\\''/g; s/^/'/; s/\$/'/")"; done
eval "set -- $args"
exec node build/node-tests/run.mjs "$src" "$@" --register "$PWD/dist/register.js" --out "$PWD/build/node-tests/run" \
	--exceptions "$PWD/scripts/node-tests/exceptions.txt"
