#!/usr/bin/env bash
# -H on this machine's kernel: histogram counts equal the connects the test made, and the
# percentiles match the latencies it injected (fast loopback connects and connects whose
# first SYN was dropped, about 1 s); --by, -i, -j and -x with -H; bad combinations.
. "$(dirname "$0")/common.sh"
require_bpf

# start_hist NAME ARGS...: the tool with -H.
start_hist() {
	local name=$1
	shift
	start_quiet_tracer "$name" -H "$@"
}

# The ports of this test only (-P), so other connects on the machine do not count.
PORTS=41601,41602,41603
start_hist all -P $PORTS -x || not_ok "-H tracer starts" "$(cat "$WORK/all.err")"
t_all=$TRACER_PID
start_hist by -P $PORTS --by dport
t_by=$TRACER_PID
start_hist js -j -P $PORTS --by dest
t_js=$TRACER_PID
start_hist iv -P $PORTS -i 1
t_iv=$TRACER_PID
start_hist bda -P $PORTS --by daddr
t_bda=$TRACER_PID
start_hist bco -P $PORTS --by comm
t_bco=$TRACER_PID
start_hist bpi -P $PORTS --by pid
t_bpi=$TRACER_PID

# 8 fast connects to 41601, 2 to 41602 with the first SYN dropped (one RTO, ~1 s each),
# and 1 refused connect to 41603 (counted as failed with -x, not as a latency).
conn -n 8 -l 127.0.0.1 41601 >/dev/null
for k in 1 2; do
	# One dropper per connect: each drops that connect's first SYN only.
	start_dropsyn "$WORK/drop.out" 41602
	conn -l 127.0.0.1 41602 >/dev/null
	stop_dropsyn
done
conn 127.0.0.1 41603 >/dev/null
# -i 1: a report of its own (timestamped) before the one at exit.
wait_for 3 grep -qsE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$WORK/iv.out"
for t in $t_all $t_by $t_js $t_iv $t_bda $t_bco $t_bpi; do stop_tracer "$t"; done

summary=$(grep '^all: ' "$WORK/all.out")
expect "-H: one summary with count 10 (the successful connects) and failed 1 (-x)" \
	"$(cat "$WORK/all.out")" grep -q '^all: count 10, .*, failed 1$' <<<"$summary"
# p50: a fast connect (its bucket's upper end, under 1 ms); p90 and max: a ~1 s connect.
expect "-H: p50 under 1 ms, p90, p99 and max between 900 and 1500 ms" "$summary" \
	awk '{ gsub(/,/, ""); for (i = 1; i <= NF; i++) v[$i] = $(i + 1) }
	END { exit !(v["p50"] < 1 && v["p90"] >= 900 && v["p90"] <= 1500 && v["p99"] == v["p90"] &&
		v["max"] == v["p90"]) }' <<<"$summary"
expect "-H: the buckets add up to the count" "$(cat "$WORK/all.out")" \
	awk -F'[:|]' '/ -> / { n += $2 } END { exit !(n == 10) }' "$WORK/all.out"
expect "-H: the slow connects are in the 524288 -> 1048575 us bucket" "$(cat "$WORK/all.out")" \
	grep -Eq '^ +524288 -> 1048575 +: 2 ' "$WORK/all.out"
expect "--by dport: 41601 (8 connects) first, then 41602 (2), nothing else" \
	"$(grep '^dport' "$WORK/by.out")" test "$(grep '^dport' "$WORK/by.out" | cut -d, -f1 | tr '\n' '|')" = \
	"dport 41601: count 8|dport 41602: count 2|"
expect "-j -H: one JSON object per destination, counts and keys by name" "$(cat "$WORK/js.out")" \
	test "$(jq -r '"\(.by) \(.key) \(.count) \(.failed) \(.buckets | map(.count) | add)"' \
		"$WORK/js.out" | tr '\n' '|')" = "dest 127.0.0.1:41601 8 0 8|dest 127.0.0.1:41602 2 0 2|"
