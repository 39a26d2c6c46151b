#!/usr/bin/env bash
# Runs the unit tests (cmocka, TAP output) and the integration tests (TAP-style lines),
# and ends with one summary line: "N passed, N failed[, N skipped]".
#   tests/run.sh [PATTERN]   only tests whose file name contains PATTERN
# Under CI=true a skipped test counts as failed: CI never skips silently.
# The figures of the run (each program's counts and time, the notes its tests print on "# "
# lines: the QEMU matrix, boot times) go to $OUTPUT/test-figures.md, and each program's whole
# output to $OUTPUT/test-logs/: written by every run, never committed (docs/testing.md).
set -u
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-$PWD/.output}
export TCPCONNLAT=${TCPCONNLAT:-$PWD/tcpconnlat}
export TEST_BIN=$OUTPUT/tests
export VM_DIR=$OUTPUT/vm
export CI=${CI:-}
pattern=${1:-}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
# A matrix boots five or more kernels under emulation.
TEST_TIMEOUT_VM=${TEST_TIMEOUT_VM:-1500}

passed=0 failed=0 skipped=0
logs=$(mktemp -d)
log=$logs/one
figures=$OUTPUT/test-figures.md
kept=$OUTPUT/test-logs
rm -rf "$kept"
mkdir -p "$kept"
# now_ds: tenths of a second since the epoch; secs_since DS: the time since then, as "S.D".
now_ds() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((t / 100000)); }
secs_since() { local d=$(($(now_ds) - $1)); echo "$((d / 10)).$((d % 10))"; }
run_start=$(now_ds)
# The figures file: a table row per program, then each program's "# " lines.
rows="" notes=""
# The integration tests listen on fixed ports (41000-43999), inside the kernel's ephemeral
# range: a client socket given one of them (or one in TIME_WAIT) makes a listener's bind
# fail. Reserved while the tests run, so that the kernel hands them to no client.
reserved=/proc/sys/net/ipv4/ip_local_reserved_ports
reserved_was=$(cat "$reserved" 2>/dev/null) ports_reserved=""
restore_ports() { [ -z "$ports_reserved" ] || echo "$reserved_was" >"$reserved"; }
if [ -w "$reserved" ] && echo "${reserved_was:+$reserved_was,}41000-43999" >"$reserved"; then
	ports_reserved=1
fi
trap 'restore_ports; rm -rf "$logs"' EXIT

# Runs one test program, shows its lines and adds them to the totals.
run_one() {
	local name=$1 start rc
	shift
	start=$(now_ds)
	timeout -k 5 "$TEST_TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	account "$name" $rc "$log" "$(secs_since "$start")"
}

# account NAME STATUS LOG SECS: shows a test program's lines and adds them to the totals and
# to the figures.
account() {
	local name=$1 rc=$2 log=$3 secs=$4 p f s n
	echo "# $name"
	cat "$log"
	p=$(grep -Ec '^ok ' "$log")
	s=$(grep -Ec '^ok .*# (SKIP|skip)' "$log")
	f=$(grep -Ec '^not ok ' "$log")
	p=$((p - s))
	if [ "$CI" = true ] && [ "$s" -gt 0 ]; then
		echo "not ok - $name: $s test(s) skipped under CI, counted as failed"
		f=$((f + s))
		s=0
	fi
	# A crash or a timeout loses the lines after it: count it as a failure of its own.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	cp "$log" "$kept/${name//\//_}.log"
	rows+="| $name | $p | $f | $s | $secs |"$'\n'
	# cmocka's own summary ("# ok - tests") is no note.
	n=$(grep '^# ' "$log" | grep -Ev '^# (not )?ok - ')
	[ -z "$n" ] || notes+=$'\n'"### $name"$'\n\n```\n'"$n"$'\n```\n'
}

# Every unit test in the tree: one whose binary is missing (make test builds them all) fails.
for src in tests/unit/test_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	t=$TEST_BIN/$name
	case "unit/$name" in *"$pattern"*) ;; *) continue ;; esac
	if [ ! -x "$t" ]; then
		echo "not ok - unit/$name # $t is not built (make test-build)" >"$log"
		account "unit/$name" 1 "$log" 0
		continue
	fi
	CMOCKA_MESSAGE_OUTPUT=TAP run_one "unit/$name" "$t"
done
# Each integration test starts from a fresh machine's state with respect to tracefs: in a
# mount namespace of its own (private: nothing propagates back) without tracefs, nor debugfs
# (whose tracing/ directory would mount tracefs again when looked at), so that whatever the
# test or the tool mounts there dies with the test. Unmounted until none is left: mounts
# stack. Without root (the tests then skip) there is no mount namespace to make.
fresh_tracefs='for m in /sys/kernel/debug /sys/kernel/tracing; do
	while mountpoint -q "$m"; do umount -R "$m" || exit 1; done
done
exec "$@"'
isolate=()
[ "$(id -u)" = 0 ] && isolate=(unshare -m --propagation private sh -c "$fresh_tracefs" sh)
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	case "integration/${t##*/}" in *"$pattern"*) ;; *) continue ;; esac
	run_one "integration/$(basename "$t")" "${isolate[@]}" bash "$t"
done

# The QEMU tests run VM_PARALLEL (2) at a time: each guest is one emulated CPU, so two of
# them keep this 2-core machine's cores busy and halve the wall time of the test line.
vm_tests=()
running=0
for t in tests/vm/test_*.sh; do
	[ -f "$t" ] || continue
	case "vm/${t##*/}" in *"$pattern"*) ;; *) continue ;; esac
	name=${t##*/}
	if [ "$running" -ge "${VM_PARALLEL:-2}" ]; then
		wait -n
		running=$((running - 1))
	fi
	(
		start=$(now_ds)
		timeout -k 5 "$TEST_TIMEOUT_VM" bash "$t" >"$logs/$name" 2>&1
		echo $? >"$logs/$name.rc"
		secs_since "$start" >"$logs/$name.secs"
	) &
	running=$((running + 1))
	vm_tests+=("$name")
done
wait
for name in "${vm_tests[@]}"; do
	account "vm/$name" "$(cat "$logs/$name.rc")" "$logs/$name" "$(cat "$logs/$name.secs")"
done

# The figures of this run; tests/run.sh PATTERN writes those of the tests it ran.
{
	echo "# Test figures"
	echo
	echo "Written by tests/run.sh (make test, make check) on $(date -u '+%Y-%m-%d %H:%M UTC'):"
	echo "commit $(git describe --always --dirty 2>/dev/null || echo unknown), kernel $(uname -r)" \
		"$(uname -m), ${pattern:+tests matching '$pattern', }CI=${CI:-unset};" \
		"$(secs_since "$run_start") s in all. Each program's whole output: $kept/."
	echo
	echo "| test program | passed | failed | skipped | seconds |"
	echo "| --- | --- | --- | --- | --- |"
	printf '%s' "$rows"
	echo
	echo "## What the tests print beside their cases"
	printf '%s' "${notes:-$'\n'none$'\n'}"
} >"$figures"

if [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "no test was executed"
	echo "0 passed, 0 failed"
	exit 1
fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
