#!/usr/bin/env bash
# npm run build: dist/index.js (one ESM bundle, for Node and for Deno's npm:
# specifier, which refuses TypeScript in packages) and dist/**/*.d.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node_modules/.bin/esbuild src/index.ts --bundle --format=esm --platform=node --target=es2022 \
	--packages=external --outfile=dist/index.js --log-level=warning
node_modules/.bin/tsc -p tsconfig.build.json
# Declarations keep the sources' ".ts" specifiers; consumers resolve ".js" to
# the neighbouring .d.ts without any special setting.
find dist -name '*.d.ts' -exec sed -i -E 's/(from "\.{1,2}\/[^"]*)\.ts"/\1.js"/' {} +