expect "--by daddr: one key, 127.0.0.1, count 10" "$(grep -v -- '->' "$WORK/bda.out")" \
	test "$(grep -v -- '->' "$WORK/bda.out" | grep -v usecs | cut -d, -f1)" = "daddr 127.0.0.1: count 10"
expect "--by comm: one key, tconn, count 10" "$(grep -v -- '->' "$WORK/bco.out")" \
	test "$(grep -v -- '->' "$WORK/bco.out" | grep -v usecs | cut -d, -f1)" = "comm tconn: count 10"
expect "--by pid: the process that made 8 connects first, then two with 1 each" \
	"$(grep '^pid' "$WORK/bpi.out")" \
	test "$(grep '^pid' "$WORK/bpi.out" | sed 's/^pid [0-9]*: count \([0-9]*\),.*/\1/' | tr '\n' ' ')" = "8 1 1 "
reports=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$WORK/iv.out")
total=$(grep -E '^all: count' "$WORK/iv.out" | awk '{ gsub(/,/, ""); n += $3 } END { print n + 0 }')
expect "-i 1: a timestamped report every second, the counts adding up to 10" \
	"$reports reports, total $total: $(grep -E '^[0-9]{4}-|^all|^no' "$WORK/iv.out" | tr '\n' '|')" \
	test "$reports" -ge 2 -a "$total" = 10

# Bad combinations and values: one line, exit 2.
for args in "-i 5" "--by dport" "-H -c 5" "-H --by host" "-H -i 0" "-H -i 86401" "-H -i x"; do
	# shellcheck disable=SC2086
	out=$("$T" $args 2>&1 >/dev/null)
	rc=$?
	expect "bad input '$args': one line, exit 2" "status $rc: $out" \
		test "$rc:$(grep -c . <<<"$out")" = "2:1"
done

# -i at report boundaries: connects made without a pause across several -i 1 reports, spread
# over many keys (--by daddr: 127.0.1.1, 127.0.1.2, ...; reading many keys keeps a report
# busy long enough that connects land while it runs). The reports of each key add up to the
# connects made to it, and the reports cover every key.
ADDRS=1000
start_hist spread -P 41604 --by daddr -i 1 || not_ok "-H -i 1 --by daddr tracer starts" \
	"$(cat "$WORK/spread.err")"
t_spread=$TRACER_PID
res=$("$B/connspread" $ADDRS 5 41604)
rounds=$(sed -n 's/^rounds=\([0-9]*\) .*/\1/p' <<<"$res")
# One more -i report after the last connects, then the one at exit.
n_reports() { grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$WORK/spread.out"; }
before=$(n_reports)
more_reports() { [ "$(n_reports)" -gt "$before" ]; }
wait_for 3 more_reports
stop_tracer "$t_spread"
# key count: the sum over the reports, per key.
awk '/^daddr / { k = $2; sub(/:$/, "", k); c = $4; sub(/,$/, "", c); n[k] += c }
	END { for (k in n) print k, n[k] }' "$WORK/spread.out" | sort >"$WORK/spread.sums"
keys=$(wc -l <"$WORK/spread.sums")
off=$(awk -v r="${rounds:-0}" '$2 != r' "$WORK/spread.sums" | wc -l)
missing=$(awk -v r="${rounds:-0}" '$2 < r { m += r - $2 } END { print m + 0 }' "$WORK/spread.sums")
reports=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$WORK/spread.out")
expect "-i 1 --by daddr, $ADDRS keys, $reports reports: each key's reports add up to its $rounds connects" \
	"$res; $keys keys, $off keys off, $missing connects missing: $(awk -v r="${rounds:-0}" \
	'$2 != r' "$WORK/spread.sums" | head -3 | tr '\n' '|') $(head -2 "$WORK/spread.err" | tr '\n' '|')" \
	test "${rounds:-0}" -gt 0 -a "$keys:$off" = "$ADDRS:0" -a "$reports" -ge 4
