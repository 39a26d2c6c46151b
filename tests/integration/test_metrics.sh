#!/usr/bin/env bash
# --metrics and --textfile against the real consumers: a Prometheus (Debian's prometheus) of
# the test's own on loopback scrapes the tool every second, and node_exporter's textfile
# collector reads --textfile. The test makes fast connects, a ~1 s connect (first SYN
# dropped, in a network namespace of its own), and a refused one, then asks Prometheus's
# HTTP API. Then hostile scrapers (port in use, 50 at once, one that never sends, a 1 MiB
# header, one that never reads): the tool keeps counting every connect, its memory stays
# bounded and SIGTERM still ends it at once. The series cap, and counters that never go back.
. "$(dirname "$0")/common.sh"
require_bpf
for c in prometheus promtool prometheus-node-exporter curl jq; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done
own_netns 6

# Ports of this test only (41500-41599): the tool's, Prometheus's, node_exporter's, and the
# connects' (-P, so that other tests' connects do not count).
M=41500 PROM=41501 NODE=41502 CAP=41503 BIG=41504
FAST=41510 SLOW=41511 REFUSED=41512 SPREAD=41513
PORTS=$FAST,$SLOW,$REFUSED
mkdir -p "$WORK/tf"

# start_exporter NAME ARGS...: the tool, until it says it is tracing.
start_exporter() { start_quiet_tracer "$@"; }

start_exporter m --metrics $M -P $PORTS --by dest ||
	{ not_ok "--metrics $M starts" "$(cat "$WORK/m.err")"; exit 1; }
t_m=$TRACER_PID
start_exporter tf --textfile "$WORK/tf/tcpconnlat.prom" -i 1 -P $PORTS --by dest ||
	not_ok "--textfile starts" "$(cat "$WORK/tf.err")"
t_tf=$TRACER_PID

ready=no
start_prometheus $PROM 127.0.0.1:$M && ready=yes
prometheus-node-exporter --web.listen-address=127.0.0.1:$NODE --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$WORK/tf" >"$WORK/node.log" 2>&1 &
P_NODE=$!
BG_PIDS+=("$P_NODE")

# scrape PORT: the exposition, as a scraper without an Accept header gets it.
scrape() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }

expect "Prometheus is ready (GET /-/ready)" "$(tail -3 "$WORK/prom.log")" test $ready = yes
expect "Prometheus scrapes the tool (up == 1)" "$(prom_value 'up')" wait_prom 'up{job="tcpconnlat"}' 1

# 8 fast connects, one whose first SYN is dropped (~1 s), one refused.
conn -n 8 -l 127.0.0.1 $FAST >/dev/null
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" $SLOW || not_ok "dropsyn starts" "$(cat "$WORK/drop.out")"
ip netns exec "$NS" "$B/tconn" -l 127.0.0.1 $SLOW >"$WORK/slow.conn"
stop_dropsyn
conn 127.0.0.1 $REFUSED >/dev/null
scrape $M >"$WORK/scrape1"

expect "Prometheus: _count adds up to the 9 successful connects" \
	"$(prom_value 'sum(tcpconnlat_connect_duration_seconds_count)')" \
	wait_prom 'sum(tcpconnlat_connect_duration_seconds_count)' 9
expect "Prometheus: --by dest gives daddr and dport labels: 8 to $FAST, 1 to $SLOW" \
	"$(curl -s "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode \
		'query=tcpconnlat_connect_duration_seconds_count' | jq -c '.data.result')" \
	test "$(prom_value "tcpconnlat_connect_duration_seconds_count{daddr=\"127.0.0.1\",dport=\"$FAST\"}"):$(
		prom_value "tcpconnlat_connect_duration_seconds_count{daddr=\"127.0.0.1\",dport=\"$SLOW\"}")" = 8:1
labels=$(curl -s "http://127.0.0.1:$PROM/api/v1/series" --data-urlencode \
	'match[]=tcpconnlat_connect_duration_seconds_count' | jq -r '[.data[] | keys[]] | unique | join(",")')
