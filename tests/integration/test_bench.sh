#!/usr/bin/env bash
# make bench at its smoke size (BENCH_SIZE=tiny) on this machine's kernel: every part runs,
# and what it reports is consistent. The rates themselves are not judged (noise); that every
# connect is accounted for (printed, or reported lost) is.
. "$(dirname "$0")/common.sh"
require_bpf
top=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_BIN=$(dirname "$B")/bench
csv=$WORK/results-host.csv

# In a mount namespace of the test's own without tracefs, as on a fresh machine: the bench
# mounts what it needs and leaves no mount behind (later tests must not profit from it).
BENCH_BIN=$BENCH_BIN BENCH_OUT=$WORK BENCH_SIZE=tiny TCPCONNLAT=$T DROPSYN=$B/dropsyn \
	DNSFLOOD=$B/baddns \
	unshare -m --propagation private sh -c 'umount /sys/kernel/tracing 2>/dev/null
	umount /sys/kernel/debug/tracing 2>/dev/null; "$0"; rc=$?
	grep " tracefs " /proc/self/mountinfo >"$1"; exit $rc' "$top/bench/bench.sh" "$WORK/mounts" \
	>"$WORK/bench.log" 2>&1
rc=$?
expect "bench.sh (tiny) runs to the end" "status $rc: $(tail -5 "$WORK/bench.log" | tr '\n' ' ')" \
	[ $rc -eq 0 ]
expect "bench.sh leaves no tracefs mounted" "mounted after it: $(cat "$WORK/mounts" 2>&1)" \
	test -e "$WORK/mounts" -a ! -s "$WORK/mounts"

# rows SECTION VARIANT METRIC: the values of matching rows, one per line.
rows() { awk -F, -v s="$1" -v v="$2" -v m="$3" '$2 == s && $3 == v && $6 == m { print $7 }' "$csv"; }
positive() { [ -n "$1" ] && awk -v x="$1" 'BEGIN { exit !(x > 0) }'; }

# Our backends that run here, plus the untraced baseline and bpftrace: 2 rounds of 4 loads.
ours=$(awk -F, '$2 == "overhead" && $3 != "none" && $3 != "bpftrace" { print $3; exit }' "$csv")
expect "overhead rounds ran untraced and with one of our backends ($ours)" \
	"$(rows overhead none rate | wc -l) and $(rows overhead "$ours" rate | wc -l) rate rows" \
	eval '[ "$(rows overhead none rate | wc -l)" -eq 8 ] && [ "$(rows overhead "$ours" rate | wc -l)" -eq 8 ]'
expect "overhead rounds ran with bpftrace" "$(rows overhead bpftrace rate | wc -l) rate rows" \
	[ "$(rows overhead bpftrace rate | wc -l)" -eq 8 ]
expect "overhead rounds ran with a FIN load" "$(awk -F, '$2 == "overhead" && $4 == "v4fin"' "$csv" | head -3)" \
	[ "$(awk -F, '$2 == "overhead" && $3 == "none" && $4 == "v4fin" && $6 == "rate"' "$csv" | wc -l)" -eq 2 ]
for v in rawtp hist hist-container; do
	v_made=$(rows overhead $v connects | awk '{ s += $1 } END { print s + 0 }')
	v_lines=$(rows overhead $v lines | awk '{ s += $1 } END { print s + 0 }')
	v_lost=$(rows overhead $v lost | awk '{ s += $1 } END { print s + 0 }')
	# -H counts what the kernel saw: every connect of the round, and no more than a few others.
	expect "overhead rounds ran with $v, which accounted for every connect" \
		"$(rows overhead $v rate | wc -l) rate rows, $v_made connects, $v_lines counted, $v_lost lost" \
		eval '[ "$(rows overhead $v rate | wc -l)" -eq 8 ] && [ "$v_made" -gt 0 ] &&
		[ $((v_lines + v_lost)) -ge "$v_made" ] && [ $((v_lines + v_lost)) -le $((v_made + 100)) ]'
