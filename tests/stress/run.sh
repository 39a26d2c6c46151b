#!/usr/bin/env bash
# make stress: tests/integration/test_load.sh (the soak and the 10,000 handshakes held with -x)
# STRESS_REPS times, each with its concurrent noise (a second loadgen and a CPU-bound loop).
# A repetition is exact when both accountings in it (the soak, and the -x tracer in flight) have
#   printed + lost + unseen == made
# (unseen: connects whose socket was destroyed with its in-flight entry still there), and every
# check of the test passed. Prints one line per repetition and a summary; exits 1 unless all
# repetitions were exact.
#   STRESS_REPS (20), STRESS_SOAK (connects of the soak, 1000000), STRESS_HOLD (handshakes
#   held, 10000)
set -u
cd "$(dirname "$0")/../.."
OUTPUT=${OUTPUT:-$PWD/.output}
export TCPCONNLAT=${TCPCONNLAT:-$PWD/tcpconnlat}
export TEST_BIN=$OUTPUT/tests
export SOAK_CONNECTS=${STRESS_SOAK:-1000000} HOLD=${STRESS_HOLD:-10000} NOISE=1
reps=${STRESS_REPS:-20}
case $reps in '' | *[!0-9]* | 0)
	echo "stress: bad STRESS_REPS '$reps'" >&2
	exit 2
	;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "# stress: $reps repetitions of test_load.sh (soak $SOAK_CONNECTS, held $HOLD), with noise;" \
	"$(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
exact=0
for rep in $(seq "$reps"); do
	start=$(date +%s)
	timeout -k 5 600 bash tests/integration/test_load.sh >"$log" 2>&1
	rc=$?
	failed=$(grep -c '^not ok' "$log")
	# "# account NAME made=M printed=P lost=L unseen=U skipped=S": exact when P + L + U == M.
	summary=$(awk '$1 == "#" && $2 == "account" {
		for (i = 4; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		ok = v["printed"] + v["lost"] + v["unseen"] == v["made"] && v["made"] > 0
		if (!ok) bad++
		n++
		printf "%s%s %d printed + %d lost + %d unseen %s %d made%s", (n > 1 ? "; " : ""), $3,
			v["printed"], v["lost"], v["unseen"], ok ? "==" : "!=", v["made"],
			v["skipped"] ? " (" v["skipped"] " runs skipped)" : ""
	} END { if (n != 2) bad++; print ""; exit bad > 0 }' "$log")
	acc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" = 0 ] && [ "$failed" = 0 ] && [ "$acc" = 0 ]; then
		exact=$((exact + 1))
		echo "rep $rep/$reps: exact (${secs}s): $summary"
	else
		echo "rep $rep/$reps: NOT exact (${secs}s, status $rc, $failed checks failed): $summary"
		grep '^not ok' "$log" | sed 's/^/#   /'
	fi
done
echo "$exact/$reps repetitions exact"
[ "$exact" = "$reps" ]
