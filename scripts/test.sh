#!/usr/bin/env bash
# npm test: the C tests of the native core (x86_64 with Zig), the type check,
# then the one set of TypeScript cases on Node (vitest), Bun and Deno, on the
# native backend and then on the portable one.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
# The web terminal's end-to-end test drives Debian's headless Chromium, the
# one test dependency npm cannot install: on a Debian machine where we may,
# install it once (~110 MB); elsewhere that test fails saying how.
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "== installing Debian's chromium for test/cases/web-terminal.test.ts"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
fi
node scripts/dev-link.mjs # node_modules/aspawn: this checkout (as `npm install` links it)
scripts/test-c.sh
echo "== type check"
"$bin/tsc" -p .
echo "== Node $(node --version) (vitest)"
"$bin/vitest" run
echo "== Bun $("$bin/bun" --version)"
"$bin/bun" test test/cases
echo "== Deno $("$bin/deno" --version | head -1)"
"$bin/deno" test --no-check --allow-all test/cases
# The same cases against the portable backend (what macOS, Windows and musl run).
scripts/test-portable.sh