done
printed=$(rows overhead "$ours" lines | awk '{ s += $1 } END { print s + 0 }')
made=$(rows overhead "$ours" connects | awk '{ s += $1 } END { print s + 0 }')
lost=$(rows overhead "$ours" lost | awk '{ s += $1 } END { print s + 0 }')
expect "every connect of the overhead rounds is printed or reported lost" \
	"$made connects, $printed lines, $lost lost" [ $((printed + lost)) -eq "$made" ]
# -G -C (containers) against the same backend without them: a line for every connect too.
c_made=$(rows overhead containers connects | awk '{ s += $1 } END { print s + 0 }')
c_lines=$(rows overhead containers lines | awk '{ s += $1 } END { print s + 0 }')
c_lost=$(rows overhead containers lost | awk '{ s += $1 } END { print s + 0 }')
expect "overhead rounds ran with -G -C (containers), every connect printed or reported lost" \
	"$(rows overhead containers rate | wc -l) rate rows, $c_made connects, $c_lines lines, $c_lost lost" \
	eval '[ "$(rows overhead containers rate | wc -l)" -eq 8 ] && [ "$c_made" -gt 0 ] &&
	[ $((c_lines + c_lost)) -eq "$c_made" ]'
e_made=$(rows overhead exporter connects | awk '{ s += $1 } END { print s + 0 }')
e_counted=$(rows overhead exporter lines | awk '{ s += $1 } END { print s + 0 }')
expect "overhead rounds ran with the exporter (--metrics), which counted every connect" \
	"$(rows overhead exporter rate | wc -l) rate rows, $e_made connects, $e_counted counted" \
	eval '[ "$(rows overhead exporter rate | wc -l)" -eq 8 ] && [ "$e_made" -gt 0 ] && [ "$e_counted" -eq "$e_made" ]'
# scrape_grows FORMAT: 3 sizes of label sets measured, the bytes growing with them, times > 0.
scrape_grows() {
	awk -F, -v f="$1" '$2 == "scrape" && $3 == f { v[$4, $6] = $7 }
		END { exit !(v[1, "ms"] > 0 && v[100, "ms"] > 0 && v[10000, "ms"] > 0 &&
			v[1, "bytes"] > 0 && v[100, "bytes"] > v[1, "bytes"] && v[10000, "bytes"] > v[100, "bytes"]) }' "$csv"
}
for f in text openmetrics protobuf; do
	expect "scrape bench: $f rendered for 1, 100 and 10000 label sets, sizes growing" \
		"$(grep ",scrape,$f," "$csv" | tr '\n' ' ')" scrape_grows $f
done
expect "bpf_stats gives our programs' ns per run" "$(rows bpf "$ours" ns_per_run | tr '\n' ' ')" \
	positive "$(rows bpf "$ours" ns_per_run | head -1)"
per_connect=$(awk -F, '$2 == "bpf" && $5 == "all" && $6 == "ns_per_connect" { print $3 "/" $4 "=" $7 }' "$csv" | sort | tr '\n' ' ')
has_all_costs() {
	local v l
	for v in "$ours" rawtp hist exporter containers hist-container; do
		for l in v4 v4fin; do
			awk -F, -v v="$v" -v l="$l" '$2 == "bpf" && $3 == v && $4 == l && $5 == "all" &&
				$6 == "ns_per_connect" && $7 > 0 { f = 1 } END { exit !f }' "$csv" || return 1
		done
	done
}
expect "bpf_stats: ns per connect for each variant, over resets and FINs" "$per_connect" has_all_costs
mk_ns=$(awk -F, '$2 == "bpf" && $3 == "cgroup-mkdir" && $5 == "tp_cgroup_mkdir" && $6 == "ns_per_run" { print $7 }' "$csv")
mk_runs=$(awk -F, '$2 == "bpf" && $3 == "cgroup-mkdir" && $5 == "tp_cgroup_mkdir" && $6 == "runs_per_connect" { print $7 }' "$csv")
expect "the cgroup_mkdir tracepoint ran once or more per cgroup made, its cost measured" \
	"$mk_ns ns per run, $mk_runs runs per mkdir" \
	eval 'positive "$mk_ns" && awk -v r="${mk_runs:-0}" "BEGIN { exit !(r >= 1) }"'