expect "Prometheus: the series' labels are exactly daddr, dport (+ job, instance): no pid" \
	"$labels" test "$labels" = "__name__,daddr,dport,instance,job"
p99=$(prom_value 'histogram_quantile(0.99, sum by (le) (tcpconnlat_connect_duration_seconds_bucket))')
expect "Prometheus: histogram_quantile(0.99) is in the bucket that holds 1 s (0.524288, 1.048576]" \
	"p99 $p99" awk -v q="$p99" 'BEGIN { exit !(q > 0.524288 && q <= 1.048576) }'
p50=$(prom_value 'histogram_quantile(0.5, sum by (le) (tcpconnlat_connect_duration_seconds_bucket))')
expect "Prometheus: histogram_quantile(0.5) is a fast connect (under 1 ms)" "p50 $p50" \
	awk -v q="$p50" 'BEGIN { exit !(q > 0 && q < 0.001) }'
expect "Prometheus: failures_total{reason=\"refused\"} is 1, for dport $REFUSED" \
	"$(prom_value 'tcpconnlat_connect_failures_total{reason="refused"}')" \
	test "$(prom_value 'sum(tcpconnlat_connect_failures_total{reason="refused"})'):$(prom_value \
		"tcpconnlat_connect_failures_total{reason=\"refused\",dport=\"$REFUSED\"}")" = 1:1
expect "Prometheus: no other failure reason counted" \
	"$(prom_value 'sum(tcpconnlat_connect_failures_total{reason!="refused"})')" \
	test "$(prom_value 'sum(tcpconnlat_connect_failures_total{reason!="refused"})')" = 0
expect "Prometheus: syn_retransmits_total is 1, for the connect whose SYN was dropped" \
	"$(prom_value 'tcpconnlat_syn_retransmits_total')" \
	test "$(prom_value 'sum(tcpconnlat_syn_retransmits_total)'):$(prom_value \
		"tcpconnlat_syn_retransmits_total{dport=\"$SLOW\"}")" = 1:1
sum=$(prom_value "tcpconnlat_connect_duration_seconds_sum{dport=\"$SLOW\"}")
expect "Prometheus: _sum of the slow connect is about 1 s" "$sum" \
	awk -v s="$sum" 'BEGIN { exit !(s > 0.9 && s < 1.5) }'
expect "promtool check metrics accepts the exposition" "$(promtool check metrics <"$WORK/scrape1" 2>&1 | head -3)" \
	promtool check metrics <"$WORK/scrape1"
ctype=$(curl -s -o /dev/null -w '%{content_type}' http://127.0.0.1:$M/metrics)
expect "text format 0.0.4 by default" "$ctype" test "$ctype" = "text/plain; version=0.0.4; charset=utf-8"
om=$(curl -s -H 'Accept: application/openmetrics-text;version=1.0.0' http://127.0.0.1:$M/metrics)
expect "OpenMetrics when asked: counter families without _total, # EOF last" "$(tail -2 <<<"$om")" \
	test "$(tail -1 <<<"$om")" = "# EOF" -a "$(grep -c '^# TYPE tcpconnlat_connect_failures counter$' <<<"$om")" = 1
expect "GET /other: 404" "" test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$M/other)" = 404
expect "GET /: 404" "" test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$M/)" = 404
expect "POST /metrics: 405" "" test "$(curl -s -X POST -o /dev/null -w '%{http_code}' http://127.0.0.1:$M/metrics)" = 405
expect "HEAD /metrics: 200" "" test "$(curl -s -I -o /dev/null -w '%{http_code}' http://127.0.0.1:$M/metrics)" = 200
expect "a bare port listens on 127.0.0.1 only" "$(ss -ltnH "sport = :$M")" \
	test "$(ss -ltnH "sport = :$M" | awk '{ print $4 }')" = "127.0.0.1:$M"

