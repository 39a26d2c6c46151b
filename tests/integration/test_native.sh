#!/usr/bin/env bash
# --metrics's protobuf exposition against the real consumers: two Prometheus servers of the
# test's own scrape one tool every second, one with --enable-feature=native-histograms
# (protobuf: a native histogram) and one without (text, the classic le buckets, narrowed by
# --buckets). Fast connects and one whose first SYN is dropped (~1 s, in a network namespace
# of the test's own): histogram_count, p99 on both grids, the series per destination the
# README states; protoc --decode (Debian's protobuf-compiler) reads a captured scrape with
# the repository's .proto; hostile scrapers; 10,000 label sets scraped in both formats.
. "$(dirname "$0")/common.sh"
require_bpf
need_tracefs
for c in prometheus protoc curl jq yq od; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done
PROTO=$(cd "$(dirname "$0")/../../src" && pwd)/metrics.proto
own_netns 6

# Ports of this test only (42700-42799).
M=42700 PROMN=42701 PROMT=42702 BIG=42703
FAST=42710 SLOW=42711 REFUSED=42712 SPREAD=42713
PB_ACCEPT='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
mkdir -p "$WORK/promn" "$WORK/promt"

# The DaemonSet's labels (deploy/kubernetes/daemonset.yaml's --by), so that the dashboard's
# per-container panels are tried on the labels it reads; this test's connects are all made
# outside containers (namespace, pod and container "-"), one label set per destination.
DS=$(dirname "$0")/../../deploy/kubernetes/daemonset.yaml
BY=$(yq -r '.spec.template.spec.containers[0].args as $a | $a[($a | index("--by")) + 1]' "$DS")
start_quiet_tracer m --metrics $M -P $FAST,$SLOW,$REFUSED --by "$BY" --buckets 100us,10s ||
	{ not_ok "--metrics $M --by $BY --buckets 100us,10s starts" "$(cat "$WORK/m.err")"; exit 1; }
t_m=$TRACER_PID

# prom NAME PORT FLAGS...: a Prometheus scraping the tool every second.
prom() {
	local name=$1 port=$2
	shift 2
	cat >"$WORK/$name.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tcpconnlat
    static_configs:
      - targets: ['127.0.0.1:$M']
EOF
	prometheus --config.file="$WORK/$name.yml" --storage.tsdb.path="$WORK/$name" \
		--web.listen-address=127.0.0.1:$port --log.level=warn "$@" >"$WORK/$name.log" 2>&1 &
	BG_PIDS+=("$!")
}
prom promn $PROMN --enable-feature=native-histograms
prom promt $PROMT

# query PORT PROMQL: the first result's value, or "none".
query() {
	curl -s --max-time 5 "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" |
		jq -r '.data.result[0].value[1] // "none"'
}
# hquery PORT PROMQL: the first result's native histogram as "count sum", or "none".
hquery() {
	curl -s --max-time 5 "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" |
		jq -r '.data.result[0].histogram[1] // {} | "\(.count // "none") \(.sum // "")"'
}
answers() { [ "$(query "$1" "$2")" = "$3" ]; }
hanswers() { [ "$(hquery "$1" "$2" | cut -d' ' -f1)" = "$3" ]; }
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/-/ready")" = 200 ]; }
scrape_pb() { curl -s --max-time 5 -H "Accept: $PB_ACCEPT" "http://127.0.0.1:$1/metrics"; }
scrape() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }

expect "both Prometheus servers are ready" "$(tail -n 2 "$WORK/promn.log" "$WORK/promt.log")" \
	wait_for 60 eval 'ready $PROMN && ready $PROMT'
expect "both scrape the tool (up == 1)" "$(query $PROMN up) $(query $PROMT up)" \
	wait_for 15 eval 'answers $PROMN up 1 && answers $PROMT up 1'

# One connect to each destination first, seen by both before the load: rate() needs a
# sample before the load in each series.
conn -l 127.0.0.1 $FAST >/dev/null
ip netns exec "$NS" "$B/tconn" -l 127.0.0.1 $SLOW >/dev/null
expect "warm-up: both see the two destinations" "" wait_for 15 eval \
	"hanswers $PROMN 'sum(tcpconnlat_connect_duration_seconds)' 2 && answers $PROMT 'sum(tcpconnlat_connect_duration_seconds_count)' 2"
