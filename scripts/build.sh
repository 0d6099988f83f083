#!/usr/bin/env bash
# npm run build: the ESM entries in dist/ (see below) and dist/**/*.d.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
# One build with shared chunks for every entry that loads the library, so an
# application importing "aspawn" and "aspawn/child_process" gets one module
# instance (one reactor, one channel, one set of live children), not a copy
# per entry. Chunks stay directly in dist/: the library and the worker's host
# are found relative to a module in dist/. The entries are:
#   index.js          "aspawn" (also Deno's npm: specifier, which refuses
#                     TypeScript in packages)
#   worker-host.js    the worker's host program (every runtime runs it from
#                     the build; Node 20 needs JavaScript)
#   worker.js         "aspawn/worker", the worker's side of its channel
#   child_process.js  "aspawn/child_process": node:child_process over the library
node_modules/.bin/esbuild index=src/index.ts worker-host=src/worker/host.ts worker=src/worker/child.ts \
	child_process=src/child_process/index.ts --bundle --splitting --format=esm --platform=node \
	--target=es2022 --keep-names --packages=external --outdir=dist --chunk-names='chunk-[hash]' --log-level=warning
# "aspawn/register": loads "aspawn/child_process" by the package's name, so
# both stay one module instance.
node_modules/.bin/esbuild src/register/index.ts --bundle --format=esm --platform=node --target=es2022 --keep-names \
	--packages=external --outfile=dist/register.js --log-level=warning
# Names kept without a defineProperty per closure made (see the script).
node scripts/cheap-names.mjs dist/*.js
# Loadable after Object.prototype was polluted (see the script).
node scripts/own-keys-export.mjs dist/*.js
node_modules/.bin/tsc -p tsconfig.build.json
# Declarations keep the sources' ".ts" specifiers; consumers resolve ".js" to
# the neighbouring .d.ts without any special setting.
find dist -name '*.d.ts' -exec sed -i -E 's/(from "\.{1,2}\/[^"]*)\.ts"/\1.js"/' {} +