# node_exporter's textfile collector: the same series as the HTTP endpoint, once the file
# (rewritten every -i 1 s) is newer than the last connect above.
touch "$WORK/mark"
wait_for 5 test "$WORK/tf/tcpconnlat.prom" -nt "$WORK/mark"
curl -s "http://127.0.0.1:$NODE/metrics" >"$WORK/node.out"
# series FILE: the tool's samples, le as a number (node_exporter writes 2e-06 for 0.000002).
series() {
	grep '^tcpconnlat_connect\|^tcpconnlat_syn' "$1" | awk '{
		if (match($0, /le="[0-9.e+-]+"/)) {
			le = substr($0, RSTART + 4, RLENGTH - 5)
			$0 = substr($0, 1, RSTART + 3) sprintf("%.6f", le) substr($0, RSTART + RLENGTH - 1)
		}
		print }' | sort
}
series "$WORK/node.out" >"$WORK/node.series"
scrape $M >"$WORK/scrape2"
series "$WORK/scrape2" >"$WORK/http.series"
# Two tracers time each connect with their own programs: a microsecond apart, a bucket may
# differ. The series, the counts and the failures must not.
expect "node_exporter --collector.textfile: the same series as --metrics" \
	"$(diff <(sed 's/ .*//' "$WORK/http.series") <(sed 's/ .*//' "$WORK/node.series") | head -4 | tr '\n' '|')" \
	test -s "$WORK/node.series" -a "$(grep -c _count "$WORK/node.series")" = 3 \
	-a "$(diff <(sed 's/ .*//' "$WORK/http.series") <(sed 's/ .*//' "$WORK/node.series"))" = ""
expect "node_exporter --collector.textfile: the same counts, failures and retransmissions" \
	"$(diff <(grep -v _bucket "$WORK/http.series") <(grep -v _bucket "$WORK/node.series") | head -4 | tr '\n' '|')" \
	test "$(diff <(grep -v '_bucket\|_sum' "$WORK/http.series") <(grep -v '_bucket\|_sum' "$WORK/node.series"))" = ""
expect "node_exporter read the file without error" "$(grep textfile_scrape_error "$WORK/node.out")" \
	grep -q '^node_textfile_scrape_error 0' "$WORK/node.out"
expect "--textfile: only the file in its directory (no temporary files left)" "$(ls -A "$WORK/tf")" \
	test "$(ls -A "$WORK/tf")" = tcpconnlat.prom

# Hostile scrapers against the running exporter, with connects going on.
out=$("$T" --metrics $M 2>&1 >/dev/null)
rc=$?
expect "port in use: one line naming it, exit 1" "status $rc: $out" \
	test "$rc:$(grep -c . <<<"$out")" = 1:1 -a -n "$(grep -F "'$M'" <<<"$out" | grep 'in use')"
# The README's limits: a client idle for 10 s is dropped (timed in the background while the
# rest goes on: one connection that sends nothing, until the tool closes it), and a request's
# headers may take 8 KiB (7.5 KiB answered, 8.5 KiB refused with 400).
(
	exec {fd}<>/dev/tcp/127.0.0.1/$M || exit 1
	s=$(date +%s%N)
	timeout 20 cat <&"$fd" >/dev/null
	echo $((($(date +%s%N) - s) / 1000000))
) >"$WORK/idle.ms" 2>&1 &
idle_probe=$!
BG_PIDS+=("$idle_probe")
hdr() {
	curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c "$1" /dev/zero | tr '\0' a)" \
		"http://127.0.0.1:$M/metrics"
}
codes="$(hdr 7680):$(hdr 8704)"
expect "headers limited to 8 KiB: 7.5 KiB of them answered 200, 8.5 KiB refused with 400" \
	"codes $codes" test "$codes" = 200:400
rss0=$(rss_kb "$t_m")
# 100 connections that never send anything, one that sends a 1 MiB header.
idle=()
for i in $(seq 100); do
	exec {fd}<>/dev/tcp/127.0.0.1/$M && idle+=("$fd")
