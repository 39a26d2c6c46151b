#!/usr/bin/env bash
# make bench, the QEMU guests' part: boots each Debian kernel of the VM tests with
# tcb.bench=SIZE (guest.sh then runs bench/guest-bench.sh instead of the tests) and collects
# its rows into BENCH_OUT/results-vm.csv. Fails only if a guest produced no rows.
set -u
VM_DIR=${VM_DIR:?VM_DIR is not set: run through make bench}
OUT=${BENCH_OUT:?}
SIZE=${BENCH_SIZE:-full}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/vm/qemu.sh"
# Ten minutes a guest in full size: five variants, five rounds, start-up runs, all emulated.
[ "$SIZE" = full ] && VM_TIMEOUT=${BENCH_VM_TIMEOUT:-900}
csv=$OUT/results-vm.csv
echo "kernel,section,variant,load,key,metric,value" >"$csv"
status=0
for suite in ${VM_SUITES:-bullseye bookworm bookworm-backports}; do
	work=$VM_DIR/bench-$suite
	if ! vm_boot "$suite" "$work" "tcb.bench=$SIZE"; then
		echo "bench: the $suite kernel did not boot (qemu status $VM_RC); see $work/console.txt" >&2
		status=1
		continue
	fi
	n=$(grep -c '^BENCH ' "$work/console.txt")
	echo "# bench: $VM_KVER ($suite): $n rows in ${VM_SECS}s" >&2
	if [ "$n" -eq 0 ] || ! grep -q '^DONE' "$work/console.txt"; then
		echo "bench: the $VM_KVER guest did not finish; see $work/console.txt" >&2
		status=1
	fi
	sed -n 's/^BENCH //p' "$work/console.txt" >>"$csv"
done
exit $status
