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
manifest=$(cksum package.json)
npm pack --silent --pack-destination "$tmp" >/dev/null
tarball=$(ls "$tmp"/aspawn-*.tgz)
listing=$(tar -tzf "$tarball")
echo "== $(basename "$tarball"): $(wc -l <<<"$listing") files"
for need in package/dist/index.js package/dist/index.d.ts package/dist/worker-host.js package/dist/worker.js package/dist/register.js package/dist/worker/child.d.ts package/dist/child_process.js package/dist/child_process/index.d.ts package/src/index.ts package/README.md package/LICENSE package/bench/chart.svg \
	package/prebuilds/linux-x64/libaspawn.so package/prebuilds/linux-arm64/libaspawn.so; do
	grep -qx "$need" <<<"$listing" || { echo "missing from the package: $need" >&2; exit 1; }
done
# No script of ours asks an installing user for approval (npm lists
# prepare, install and the pre/post ones), and packing left package.json as
# it was (scripts/pack-manifest.mjs).
scripts=$(tar -xzOf "$tarball" package/package.json | node -e 'const s = JSON.parse(require("fs").readFileSync(0, "utf8")).scripts ?? {}; console.log(["preinstall", "install", "postinstall", "prepare"].filter((k) => k in s).join(" "))')
[ -z "$scripts" ] || { echo "the package's package.json has install-time scripts: $scripts" >&2; exit 1; }
[ ! -e package.json.unpacked ] && [ "$(cksum package.json)" = "$manifest" ] || { echo "npm pack left package.json changed" >&2; exit 1; }
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
# Each line must say the native backend ran: the portable fallback would
# hide a library the package failed to find.
native() { grep -Eq '^ok \((clone3|clone|vfork|fork)\)$' <<<"$2" || { echo "$1: not the native backend: $2" >&2; exit 1; }; echo "$1 $2"; }
native "node:" "$(node check.mjs)"
native "bun: " "$("$root/node_modules/.bin/bun" run check.mjs)"
# FFI granted for exactly the one library it loads: no other path is tried first.
so="$PWD/node_modules/aspawn/prebuilds/linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')/libaspawn.so"
native "deno:" "$("$root/node_modules/.bin/deno" run --allow-ffi="$so" check-deno.mjs)"
# worker(): a module of the app called in a worker of each runtime, from a Node
# parent (the build's host), a Bun parent (the sources) and a Deno parent (the build).
cat > jobs.mjs <<'JS'
import { parent } from "aspawn/worker";
export const add = (a, b) => a + b;
export const greet = async () => { await parent.send("hi"); return "sent"; };
JS
cat > check-worker.mjs <<'JS'
import { worker } from "aspawn";
const out = [];
for (const runtime of process.argv.slice(2)) {
  const w = worker(new URL("./jobs.mjs", import.meta.url), { runtime });
  const sum = await w.call("add", [2, 3]), greeted = await w.call("greet");
  const { value } = await w.messages.next();
  await w.close();
  out.push(`${runtime} ${sum} ${greeted} ${value}`);
}
console.log(out.join(", "));
JS
sed 's#from "aspawn"#from "./node_modules/aspawn/dist/index.js"#' check-worker.mjs > check-worker-deno.mjs
PATH="$root/node_modules/.bin:$PATH"
echo "workers, node parent: $(node check-worker.mjs node bun deno)"
echo "workers, bun parent:  $("$root/node_modules/.bin/bun" run check-worker.mjs bun node deno)"
echo "workers, deno parent: $("$root/node_modules/.bin/deno" run --allow-all check-worker-deno.mjs deno node bun)"
# Deno with FFI alone: the host program is not looked for where it would ask for read access.
echo "workers, deno parent with --allow-ffi only: $("$root/node_modules/.bin/deno" run --allow-ffi check-worker-deno.mjs deno)"
# "aspawn/child_process": node:child_process's shape, from each runtime.
cat > check-cp.mjs <<'JS'
import cp, { execFile } from "aspawn/child_process";
import { promisify } from "node:util";
const { stdout } = await promisify(execFile)("sh", ["-c", "echo ok"]);
console.log(`${stdout.trim()} ${typeof cp.spawn}`);
JS
sed 's#from "aspawn/child_process"#from "./node_modules/aspawn/dist/child_process.js"#' check-cp.mjs > check-cp-deno.mjs
# NAME.mjs on Node and Bun, NAME-deno.mjs (the build by path) on Deno: each
# output must end with WANT, or the script fails saying LABEL.
on_each_runtime() {
	local name=$1 want=$2 label=$3 line
	for line in "node: $(node "$name.mjs")" "bun: $("$root/node_modules/.bin/bun" run "$name.mjs")" \
		"deno: $("$root/node_modules/.bin/deno" run --allow-all "$name-deno.mjs")"; do
		grep -q "$want\$" <<<"$line" || { echo "$label, $line" >&2; exit 1; }
		echo "$label, $line"
	done
}
on_each_runtime check-cp 'ok function' "aspawn/child_process"
# Classes keep their names in the build (a user logs e.constructor.name).
cat > check-names.mjs <<'JS'
import { run } from "aspawn";
const e = await run("aspawn-no-such-program").catch((e) => e);
console.log(`${e.constructor.name} ${e.name}`);
JS
sed 's#from "aspawn"#from "./node_modules/aspawn/dist/index.js"#' check-names.mjs > check-names-deno.mjs
on_each_runtime check-names 'SpawnError SpawnError' "class names"
# ...without an Object.defineProperty per closure made (scripts/cheap-names.mjs).
wrapped=$(cat node_modules/aspawn/dist/*.js | grep -c '__name(\(async \)\?\((\|[a-zA-Z_$0-9]* =>\|function\)' || true)
[ "$wrapped" = 0 ] || { echo "dist: $wrapped closures still wrapped in __name" >&2; exit 1; }
echo "dist: no closure wrapped in __name"
# One module instance for "aspawn" and "aspawn/child_process" (shared
# chunks): a second copy would open a second reactor channel (2 more fds).
cat > check-one.mjs <<'JS'
import { spawn } from "aspawn";
import { execFile } from "aspawn/child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
const fds = () => readdirSync("/proc/self/fd").length;
// Counted once what a child leaves for a moment has gone (Bun's notify-pipe reader ends a tick after its last wait).
const settled = () => new Promise((r) => setTimeout(r, 50));
await spawn("true").exited;
await settled();
const before = fds();
await promisify(execFile)("true");
await settled();
console.log(`fds kept: ${fds() - before}`);
JS
sed 's#from "aspawn"#from "./node_modules/aspawn/dist/index.js"#; s#from "aspawn/child_process"#from "./node_modules/aspawn/dist/child_process.js"#' check-one.mjs > check-one-deno.mjs
on_each_runtime check-one 'fds kept: 0' "one instance (aspawn and aspawn/child_process)"
echo 'const cp = require("aspawn/child_process"); console.log(cp.execFileSync("echo", ["ok"], { encoding: "utf8" }).trim(), typeof cp.default.spawn);' > check-cp.cjs
echo "aspawn/child_process, required: $(node check-cp.cjs)"
# "aspawn/register" by the package's name: the app's own node:child_process
# becomes aspawn/child_process (Deno: the build by path, as above).
cat > check-register.mjs <<'JS'
import { execFileSync, spawn } from "node:child_process";
const ours = await import("aspawn/child_process");
console.log(`${execFileSync("echo", ["ok"], { encoding: "utf8" }).trim()} ${spawn === ours.spawn}`);
JS
registered=("node: $(node --import aspawn/register check-register.mjs)"
	"bun: $("$root/node_modules/.bin/bun" --preload aspawn/register check-register.mjs)"
	"deno: $("$root/node_modules/.bin/deno" run --allow-all --preload ./node_modules/aspawn/dist/register.js check-register.mjs)")
printf 'aspawn/register, %s\n' "${registered[@]}"
[ "$(grep -c 'ok true$' < <(printf '%s\n' "${registered[@]}"))" = 3 ] || { echo "aspawn/register: not redirected everywhere" >&2; exit 1; }
# Deno, the sources by path from outside the project (no package.json of ours in reach).
sed "s#from \"aspawn\"#from \"$root/src/index.ts\"#" check.mjs > "$tmp/check-src.mjs"
native "deno, sources by path:" "$(cd "$tmp" && "$root/node_modules/.bin/deno" run --allow-ffi check-src.mjs)"
# The portable backend from the package (what macOS and Windows run): Deno
# with --allow-run and no FFI at all.
for line in "node: $(ASPAWN_BACKEND=portable node check.mjs)" \
	"bun: $(ASPAWN_BACKEND=portable "$root/node_modules/.bin/bun" run check.mjs)" \
	"deno: $("$root/node_modules/.bin/deno" run --allow-run --allow-env=ASPAWN_BACKEND,ASPAWN_LIBRARY,ASPAWN_TRACE check-deno.mjs 2>&1)"; do
	grep -q 'ok (portable)$' <<<"$line" || { echo "portable backend, $line" >&2; exit 1; }
	echo "portable backend, $line"
done
grep -q '"os"' node_modules/aspawn/package.json && { echo "package.json restricts the OS: npm refuses it on macOS and Windows" >&2; exit 1; }
# Bundled and compiled applications, each run from another directory: the
# library is found through the installed package (esbuild ESM and CommonJS)
# or embedded (bun build --compile).
cat > check.cjs <<'JS'
const { capabilities, run } = require("aspawn");
run("sh", ["-c", "echo ok"]).then((r) => console.log(`${r.stdout.trim()} (${capabilities().mechanism})`));
JS
esbuild="$root/node_modules/.bin/esbuild"
"$esbuild" check.mjs --bundle --platform=node --format=esm --outfile=out/esm.mjs --log-level=warning
"$esbuild" check.cjs --bundle --platform=node --format=cjs --outfile=out/cjs.cjs --log-level=warning \
	--log-override:empty-import-meta=silent
"$root/node_modules/.bin/bun" build --compile check.mjs --outfile out/compiled >/dev/null
"$root/node_modules/.bin/bun" build check.mjs --target=bun --outdir out/bun >/dev/null
# worker() from a compiled binary: the binary is the app, so it must start
# its embedded bun, not itself (the guard turns a regression into a failure,
# not a fork bomb). The host comes from the installed package, found from
# the working directory.
cat > check-compiled-worker.mjs <<'JS'
import { worker } from "aspawn";
if (process.env.ASPAWN_TEST_DEPTH) { console.log("the application ran again as its own worker"); process.exit(3); }
const w = worker(new URL("./jobs.mjs", `file://${process.cwd()}/`), { env: { ASPAWN_TEST_DEPTH: "1" } });
console.log(`worker ${await w.call("add", [2, 3])}`);
await w.close();
JS
"$root/node_modules/.bin/bun" build --compile check-compiled-worker.mjs --outfile out/compiled-worker >/dev/null
native "node, required:      " "$(node check.cjs)"
native "esbuild ESM bundle:  " "$(cd / && node "$tmp/app/out/esm.mjs")"
native "esbuild CJS bundle:  " "$(cd / && node "$tmp/app/out/cjs.cjs")"
# Bun and Deno run such bundles too (Bun's CommonJS has no import.meta.require;
# Deno resolves the package only with read access, which --allow-all gives).
native "esbuild ESM bundle, bun: " "$(cd / && "$root/node_modules/.bin/bun" "$tmp/app/out/esm.mjs")"
native "esbuild CJS bundle, bun: " "$(cd / && "$root/node_modules/.bin/bun" "$tmp/app/out/cjs.cjs")"
native "esbuild ESM bundle, deno:" "$(cd / && "$root/node_modules/.bin/deno" run --allow-all "$tmp/app/out/esm.mjs")"
native "esbuild CJS bundle, deno:" "$(cd / && "$root/node_modules/.bin/deno" run --allow-all "$tmp/app/out/cjs.cjs")"
line=$(timeout 60 out/compiled-worker) && [ "$line" = "worker 5" ] || { echo "bun --compile binary, worker(): $line" >&2; exit 1; }
echo "bun --compile binary, worker(): $line"
mv node_modules node_modules.away # the binary carries the library itself, the bundle its assets
native "bun --compile binary:" "$(cd / && "$tmp/app/out/compiled")"
native "bun build bundle:    " "$(cd / && "$root/node_modules/.bin/bun" "$tmp/app/out/bun/check.js")"
mv node_modules.away node_modules
# Types as a TypeScript user on Node has them: with @types/node (Bun's and
# Deno's own types include node's modules), library checking on, and every
# entry's declarations reached.
mkdir -p node_modules/@types
cp -r "$root/node_modules/@types/node" node_modules/@types/node
cp -r "$root/node_modules/undici-types" node_modules/undici-types
cat > types.ts <<'TS'
import { run, spawn, socketFromFd, type Options } from "aspawn";
import { execFile } from "aspawn/child_process";
import { parent } from "aspawn/worker";
const s = process.argv[9] ? socketFromFd(3) : undefined;
void s; void execFile; void parent;
const o: Options = { cwd: "/tmp", rlimits: { nofile: 64 } };
const r: Promise<{ stdout: string }> = run("true", [], o);
spawn("true").kill("SIGTERM", { group: false });
void r;
TS
echo '{ "compilerOptions": { "strict": true, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "lib": ["ES2022", "DOM", "DOM.AsyncIterable", "ESNext.Disposable"], "types": ["node"], "skipLibCheck": false, "noEmit": true } }' > tsconfig.json
"$root/node_modules/.bin/tsc" -p . || { echo "types: the package's declarations do not type-check" >&2; exit 1; }
# And with the resolution that ignores "exports" (node10): the subpaths through typesVersions.
echo '{ "compilerOptions": { "strict": true, "module": "CommonJS", "moduleResolution": "node10", "target": "ES2022", "lib": ["ES2022", "DOM", "DOM.AsyncIterable", "ESNext.Disposable"], "types": ["node"], "skipLibCheck": false, "noEmit": true } }' > tsconfig.json
"$root/node_modules/.bin/tsc" -p . || { echo "types: the subpaths do not resolve with moduleResolution node10 (typesVersions)" >&2; exit 1; }
echo "types: ok"
# JSR: what `deno publish` would upload is what a user needs, nothing else.
cd "$root"
published=$("$root/node_modules/.bin/deno" publish --dry-run --allow-dirty 2>&1 | sed -n 's#^ *file://'"$root"'/\([^ ]*\) .*#\1#p')
stray=$(grep -Ev '^(src/.*\.ts|prebuilds/linux-(x64|arm64)/libaspawn\.so|README\.md|LICENSE|deno\.json)$' <<<"$published" || true)
[ -z "$stray" ] || { echo "deno publish would upload files users do not need:" >&2; echo "$stray" >&2; exit 1; }
grep -qx src/index.ts <<<"$published" || { echo "deno publish: src/index.ts missing" >&2; exit 1; }
echo "deno publish --dry-run: $(wc -l <<<"$published") files"
