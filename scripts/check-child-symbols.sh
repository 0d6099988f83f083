#!/usr/bin/env bash
# The CLONE_VM child shares our memory and TLS: its code may call nothing
# outside itself (no libc, no PLT, no __stack_chk_fail, no compiler-emitted
# memcpy other than our hidden one). `zig build child-objects` installs the
# very objects of the child's code that build.zig links into prebuilds/;
# every undefined symbol must be defined among them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/zig build child-objects --prefix "$tmp"
status=0
for arch in x64 arm64; do
	objs=("$tmp/child/$arch"/*.o)
	[ -f "${objs[0]}" ] || { echo "no child objects for $arch in $tmp/child" >&2; exit 1; }
	defined=$(nm --defined-only "${objs[@]}" | awk 'NF==3 {print $3}' | sort -u)
	undefined=$(nm -u "${objs[@]}" | awk 'NF==2 {print $2}' | sort -u)
	outside=0
	for sym in $undefined; do
		if ! printf '%s\n' "$defined" | grep -qx "$sym"; then
			echo "child code ($arch) calls outside itself: $sym" >&2
			outside=1 status=1
		fi
	done
	[ $outside = 1 ] ||
		echo "child objects ($arch: $(cd "$tmp/child/$arch" && echo *.o)): undefined symbols all internal: $(echo $undefined)"
done
exit $status
