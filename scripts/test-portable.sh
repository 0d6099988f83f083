#!/usr/bin/env bash
# The test cases again, against the portable backend (ASPAWN_BACKEND=portable):
# on Node, Bun and Deno, every case of the API files that does not need what
# only the native backend has (test/native-only.ts; those report as skipped,
# saying why). Left out, whole: the files about the native layer itself —
# abi, bindings, steps, docs, the reliability-core and hardening checks of
# fds, memory and the reactor, and fdmap-large (the native fd map's limits).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
files=()
for f in spawn run shell dollar orchestration terminate tree-kill preexec signal-names validation leaks reliability-api \
	all cleanup error-details helpers-reject verbose portable run-sync prototype-tampering; do
	files+=("test/cases/$f.test.ts")
done
export ASPAWN_BACKEND=portable
echo "== portable backend: Node $(node --version) (vitest)"
"$bin/vitest" run "${files[@]}"
echo "== portable backend: Bun $("$bin/bun" --version)"
"$bin/bun" test "${files[@]}"
echo "== portable backend: Deno $("$bin/deno" --version | head -1)"
"$bin/deno" test --no-check --allow-all "${files[@]}"
