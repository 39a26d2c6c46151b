#!/usr/bin/env bash
# Memory safety of the user-space code:
#   1. every unit test, built under ASan+UBSan ($OUTPUT/san/test_*, tests/fuzz/fuzz.mk),
#      passes with any sanitizer report (leaks included) failing it;
#   2. each libFuzzer target ($OUTPUT/fuzz/fuzz_*) runs FUZZ_TEST_SECONDS (default 30) from
#      the repository's seeds without a crash, a leak or a broken property;
#   3. the real tool, as root under valgrind memcheck, traces a few connects of its own in
#      text, -j, -x -r and -H mode and exits 0 on SIGINT with no valgrind error and no
#      definite or indirect leak (tests/integration/valgrind.supp: valgrind's bpf() false
#      reports only).
# make fuzz runs the fuzzers longer.
. "$(dirname "$0")/common.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(dirname "$B")
FUZZ_TEST_SECONDS=${FUZZ_TEST_SECONDS:-30}
# A fuzzer that ran at all does thousands per second here (20-50k): below this it hung.
FUZZ_MIN_PER_SEC=500

# ---- 1. unit tests under ASan and UBSan ----
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for src in "$TOP"/tests/unit/test_*.c; do
	name=$(basename "$src" .c)
	bin=$OUT/san/$name
	log=$WORK/san-$name.log
	if [ ! -x "$bin" ]; then
		not_ok "san/$name" "$bin not built (make test-build)"
		continue
	fi
	# The flags could be lost in a Makefile change: the runtimes must be linked in.
	libs=$(ldd "$bin")
	if ! grep -q libasan <<<"$libs" || ! grep -q libubsan <<<"$libs"; then
		not_ok "san/$name" "not linked with libasan and libubsan"
		continue
	fi
	CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 120 "$bin" >"$log" 2>&1
	rc=$?
	# A skipped case is "not ok N # SKIP NAME" in cmocka 1.1.5 (Debian 12), "ok N # SKIP
	# NAME" in later ones: neither is a pass or a failure of its own.
	skipped=$(grep -E '^(not )?ok [0-9]+ .*# (SKIP|skip)' "$log" | sed 's/.*# [A-Za-z]* *//' |
		paste -sd' ')
	skip=$(grep -Ec '^(not )?ok [0-9]+ .*# (SKIP|skip)' "$log")
	pass=$(($(grep -Ec '^ok [0-9]+ ' "$log") - $(grep -Ec '^ok [0-9]+ .*# (SKIP|skip)' "$log")))
	fail=$(($(grep -Ec '^not ok [0-9]+ ' "$log") - $(grep -Ec '^not ok [0-9]+ .*# (SKIP|skip)' "$log")))
	report=$(grep -m1 -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:|^SUMMARY: ' "$log")
	if [ "$rc" = 0 ] && [ "$fail" = 0 ] && [ -z "$report" ] && [ "$pass" -gt 0 ]; then
		ok "san/$name: $pass cases pass under ASan+UBSan, no report"
	else
		not_ok "san/$name" "status $rc, $pass ok, $skip skipped, $fail not ok: ${report:-$(
			grep -m1 '^not ok' "$log")}"
	fi
	# A line of their own, with the directive: tests/run.sh counts it, as a failure under CI.
	[ "$skip" -gt 0 ] && echo "ok - san/$name: $skip case(s) not run: $skipped # SKIP"
done

# ---- 2. a bounded fuzzing run of each target ----
for target in args event dns; do
	bin=$OUT/fuzz/fuzz_$target
	seeds=$TOP/tests/fuzz/corpus/$target
	if [ ! -x "$bin" ]; then
		not_ok "fuzz_$target" "$bin not built (make test-build; clang's libFuzzer is libclang-rt-14-dev)"
		continue
	fi
	nseeds=$(ls "$seeds" | wc -l)
	line=$("$TOP/tests/fuzz/run.sh" "$bin" "$seeds" "$WORK/corpus-$target" "$FUZZ_TEST_SECONDS")
	rc=$?
	execs=$(sed -n 's/^fuzz_[a-z]*: \([0-9]*\) executions.*/\1/p' <<<"$line")
	if [ "$rc" != 0 ]; then
		# $WORK goes away: keep the input that crashed next to the fuzzer, to rerun it.
		cp "$WORK/corpus-$target.crashes"/* "$OUT/fuzz/" 2>/dev/null
		not_ok "fuzz_$target: no crash in $FUZZ_TEST_SECONDS s" "$line (input kept in $OUT/fuzz/)"
	elif [ -z "$execs" ] || [ "$execs" -lt $((FUZZ_MIN_PER_SEC * FUZZ_TEST_SECONDS)) ]; then
		not_ok "fuzz_$target: at least $((FUZZ_MIN_PER_SEC * FUZZ_TEST_SECONDS)) executions" "$line"
	else
		ok "fuzz_$target: $execs executions in $FUZZ_TEST_SECONDS s from $nseeds seeds, no crash;$(
			sed -n 's/.*s,\( cov .* inputs\),.*/\1/p' <<<"$line")"
	fi