done
exec {big}<>/dev/tcp/127.0.0.1/$M
# (A subshell: the tool may close the connection midway, and the SIGPIPE must not end the test.)
(printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 1048576 /dev/zero | tr '\0' a; printf '\r\n\r\n') 1>&"$big" 2>/dev/null
# 50 scrapes at once, twice, with connects going on.
for round in 1 2; do
	curls=()
	for i in $(seq 50); do
		curl -s --max-time 10 -o "$WORK/c$round.$i" -w '%{http_code}\n' "http://127.0.0.1:$M/metrics" >"$WORK/c$round.$i.code" &
		curls+=($!)
	done
	conn -n 10 -l 127.0.0.1 $FAST >/dev/null
	wait "${curls[@]}"
done
good=$(cat "$WORK"/c?.*.code | grep -c '^200$')
full=$(grep -l "^tcpconnlat_overflow_keys 0" "$WORK"/c?.[0-9] "$WORK"/c?.[0-9][0-9] 2>/dev/null | wc -l)
expect "100 scrapes, 50 at a time, among hostile connections: all answered 200, complete" \
	"$good answered 200, $full complete" test "$good:$full" = 100:100
expect "the tool counted every connect meanwhile: 8 + 20 fast ones" \
	"$(scrape $M | grep "_count.*$FAST")" \
	test "$(scrape $M | grep "^tcpconnlat_connect_duration_seconds_count{.*dport=\"$FAST\"}" | awk '{ print $2 }')" = 28
rss1=$(rss_kb "$t_m")
expect "memory stays bounded: RSS grew by less than 16 MiB (${rss0} -> ${rss1} kB)" "" \
	test $((rss1 - rss0)) -lt 16384
expect "Prometheus still scrapes it (up == 1)" "$(prom_value 'up')" wait_prom 'up{job="tcpconnlat"}' 1 5
# Counters never go back: resets() over every scrape of the run, once there are at least 5
# (Prometheus scrapes every second; a fast run gets here sooner).
scrapes() { prom_value 'count_over_time(up{job="tcpconnlat"}[10m])'; }
five_scrapes() { n=$(scrapes) && [ "${n%.*}" -ge 5 ] 2>/dev/null; }
wait_for 15 five_scrapes
r=$(prom_value 'sum(resets(tcpconnlat_connect_duration_seconds_bucket[10m])) + sum(resets(tcpconnlat_connect_duration_seconds_count[10m])) + sum(resets(tcpconnlat_connect_failures_total[10m])) + sum(resets(tcpconnlat_syn_retransmits_total[10m]))')
n=$(prom_value 'count_over_time(up{job="tcpconnlat"}[10m])')
expect "counters never decrease over $n scrapes (PromQL resets() == 0)" "resets $r over $n scrapes (5 or more wanted)" \
	test "$r" = 0 -a "${n%.*}" -ge 5 2>/dev/null
# A scraper that asks and never reads a 3 MB response (1000 keys): the others are still
# served, and the tool still counts.
start_exporter big --metrics $BIG -P $SPREAD --by daddr ||
	not_ok "--metrics $BIG --by daddr starts" "$(cat "$WORK/big.err")"
t_big=$TRACER_PID
res=$("$B/connspread" 1000 1 $SPREAD)
rounds=$(sed -n 's/^rounds=\([0-9]*\) .*/\1/p' <<<"$res")
rssb0=$(rss_kb "$t_big")
slow=()
for i in 1 2 3; do
	exec {fd}<>/dev/tcp/127.0.0.1/$BIG && slow+=("$fd")
	printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
done
# Each slow reader has part of its response waiting unread (Recv-Q above 0).
answered() { [ "$(ss -Htn state established "( dport = :$BIG )" | awk '$1 > 0' | wc -l)" -ge 3 ]; }
wait_for 5 answered
ok_scrapes=0
for i in $(seq 5); do
	n=$(scrape $BIG | grep -c '^tcpconnlat_connect_duration_seconds_count{')
	[ "$n" = 1000 ] && ok_scrapes=$((ok_scrapes + 1))