# The slow connect's own latency, exactly: its destination's _sum before and after.
slow_sum() { scrape $M | sed -n "s/^tcpconnlat_connect_duration_seconds_sum{.*dport=\"$SLOW\"} //p"; }
sum0=$(slow_sum)
# The load: 60 fast connects, one whose first SYN is dropped (~1 s), one refused.
conn -n 60 -l 127.0.0.1 $FAST >/dev/null
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" $SLOW || not_ok "dropsyn starts" "$(cat "$WORK/drop.out")"
ip netns exec "$NS" "$B/tconn" -l 127.0.0.1 $SLOW >"$WORK/slow.conn"
stop_dropsyn
conn 127.0.0.1 $REFUSED >/dev/null
L=$(awk -v a="$sum0" -v b="$(slow_sum)" 'BEGIN { printf "%.6f", b - a }')
CONNECTS=63 # 2 warm-up + 60 + 1 slow

expect "native: histogram_count(sum(...)) is the $CONNECTS connects made" \
	"$(hquery $PROMN 'sum(tcpconnlat_connect_duration_seconds)')" \
	wait_for 15 hanswers $PROMN 'sum(tcpconnlat_connect_duration_seconds)' $CONNECTS
expect "native: histogram_count() per destination: 61 to $FAST, 2 to $SLOW" \
	"$(query $PROMN "histogram_count(tcpconnlat_connect_duration_seconds{dport=\"$FAST\"})")" \
	test "$(query $PROMN "histogram_count(tcpconnlat_connect_duration_seconds{dport=\"$FAST\"})"):$(
		query $PROMN "histogram_count(tcpconnlat_connect_duration_seconds{dport=\"$SLOW\"})")" = 61:2
expect "text: sum(_count) is the same $CONNECTS" \
	"$(query $PROMT 'sum(tcpconnlat_connect_duration_seconds_count)')" \
	wait_for 15 answers $PROMT 'sum(tcpconnlat_connect_duration_seconds_count)' $CONNECTS
expect "native: histogram_sum of $SLOW is its _sum in the text scrape" \
	"$(query $PROMN "histogram_sum(tcpconnlat_connect_duration_seconds{dport=\"$SLOW\"})") vs $(slow_sum)" \
	awk -v a="$(query $PROMN "histogram_sum(tcpconnlat_connect_duration_seconds{dport=\"$SLOW\"})")" \
	-v b="$(slow_sum)" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }'

# p99 of the last minute: 61 connects, the slowest is the dropped SYN's (rank 0.99 * 61 > 60).
# Each grid's quantile must land in that grid's bucket holding the slow connect's latency L:
# native (2^(j-1), 2^j] seconds, classic (2^i, 2^(i+1)] microseconds.
pn=$(query $PROMN 'histogram_quantile(0.99, sum(rate(tcpconnlat_connect_duration_seconds[1m])))')
pt=$(query $PROMT 'histogram_quantile(0.99, sum by (le) (rate(tcpconnlat_connect_duration_seconds_bucket[1m])))')
expect "the slow connect took about 1 s (L = $L s)" "$(cat "$WORK/slow.conn")" \
	awk -v l="$L" 'BEGIN { exit !(l > 0.9 && l < 1.5) }'
expect "native p99 ($pn) is in the schema-0 bucket that holds L = $L s" "" awk -v q="$pn" -v l="$L" '
	BEGIN { hi = 1; while (hi < l) hi *= 2; while (hi / 2 >= l) hi /= 2; exit !(q > hi / 2 && q <= hi) }'
expect "classic p99 ($pt) is in the le bucket that holds L = $L s" "" awk -v q="$pt" -v l="$L" '
	BEGIN { hi = 0.000002; while (hi < l) hi *= 2; exit !(q > hi / 2 && q <= hi) }'
expect "... both p99 are within a factor 2 of each other, both at L's power of two" "native $pn, classic $pt" \
	awk -v a="$pn" -v b="$pt" 'BEGIN { exit !(a > 0 && b > 0 && a / b < 2 && b / a < 2) }'

# Series per destination, as the README says: native 1 + 5 failure reasons + 1 retransmit
# counter = 7; text with --buckets 100us,10s: le from 64 us to 16.777216 s (19) and +Inf,
# _sum, _count, + 6 = 28 (the default 32 le: 40, test_metrics.sh).
nn=$(query $PROMN "count({__name__=~\"tcpconnlat_.*\",daddr=\"127.0.0.1\",dport=\"$FAST\"})")
nt=$(query $PROMT "count({__name__=~\"tcpconnlat_.*\",daddr=\"127.0.0.1\",dport=\"$FAST\"})")
expect "series for one destination: 7 native, 28 text with --buckets 100us,10s" "native $nn, text $nt" \
	test "$nn:$nt" = 7:28
les=$(curl -s "http://127.0.0.1:$PROMT/api/v1/series" --data-urlencode \
	"match[]=tcpconnlat_connect_duration_seconds_bucket{dport=\"$FAST\"}" |
	jq -r '[.data[].le] | map(select(. != "+Inf") | tonumber) | sort | "\(length) \(.[0]) \(.[-1])"')
expect "--buckets 100us,10s: 19 le from 64 us to 16.777216 s" "$les" test "$les" = "19 6.4e-05 16.777216"
# Exact counts: what is below 64 us is in the first le, everything in +Inf; the native
# histogram's buckets up to 2^-14 s (61 us) say how many are below 64 us.
lo=$(query $PROMT "tcpconnlat_connect_duration_seconds_bucket{dport=\"$FAST\",le=\"0.000064\"}")
inf=$(query $PROMT "tcpconnlat_connect_duration_seconds_bucket{dport=\"$FAST\",le=\"+Inf\"}")
expect "--buckets: +Inf has all 61 connects to $FAST, le 64 us those below it ($lo)" "" \
	test "$inf" = 61 -a "$lo" != none
expect "native: failures and retransmissions as counters (refused 1, retransmits 1)" \
	"$(query $PROMN 'sum(tcpconnlat_connect_failures_total{reason="refused"})') $(query $PROMN 'sum(tcpconnlat_syn_retransmits_total)')" \
	test "$(query $PROMN 'sum(tcpconnlat_connect_failures_total{reason="refused"})'):$(query $PROMN \
		"tcpconnlat_syn_retransmits_total{dport=\"$SLOW\"}")" = 1:1
expect "native: the self-metrics too (build_info 1)" "$(query $PROMN tcpconnlat_build_info)" \
	answers $PROMN 'tcpconnlat_build_info' 1

# The Grafana dashboard (deploy/grafana/tcpconnlat.json) on both servers: every panel query,
# variables as with "All", answers with data from the native histogram as from the classic
# buckets (test_deploy.sh runs the same queries on a text scrape with the pod and the image).
DASH=$(dirname "$0")/../../deploy/grafana/tcpconnlat.json
# Every variable of the dashboard as "All" (.*), the intervals as Grafana fills them in.
dash_subst() {
	sed -e 's/\$__rate_interval/1m/g' -e 's/\$__range/5m/g' \
		-e "$(jq -r '.templating.list[] | select(.includeAll) | "s/\\$\(.name)\\b/.*/g"' "$DASH")"
}
# dash_empty PORT: the panel queries that error or answer no series there.
dash_empty() {
	local expr ans
	while IFS= read -r expr; do
		ans=$(curl -s --max-time 5 "http://127.0.0.1:$1/api/v1/query" \
			--data-urlencode "query=$(dash_subst <<<"$expr")")
		[ "$(jq -r '.status' <<<"$ans")" = success ] &&
			[ "$(jq '.data.result | length' <<<"$ans")" != 0 ] || echo "[$expr]"
	done < <(jq -r '.panels[] | (., .panels[]?) | .targets[]? | .expr' "$DASH")
}
# dash_unlabelled PORT: the per-container panels' queries whose answer has a series without
# the container label (a query not by container, or an exporter without the label).
dash_unlabelled() {
	local expr
	while IFS= read -r expr; do
		curl -s --max-time 5 "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$(dash_subst <<<"$expr")" |
			jq -e '[.data.result[] | select(.metric.container != "-")] | length == 0' >/dev/null ||
			echo "[$expr]"
	done < <(jq -r '.panels[] | select(.title | test("per container")) | .targets[].expr' "$DASH")
}
npc=$(jq '[.panels[] | select(.title | test("per container"))] | length' "$DASH")
for p in $PROMN $PROMT; do
	e=$(dash_empty $p)
	expect "the dashboard's panel queries all answer from the Prometheus on $p" "$e" [ -z "$e" ]
	e=$(dash_unlabelled $p)
	expect "... its $npc per-container panels by container (\"-\": this test's connects)" "$e" \
		[ "$npc" -ge 3 -a -z "$e" ]
done

# An independent decoder: protoc --decode with src/metrics.proto on a captured scrape, split
# at the length varints.
scrape_pb $M >"$WORK/scrape.pb"
# messages FILE: "offset length" of each message of a delimited stream.
messages() {
	od -An -v -tu1 "$1" | tr -s ' ' '\n' | grep . | awk '
		{ b[NR - 1] = $1 } END {
			for (p = 0; p < NR;) { n = 0; m = 1
				do { c = b[p++]; n += (c % 128) * m; m *= 128 } while (c >= 128)
				print p, n; p += n } }'
}
# decode FILE OFFSET LENGTH: one message as protoc prints it.
decode() {
	tail -c +$(($2 + 1)) "$1" | head -c "$3" |
		protoc --decode=io.prometheus.client.MetricFamily --proto_path="$(dirname "$PROTO")" "$PROTO"
}
messages "$WORK/scrape.pb" >"$WORK/msgs"
: >"$WORK/decoded"
bad=0
while read -r off len; do
	decode "$WORK/scrape.pb" "$off" "$len" >>"$WORK/decoded" 2>>"$WORK/decode.err" || bad=$((bad + 1))
done <"$WORK/msgs"
ctype=$(curl -s -o /dev/null -w '%{content_type}' -H "Accept: $PB_ACCEPT" http://127.0.0.1:$M/metrics)
expect "protobuf when asked: Content-Type says delimited MetricFamily" "$ctype" \
	test "$ctype" = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
expect "protoc --decode reads every message of the scrape ($(wc -l <"$WORK/msgs") families)" \
	"$bad failed: $(head -3 "$WORK/decode.err")" test "$bad" = 0 -a "$(wc -l <"$WORK/msgs")" -ge 6
# The decoded histogram of $SLOW: schema 0, 2 connects, one of them in the bucket of L.
slowh=$(awk -v p="$SLOW" '/^metric \{/ { m = "" } { m = m $0 "|" } /^}/ && index(m, "value: \"" p "\"") && index(m, "histogram") { print m }' "$WORK/decoded")
expect "decoded: the $SLOW histogram has schema 0, sample_count 2 and zero_threshold 2^-20" "$slowh" \
	grep -q 'sample_count: 2|.*schema: 0|.*zero_threshold: 9.5367431640625e-07|' <<<"$slowh"
# Bucket indexes from the spans and deltas: the highest non-empty one is L's power of two.
top=$(tr '|' '\n' <<<"$slowh" | awk '
	/offset:/ { o = $2 }
	/length:/ { start = ns++ ? end + o : o; for (i = 0; i < $2; i++) idx[n++] = start + i; end = start + $2 }
	/positive_delta:/ { c += $2; if (c > 0) t = idx[k]; k++ }
	END { print t }')
expect "decoded: the slow connect is in bucket $top, 2^($top-1) < L = $L <= 2^$top" "$slowh" \
	awk -v t="$top" -v l="$L" 'BEGIN { exit !(t != "" && l > 2 ^ (t - 1) && l <= 2 ^ t) }'
om=$(curl -s -H 'Accept: application/openmetrics-text;version=1.0.0' http://127.0.0.1:$M/metrics | tail -1)
txt=$(curl -s -H 'Accept: text/plain;version=0.0.4' http://127.0.0.1:$M/metrics | grep -c '^# TYPE')
expect "text and OpenMetrics unchanged when asked for (# EOF; $txt families)" "$om" \
	test "$om" = "# EOF" -a "$txt" -ge 6

# Hostile scrapers, protobuf: 50 at once, twice, with connects going on; one that asks and
# never reads.
exec {stuck}<>/dev/tcp/127.0.0.1/$M
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: %s\r\n\r\n' "$PB_ACCEPT" >&"$stuck"
rss0=$(rss_kb "$t_m")
for round in 1 2; do
	curls=()
	for i in $(seq 50); do
		curl -s --max-time 10 -H "Accept: $PB_ACCEPT" -o "$WORK/c$round.$i" -w '%{http_code} %{size_download}\n' \
			"http://127.0.0.1:$M/metrics" >"$WORK/c$round.$i.code" &
		curls+=($!)
	done
	conn -n 10 -l 127.0.0.1 $FAST >/dev/null
	wait "${curls[@]}"
done
good=$(cat "$WORK"/c?.*.code | awk '$1 == 200 && $2 > 500' | wc -l)
expect "100 protobuf scrapes, 50 at a time, one stuck reader: all answered 200, complete" \
	"$good of 100" test "$good" = 100
expect "... and the tool counted every connect meanwhile (61 + 20 to $FAST)" "" \
	wait_for 5 hanswers $PROMN "tcpconnlat_connect_duration_seconds{dport=\"$FAST\"}" 81
rss1=$(rss_kb "$t_m")
expect "... memory bounded: RSS grew by less than 16 MiB (${rss0} -> ${rss1} kB)" "" \
	test $((rss1 - rss0)) -lt 16384
exec {stuck}>&-
stop_tracer "$t_m"
expect "the exporter ends on SIGINT, exit 0" "$(tail -2 "$WORK/m.err")" test $? = 0

# 10,000 label sets: a scrape in each format under 100 ms (the median of 5), memory bounded.
start_quiet_tracer big --metrics $BIG -P $SPREAD --by daddr --max-series 10000 ||
	not_ok "--metrics $BIG --by daddr --max-series 10000 starts" "$(cat "$WORK/big.err")"
t_big=$TRACER_PID
res=$("$B/connspread" 10000 1 $SPREAD)
rounds=$(sed -n 's/^rounds=\([0-9]*\) .*/\1/p' <<<"$res")
rssb0=$(rss_kb "$t_big")
# timed FORMAT ACCEPT: "median-ms bytes series" of 5 scrapes.
timed() {
	local i t=() out
	for i in 1 2 3 4 5; do
		out=$(curl -s --max-time 10 -H "Accept: $2" -o "$WORK/big.$1" -w '%{time_total} %{size_download}' \
			"http://127.0.0.1:$BIG/metrics")
		t+=("$out")
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n 3p | awk '{ printf "%.1f %d", $1 * 1000, $2 }'
}
text=$(timed text 'text/plain;version=0.0.4')
nt=$(grep -c '^tcpconnlat_connect_duration_seconds_count{' "$WORK/big.text")
pb=$(timed pb "$PB_ACCEPT")
rssb1=$(rss_kb "$t_big")
echo "# 10,000 label sets: text ${text% *} ms ${text#* } bytes, protobuf ${pb% *} ms ${pb#* } bytes; RSS ${rssb0} -> ${rssb1} kB"
expect "10,000 label sets ($res): text scrape has them all, in ${text% *} ms (< 100)" "$nt series" \
	awk -v n="$nt" -v ms="${text% *}" 'BEGIN { exit !(n == 10000 && ms < 100) }'
expect "10,000 label sets: protobuf scrape in ${pb% *} ms (< 100), ${pb#* } bytes" "" \
	awk -v ms="${pb% *}" -v b="${pb#* }" -v t="${text#* }" 'BEGIN { exit !(ms < 100 && b > 100000 && b < t) }'
read -r off len < <(messages "$WORK/big.pb")
nh=$(decode "$WORK/big.pb" "$off" "$len" | grep -c "^    sample_count: ${rounds:-x}\$")
expect "... protoc --decode: its histogram family has 10,000 histograms of $rounds connects" "$nh" \
	test "$nh" = 10000
# The exporter keeps its largest response's buffer (30 MB of text here): more scrapes must
# not add to it.
timed text 'text/plain;version=0.0.4' >/dev/null
timed pb "$PB_ACCEPT" >/dev/null
rssb2=$(rss_kb "$t_big")
expect "... memory bounded: RSS grew by less than 96 MiB (${rssb0} -> ${rssb1} kB), then by less than 8 MiB in 10 more scrapes (-> ${rssb2} kB)" "" \
	test $((rssb1 - rssb0)) -lt 98304 -a $((rssb2 - rssb1)) -lt 8192
stop_tracer "$t_big"
