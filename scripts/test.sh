#!/usr/bin/env bash
# npm test: the C tests (x86_64 with Zig), then the TypeScript tests on Node,
# Bun and Deno once they exist.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-c.sh
