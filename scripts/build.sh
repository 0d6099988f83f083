#!/usr/bin/env bash
# npm run build: dist/index.js (one ESM bundle, for Node and for Deno's npm:
# specifier, which refuses TypeScript in packages) and dist/**/*.d.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node_modules/.bin/esbuild src/index.ts --bundle --format=esm --platform=node --target=es2022 \
	--packages=external --outfile=dist/index.js --log-level=warning
# The worker's host program (every runtime runs it from the build; Node 20
# needs JavaScript) and "aspawn/worker", the worker's side of its channel.
# "aspawn/child_process": node:child_process over the library.
for entry in "src/worker/host.ts dist/worker-host.js" "src/worker/child.ts dist/worker.js" \
	"src/child_process/index.ts dist/child_process.js"; do
	set -- $entry
	node_modules/.bin/esbuild "$1" --bundle --format=esm --platform=node --target=es2022 \
		--packages=external --outfile="$2" --log-level=warning
done
# "aspawn/register": loads "aspawn/child_process" by the package's name, so
# both stay one module instance.
node_modules/.bin/esbuild src/register/index.ts --bundle --format=esm --platform=node --target=es2022 \
	--packages=external --outfile=dist/register.js --log-level=warning
node_modules/.bin/tsc -p tsconfig.build.json
# Declarations keep the sources' ".ts" specifiers; consumers resolve ".js" to
# the neighbouring .d.ts without any special setting.
find dist -name '*.d.ts' -exec sed -i -E 's/(from "\.{1,2}\/[^"]*)\.ts"/\1.js"/' {} +
