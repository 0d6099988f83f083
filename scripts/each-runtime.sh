# One program on every runtime, the skeleton of scripts/bench.sh and
# scripts/soak.sh (sourced by both, from the repository root; POSIX sh):
#
#   each_runtime_begin NAME "$@"
#       the usage check (NAME [--quick]; $quick is then "--quick" or empty),
#       $bin, $out = build/NAME without the results of an earlier run (never
#       merge a stale runtime), the clock started.
#   each_runtime ENTRY "V8 FLAGS" ARGS...
#       ENTRY (a .ts file) under node (an esbuild bundle in $out: Node 20
#       cannot run TypeScript; it finds the library in node_modules/aspawn,
#       which scripts/dev-link.mjs links to this checkout), bun and deno, one process each,
#       with ARGS --out $out/RUNTIME.json; node and deno get the V8 flags. A
#       runtime that fails is remembered and the others still run.
#   $results
#       the three result files, in that order, for the merge.
#   each_runtime_end
#       how long the run took; exit 1 naming the runtimes that failed.
# Progress goes to stderr.

each_runtime_begin() {
	name=$1
	quick=""
	case "${2:-}" in
	--quick) quick="--quick" ;;
	"") ;;
	*) echo "usage: scripts/$name.sh [--quick]" >&2; exit 2 ;;
	esac
	bin=node_modules/.bin
	out=build/$name
	results="$out/node.json $out/bun.json $out/deno.json"
	failed=""
	start=$(date +%s)
	mkdir -p "$out"
	node scripts/dev-link.mjs # the node bundles find the library in node_modules/aspawn
	# shellcheck disable=SC2086
	rm -f $results
}

each_runtime() {
	entry=$1 v8=$2
	shift 2
	bundle="$out/$(basename "$entry" .ts).mjs"
	"$bin/esbuild" "$entry" --bundle --platform=node --format=esm --packages=external \
		--outfile="$bundle" --log-level=warning
	# shellcheck disable=SC2086
	node $v8 "$bundle" "$@" --out "$out/node.json" || failed="$failed node"
	"$bin/bun" "$entry" "$@" --out "$out/bun.json" || failed="$failed bun"
	# shellcheck disable=SC2086
	"$bin/deno" run --allow-all --no-check --v8-flags="$(echo $v8 | tr ' ' ',')" "$entry" "$@" --out "$out/deno.json" ||
		failed="$failed deno"
}

each_runtime_end() {
	echo "$name: ${quick:-full} run took $(($(date +%s) - start)) s" >&2
	if [ -n "$failed" ]; then
		echo "$name: failed on:$failed" >&2
		exit 1
	fi
}
