#!/usr/bin/env bash
# The package as users get it: `npm pack`, install the tarball into a fresh
# project (from the file; koffi from the npm cache when it is there, else
# the registry: a fresh machine caches the tarballs that `npm install` took
# by the lock file, not the metadata this install needs), and spawn from
# Node, Bun (`bun run`, which takes src/ through the "bun" export) and Deno
# (the JavaScript build by path, with --allow-ffi only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm pack --silent --pack-destination "$tmp" >/dev/null
tarball=$(ls "$tmp"/aspawn-*.tgz)
listing=$(tar -tzf "$tarball")
echo "== $(basename "$tarball"): $(wc -l <<<"$listing") files"
for need in package/dist/index.js package/dist/index.d.ts package/src/index.ts package/README.md package/LICENSE \
	package/prebuilds/linux-x64/libaspawn.so package/prebuilds/linux-arm64/libaspawn.so; do
	grep -qx "$need" <<<"$listing" || { echo "missing from the package: $need" >&2; exit 1; }
done
mkdir "$tmp/app"
cd "$tmp/app"
echo '{ "name": "app", "private": true, "type": "module" }' > package.json
npm install --prefer-offline --no-audit --no-fund --silent "$tarball"
# What a user downloads: aspawn and its dependencies (koffi and its one
# platform binary), never the maintainers' compiler.
limit=$((15 * 1024 * 1024))
size=$(du -sb node_modules | cut -f1)
echo "installed: $((size / 1024)) KiB in node_modules ($(find node_modules -type f | wc -l) files; limit $((limit / 1024)) KiB)"
[ "$size" -le "$limit" ] || { du -sh node_modules/* node_modules/@*/* 2>/dev/null | sort -h | tail >&2; exit 1; }
cat > check.mjs <<'JS'
import { capabilities, run } from "aspawn";
const r = await run("sh", ["-c", "echo ok"]);
console.log(`${r.stdout.trim()} (${capabilities().mechanism})`);
JS
sed 's#from "aspawn"#from "./node_modules/aspawn/dist/index.js"#' check.mjs > check-deno.mjs
echo "node: $(node check.mjs)"
echo "bun:  $("$root/node_modules/.bin/bun" run check.mjs)"
echo "deno: $("$root/node_modules/.bin/deno" run --allow-ffi check-deno.mjs)"
cat > types.ts <<'TS'
import { run, spawn, type Options } from "aspawn";
const o: Options = { cwd: "/tmp", rlimits: { nofile: 64 } };
const r: Promise<{ stdout: string }> = run("true", [], o);
spawn("true").kill("SIGTERM", { group: false });
void r;
TS
echo '{ "compilerOptions": { "strict": true, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "lib": ["ES2022", "DOM", "DOM.AsyncIterable", "ESNext.Disposable"], "types": [], "skipLibCheck": false, "noEmit": true } }' > tsconfig.json
"$root/node_modules/.bin/tsc" -p . && echo "types: ok"
