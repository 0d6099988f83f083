#!/bin/sh
# Run inside the arm64 VM: the C tests without and with the reactor (the
# latter shares the fd table with each child until it unshares it).
status=0
for reactor in 0 1; do
	echo "== reactor $reactor"
	out=$(ASPAWN_TEST_REACTOR=$reactor ./aspawn-test-arm64 ./libaspawn.so 2>&1) || status=1
	echo "$out" | grep -v '^ok '
done
exit $status
