#!/usr/bin/env bash
# The CLONE_VM child shares our memory and TLS: its code may call nothing
# outside itself (no libc, no PLT, no __stack_chk_fail, no compiler-emitted
# memcpy other than our hidden one). Compile the child's objects exactly as
# build.zig does and require every undefined symbol to be defined among them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=gnu11 -O2 -fPIC -fvisibility=hidden -fno-sanitize=all -fno-stack-protector -fno-asynchronous-unwind-tables -Ilib/c -ffreestanding -fno-builtin -fno-stack-check"
status=0
for triple in x86_64-linux-gnu.2.17 aarch64-linux-gnu.2.17; do
	for src in child mem clone; do
		scripts/zig cc -target "$triple" -c $flags "lib/c/$src.c" -o "$tmp/$src.o"
	done
	defined=$(nm --defined-only "$tmp"/*.o | awk 'NF==3 {print $3}' | sort -u)
	undefined=$(nm -u "$tmp"/*.o | awk 'NF==2 {print $2}' | sort -u)
	for sym in $undefined; do
		if ! printf '%s\n' "$defined" | grep -qx "$sym"; then
			echo "child code ($triple) calls outside itself: $sym" >&2
			status=1
		fi
	done
	echo "child objects ($triple): undefined symbols all internal: $(echo $undefined)"
done
exit $status