# Where the nanoseconds go: 18 programs, each run on every state change (6 per connect with
# resets), every socket's end (2) or every connect()'s return (1).
parts=$(rows bpf parts runs_per_connect | sort -u | tr '\n' ' ')
parts_ran() {
	[ "$(awk -F, '$2 == "bpf" && $3 == "parts" && $6 == "ns_per_run" && $7 > 0' "$csv" | wc -l)" -eq 18 ] &&
		awk -F, '$2 == "bpf" && $3 == "parts" && $6 == "runs_per_connect" &&
			$7 < ($5 ~ /destroy/ ? 2 : $5 ~ /sys_exit/ ? 1 : 6) { bad = 1 } END { exit bad }' "$csv"
}
expect "the parts programs each ran on every connect" \
	"runs per connect: $parts; $(awk -F, '$2 == "bpf" && $3 == "parts"' "$csv" | head -3 | tr '\n' ' ')" parts_ran

# Every other syscall's cost: getppid() timed untraced and under each of our modes.
sys_ok() {
	local v
	for v in none "$ours" hist exporter; do
		positive "$(rows syscall "$v" ns | head -1)" || return 1
	done
}
expect "syscall cost: ns per getppid() untraced, per-line, -H and exporter" \
	"$(grep ',syscall,' "$csv" | tr '\n' ' ')" sys_ok

