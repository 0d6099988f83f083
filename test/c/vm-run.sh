#!/bin/sh
# Run inside the arm64 VM: the C tests without and with the reactor (the
# latter shares the fd table with each child until it unshares it). Lines go
# out as they come, so a run the VM's timeout kills still shows how far it got.
status=0
for reactor in 0 1; do
	echo "== reactor $reactor"
	{ ASPAWN_TEST_REACTOR=$reactor ASPAWN_TEST_TIMEOUT=240 ./aspawn-test-arm64 ./libaspawn.so 2>&1 || echo "exit $?"; } |
		while read -r line; do
			case $line in "ok "*) ;; "exit "*) echo "$line"; echo fail >failed ;; *) echo "$line" ;; esac
		done
done
[ ! -e failed ] || status=1
exit $status