done

# ---- 3. the tool under valgrind ----
require_bpf
if ! command -v valgrind >/dev/null; then
	not_ok "valgrind is installed" "no valgrind (make test-deps)"
	exit 1
fi

# vg_start NAME FILE REGEX ARGS...: start_until under valgrind (its report in
# $WORK/NAME.vg), waiting up to 90 s: start-up takes about 10 s under valgrind here.
vg_start() {
	local WRAP=(valgrind --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite,indirect
		--suppressions="$TOP/tests/integration/valgrind.supp" --log-file="$WORK/$1.vg")
	local rc
	START_SECS=90 start_until "$@"
	rc=$?
	VG_PID=$TRACER_PID
	return $rc
}

# vg_check NAME RC WHAT PRINTED-CHECK...: one case from the exit status, valgrind's report
# and a command that checks that the connects were printed.
vg_check() {
	local name=$1 rc=$2 what=$3 errors supp
	shift 3
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$WORK/$name.vg")
	supp=$(sed -n 's/.*ERROR SUMMARY: .*(suppressed: \([0-9]*\) from.*/\1/p' "$WORK/$name.vg")
	if [ "$rc" != 0 ] || [ "$errors" != 0 ]; then
		not_ok "valgrind: $what" "status $rc, $(grep -m1 'ERROR SUMMARY' "$WORK/$name.vg"); first: $(
			grep -m1 -A3 -E '== (Invalid|Conditional|Syscall|Use of|Mismatched|[0-9,]+ bytes in)' \
				"$WORK/$name.vg" | tr '\n' ' ')"
	elif ! "$@"; then
		not_ok "valgrind: $what" "connects not printed: $(tr '\n' '|' <"$WORK/$name.out")"
	else
		ok "valgrind: $what: exit 0, 0 errors ($supp suppressed: bpf() wrapper), no leak"
	fi
}

# awk_rows FILE COND N: exactly N lines after the header match COND.
awk_rows() { [ "$(awk "NR > 1 && ($2)" "$1" | wc -l)" = "$3" ]; }

# Text: 3 connects to a listener.
if vg_start text out 'LAT\(ms\)' -P 41701; then
	conn -l -n 3 127.0.0.1 41701 >/dev/null
	wait_for 20 awk_rows "$WORK/text.out" '$6 == 41701' 3
	stop_tracer "$VG_PID" 60
	vg_check text $? "text mode, 3 connects" awk_rows "$WORK/text.out" '$6 == 41701' 3
else
	not_ok "valgrind: text mode starts" "$(tail -3 "$WORK/text.err" "$WORK/text.vg")"
fi

# JSON, IPv6 (-v says when tracing starts; its libbpf log stays in the .err file).
json_rows() { [ "$(grep -c '"ip":6,.*"dport":41702,' "$WORK/json.out")" = 3 ]; }
if vg_start json err '^tcpconnlat: using the' -j -v -P 41702; then
	conn -l -n 3 ::1 41702 >/dev/null
	wait_for 20 json_rows
	stop_tracer "$VG_PID" 60
	vg_check json $? "-j (IPv6), 3 connects" json_rows
else
	not_ok "valgrind: -j starts" "$(tail -3 "$WORK/json.err" "$WORK/json.vg")"
fi

# -x -r: 3 connects that succeed, 1 refused (nothing listens on 41704).
xr_rows() {
	awk_rows "$WORK/xr.out" '$6 == 41703 && $8 == 0 && $9 == "ok"' 3 &&
		awk_rows "$WORK/xr.out" '$6 == 41704 && $9 == "refused"' 1
}
if vg_start xr out 'RESULT' -x -r -P 41703,41704; then
	conn -l -n 3 127.0.0.1 41703 >/dev/null
	conn 127.0.0.1 41704 >/dev/null
	wait_for 20 xr_rows
	stop_tracer "$VG_PID" 60
	vg_check xr $? "-x -r, 3 connects and 1 refused" xr_rows
else
	not_ok "valgrind: -x -r starts" "$(tail -3 "$WORK/xr.err" "$WORK/xr.vg")"
fi

# -H -x: the histogram at exit counts them.
if vg_start hist err '^tcpconnlat: tracing' -H -x -P 41705,41706; then
	conn -l -n 3 127.0.0.1 41705 >/dev/null
	conn 127.0.0.1 41706 >/dev/null
	# The histograms are the kernel's; the tool reads them at exit.
	stop_tracer "$VG_PID" 60
	vg_check hist $? "-H -x, 3 connects and 1 refused" \
		grep -q '^all: count 3, .*, failed 1$' "$WORK/hist.out"
else
	not_ok "valgrind: -H starts" "$(tail -3 "$WORK/hist.err" "$WORK/hist.vg")"
fi