# Lossless rows: connects = lines + lost, for every rate and buffer size.
bad=$(awk -F, '$2 == "lossless" { v[$3 "/" $4, $6] = $7; k[$3 "/" $4] = 1 }
	END { for (x in k) if (v[x, "lines"] + v[x, "lost"] != v[x, "connects"] || v[x, "connects"] == 0)
		print x ": " v[x, "connects"] " connects, " v[x, "lines"] " lines, " v[x, "lost"] " lost" }' "$csv")
expect "at every rate and buffer size, connects = lines + reported losses" "$bad" [ -z "$bad" ]
expect "the lossless runs cover both buffer sizes" "$(grep -c ',lossless,' "$csv") rows" \
	[ "$(awk -F, '$2 == "lossless" && $6 == "connects"' "$csv" | wc -l)" -eq 4 ]

s_conn=$(rows stall "$ours" connects) s_lines=$(rows stall "$ours" lines) s_lost=$(rows stall "$ours" lost)
expect "a stalled reader: connects are printed or reported lost" \
	"$s_conn connects, $s_lines lines, $s_lost lost" \
	eval '[ -n "$s_conn" ] && [ $((s_lines + ${s_lost:-0})) -eq "$s_conn" ]'
expect "a stalled reader: the tool keeps running and prints what comes after" \
	"alive: $(rows stall "$ours" alive_after), later lines: $(rows stall "$ours" lines_after)" \
	eval '[ "$(rows stall "$ours" alive_after)" = 1 ] && [ "$(rows stall "$ours" lines_after)" = 10 ]'

for mode in text wide json; do
	expect "user-space throughput measured for $mode output" "$(grep ",userspace,$mode," "$csv")" \
		positive "$(awk -F, -v m="$mode" '$2 == "userspace" && $3 == m && $4 == "pipe" { print $7 }' "$csv")"
done
expect "start-up timed for our backend and bpftrace" "$(grep -c ',startup,' "$csv") rows" \
	eval '[ "$(rows startup "$ours" ms | wc -l)" -eq 3 ] && [ "$(rows startup bpftrace ms | wc -l)" -eq 3 ]'
held=$(awk -F, '$2 == "inflight" && $6 == "held" { print $4 "=" $7 }' "$csv" | sort -u | tr '\n' ' ')
expect "in-flight scaling held the asked number of handshakes" "$held" [ "$held" = "0=0 500=500 " ]
i_lines=$(awk -F, '$2 == "inflight" && $3 != "none" && $6 == "lines" { print $7 }' "$csv" | tr '\n' ' ')
expect "with handshakes in flight, every completed connect is printed" "lines: $i_lines" \
	[ "$i_lines" = "2000 2000 " ]

# -N: idle in the overhead rounds, its hook's cost per packet, and a DNS storm accounted for.
expect "overhead rounds ran with -N (names)" "$(rows overhead names rate | wc -l) rate rows" \
	[ "$(rows overhead names rate | wc -l)" -eq 8 ]
expect "dns_ingress ran on the connects' packets (ns per run)" \
	"$(awk -F, '$2 == "bpf" && $3 == "names" && $5 == "dns_ingress"' "$csv" | head -2)" \
	positive "$(awk -F, '$2 == "bpf" && $3 == "names" && $5 == "dns_ingress" && $6 == "ns_per_run" { print $7; exit }' "$csv")"
n_sent=$(rows names storm sent) n_read=$(rows names storm read) n_lost=$(rows names storm lost)
expect "the DNS storm: every answer read or counted lost" "sent $n_sent, read $n_read, lost $n_lost" \
	positive "$n_sent" && [ $((n_read + n_lost)) -ge "$n_sent" ]
expect "the socket-filter candidate ran on the same loads" \
	"$(awk -F, '$2 == "names" && $6 ~ /^sock/' "$csv" | tr '\n' ' ')" \
	positive "$(awk -F, '$2 == "names" && $3 == "storm" && $6 == "sock_ns_per_run" { print $7 }' "$csv")"

"$top/bench/report.sh" "$WORK" >"$WORK/report.out" 2>&1
rc=$?
missing=""
for h in "Connect-path overhead" "In-kernel cost per connect" "Where the nanoseconds go" "Lossless rate" "User-space throughput" \
	"Exporter scrape" "Start-up and footprint" "Scaling with handshakes in flight" "Names (-N)" \
	"Containers (-G -C, -H --by container)"; do
	grep -q "^## $h" "$WORK/report.md" 2>/dev/null || missing="$missing; $h"
done
expect "report.sh writes every section of report.md" "status $rc, missing${missing:- nothing}" \
	eval '[ $rc -eq 0 ] && [ -z "$missing" ]'
# The Containers section pairs each mode with its base, per load, with numbers in every row.
pair_rows=$(grep -cE '^\| (containers \| '"$ours"'|hist-container \| hist) \| v[0-9a-z]+ \| [0-9]+\.[0-9]{3} \| [0-9.]+\.\.[0-9.]+ \| ([0-9]+ / [0-9]+|-) \|$' "$WORK/report.md")
pair_bpf=$(grep -cE '^\| (containers|hist-container) \| [a-z]+ \| v4(fin)? \| [0-9.]+ \| [0-9.]+\.\.[0-9.]+ \| [0-9]+ / [0-9]+ \|$' "$WORK/report.md")
expect "report: Containers pairs -G -C with $ours and --by container with -H, 4 loads each, bpf_stats for 2" \
	"$(grep -A14 '^## Containers' "$WORK/report.md")" eval '[ "$pair_rows" -eq 8 ] && [ "$pair_bpf" -eq 4 ]'
expect "report: the cgroup id's cost per connect (parts)" "$(grep -A16 '^## Containers' "$WORK/report.md")" \
	grep -qE '^What they add in the kernel per connect is one bpf_get_current_cgroup_id\(\) at its start: -?[0-9]+ ns' "$WORK/report.md"
expect "report: the cgroup_mkdir tracepoint's cost per cgroup made" "$(grep -A14 '^## Containers' "$WORK/report.md")" \
	grep -qE '^The cgroup tracepoints .*: tp_cgroup_mkdir [0-9]+ ns per run, [0-9.]+ runs per cgroup made' "$WORK/report.md"
no_line() { ! grep -qF "$1" "$2"; }
expect "the report says every lossless run was accounted for" "$(grep -A8 'Lossless rate' "$WORK/report.md")" \
	no_line '| NO |' "$WORK/report.md"