done
total=$(scrape $BIG | awk '/^tcpconnlat_connect_duration_seconds_count\{/ { n += $2 } END { print n + 0 }')
rssb1=$(rss_kb "$t_big")
expect "3 slow readers of a 1000-series response: 5 more scrapes complete meanwhile" \
	"$ok_scrapes of 5" test "$ok_scrapes" = 5
expect "... and every connect counted ($res)" "$total counted" test "$total" = $((1000 * ${rounds:-0}))
expect "... memory bounded: RSS grew by less than 32 MiB (${rssb0} -> ${rssb1} kB)" "" \
	test $((rssb1 - rssb0)) -lt 32768
expect_prompt_exit "SIGTERM with slow readers connected" big "$t_big" TERM
for fd in "${slow[@]}"; do exec {fd}>&-; done

wait "$idle_probe"
ms=$(cat "$WORK/idle.ms")
expect "a client that sends nothing is dropped after 10 s (${ms} ms)" "$ms" \
	awk -v ms="$ms" 'BEGIN { exit !(ms ~ /^[0-9]+$/ && ms >= 9500 && ms <= 12000) }'

expect_prompt_exit "SIGTERM with 100 idle and a big-header scraper connected" m "$t_m" TERM
for fd in "${idle[@]}" "$big"; do exec {fd}>&-; done
stop_tracer "$t_tf"
rc=$?
expect "--textfile: SIGINT, exit 0" "status $rc: $(cat "$WORK/tf.err")" test "$rc" = 0
kill "$P_NODE" "$PROM_PID" 2>/dev/null

# The series cap: 4 ports, --max-series 2: two series of their own, the others in "other".
start_exporter cap --metrics $CAP -P 41520,41521,41522,41523 --by dport --max-series 2 ||
	not_ok "--max-series tracer starts" "$(cat "$WORK/cap.err")"
t_cap=$TRACER_PID
for p in 41520 41521 41522 41523; do conn 127.0.0.1 $p >/dev/null; done
scrape $CAP >"$WORK/cap.out"
conn 127.0.0.1 41520 >/dev/null
conn 127.0.0.1 41519 >/dev/null # not in -P
scrape $CAP >"$WORK/cap2.out"
stop_tracer "$t_cap"
dports=$(grep '^tcpconnlat_connect_failures_total{.*reason="refused"' "$WORK/cap.out" |
	sed 's/.*dport="\([^"]*\)".* \([0-9]*\)$/\1=\2/' | sort | tr '\n' ' ')
expect "--max-series 2: 2 series of their own + other (2 keys folded), counted" "$dports" \
	test "$dports" = "41520=1 41521=1 other=2 " -a \
	"$(grep -c '^tcpconnlat_overflow_keys 2$' "$WORK/cap.out")" = 1
dports=$(grep '^tcpconnlat_connect_failures_total{.*reason="refused"' "$WORK/cap2.out" |
	sed 's/.*dport="\([^"]*\)".* \([0-9]*\)$/\1=\2/' | sort | tr '\n' ' ')
expect "--max-series 2: later connects count in the same series; -P still filters" "$dports" \
	test "$dports" = "41520=2 41521=1 other=2 "
expect "promtool check metrics accepts the capped exposition" "$(promtool check metrics <"$WORK/cap.out" 2>&1 | head -3)" \
	promtool check metrics <"$WORK/cap.out"

# Without --by: no label at all, one series from the start.
start_exporter nob --metrics $CAP -P 41524 || not_ok "tracer without --by starts" "$(cat "$WORK/nob.err")"
t_nob=$TRACER_PID
scrape $CAP >"$WORK/nob.out"
stop_tracer "$t_nob"
expect "without --by: one series, no labels, zero before any connect" "$(grep _count "$WORK/nob.out")" \
	grep -qx 'tcpconnlat_connect_duration_seconds_count 0' "$WORK/nob.out"
