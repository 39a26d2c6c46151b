#!/usr/bin/env bash
# Load, with the tool in its default configuration (default buffer: 64 pages per CPU):
#  1. A soak of SOAK_CONNECTS (default 1,000,000) loopback connects by bench/loadgen: every
#     connect loadgen counts as established is printed or reported lost (or, when the kernel
#     skipped runs of the tool's programs, within the skipped runs the tool reports), the
#     tool's RSS stays flat after warm-up, its in-flight map `inflight` is empty at the end, and
#     SIGINT ends it with 0.
#  2. 10,000 handshakes in flight at once to a port whose SYNs are all dropped (tcp_syn_retries
#     2: they time out after about 7 s): the in-flight map holds them all, a tracer without -x
#     prints none of them, one with -x prints each as a timeout, both maps are empty after,
#     RSS stays bounded, and a normal connect is still traced afterwards.
# Both parts run while unrelated load shares the machine (misses show only then): a second
# loadgen under another name, whose connects every tracer's programs still
# run for, and a CPU-bound shell loop; both are ended by PID when the part ends.
# Accounting is exact: every connect made is printed, reported lost, or counted as
# "outcome unseen" (its socket was destroyed with its in-flight entry still there: the kernel
# did not run our programs when its handshake ended); runs the kernel reports as skipped
# only widen the bound when an unseen count itself may have been missed.
# The load runs in a network namespace of the test's own (no port of the machine's is used),
# and the tools trace only the name of a private copy of loadgen: other processes' connects
# on this busy machine would otherwise enter the in-flight map and the output too.
# SOAK_CONNECTS, HOLD and NOISE (0: no concurrent load) may be set (tests/stress/run.sh does).
. "$(dirname "$0")/common.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
# lost_of, field, lines_to.
. "$top/bench/lib.sh"
require_bpf
SOAK_CONNECTS=${SOAK_CONNECTS:-1000000}
MAX_INFLIGHT=$(sed -n 's/^#define MAX_INFLIGHT[[:space:]]*\([0-9]*\).*/\1/p' "$top/src/tcpconnlat.h")
HOLD=${HOLD:-10000}
NOISE=${NOISE:-1}
SOAK_PORT=41710 # loadgen's two threads listen on 41710 and 41711
HOLD_PORT=41720 # every SYN to it is dropped
LOOP_PORT=41721 # loadgen's paced connects while the handshakes are held
ROOT_PORT=41701 # the normal connect afterwards, in the root namespace
NOISE_PORT=41730 # the noise loadgen's two threads listen on 41730 and 41731

own_netns 2

# A copy of loadgen under a name of this run's own (its comm), for the tools' -n.
LG=lg$$
private_loadgen "$LG"

# A second copy of loadgen under another name: the noise, which the tools must not print.
NZ=nz$$
cp "$WORK/$LG" "$WORK/$NZ"
NOISE_PIDS=()
# noise_start: the unrelated load, at most 300 s; noise_stop ends it by PID.
noise_start() {
	[ "$NOISE" = 1 ] || return 0
	ip netns exec "$NS" "$WORK/$NZ" -t 2 -s 300 -p $NOISE_PORT >"$WORK/noise.lg" 2>&1 &
	NOISE_PIDS=($!)
	(while :; do :; done) &
	NOISE_PIDS+=($!)
	BG_PIDS+=("${NOISE_PIDS[@]}")
}
noise_stop() {
	local p
	for p in "${NOISE_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	NOISE_PIDS=()
}
# bss_of PID NAME: a counter in the .bss of the tool with that PID, read with bpftool while
# the tool runs (before the tool's own report at exit); "none" if it has none.
bss_of() {
	local id
	for id in $(sed -n 's/^map_id:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null); do
		bpftool map show id "$id" 2>/dev/null | grep -q ' name .*\.bss ' || continue
		bpftool -j map dump id "$id" |
			jq -r --arg n "$2" '[.[0].formatted | .. | objects | select(has($n)) | .[$n]][0] // "none"'
		return
	done
	echo none
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$1"/status; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# rows FILE COND: how many lines after the header match the awk condition COND.
rows() { awk "NR > 1 && ($2)" "$1" | wc -l; }
some() { awk "NR > 1 && ($2)" "$1" | head -3 | tr '\n' '|'; }
# The tool's exit line for runs of its programs the kernel skipped (nested on one CPU).
missed_of() { sed -n 's/^tcpconnlat: \([0-9]*\) runs skipped by the kernel.*/\1/p' "$1.err" | grep . || echo 0; }
# accounted PRINTED LOST UNSEEN MISSED MADE: every connect made is printed, reported lost or
# counted unseen: exactly, unless the kernel skipped runs (a skipped tcp_destroy_sock run
# leaves an unseen connect uncounted; at most one per skipped run).
accounted() {
	case $3 in '' | *[!0-9]*) return 1 ;; esac
	[ $(($1 + $2 + $3)) = "$5" ] && return 0
	[ "$4" -gt 0 ] && [ $(($1 + $2 + $3)) -le "$5" ] && [ "$5" -le $(($1 + $2 + $3 + $4)) ]
}

# 1. The soak. RSS is sampled every 0.5 s while loadgen runs (bash builtins only: the
#    sampler must not add load of its own).
if ! start_tracer soak -n "$LG"; then
	not_ok "soak: the tool starts" "$(cat "$WORK/soak.err")"
	exit 1
fi
soak_pid=$TRACER_PID
rss0=$(rss_kb "$soak_pid")
(
	while [ ! -e "$WORK/soak.stop" ]; do
		while read -r k v _; do
			[ "$k" = VmRSS: ] && echo "$v"
		done </proc/"$soak_pid"/status
		sleep 0.5 # the sampling period: time itself is what is measured
	done
) >"$WORK/soak.rss" &
sampler=$!
BG_PIDS+=("$sampler")
noise_start
res=$(ip netns exec "$NS" "$WORK/$LG" -t 2 -n "$SOAK_CONNECTS" -p $SOAK_PORT 2>&1)
lg_rc=$?
noise_stop
touch "$WORK/soak.stop"
wait "$sampler"
made=$(field "$res" connects)
rate=$(field "$res" rate)
expect "soak: loadgen made its $SOAK_CONNECTS connects without an error" "status $lg_rc: $res" \
	test "$lg_rc:$made" = "0:$SOAK_CONNECTS"
# Every connect has had its outcome: its entry goes with it (stop_tracer prints the rest).
map_empty() { [ "$(map_entries "$1" inflight)" = 0 ]; }
wait_for 5 map_empty "$soak_pid"
soak_map=$(map_entries "$soak_pid" inflight)
soak_unseen=$(bss_of "$soak_pid" outcome_unseen)
rss_end=$(rss_kb "$soak_pid")
stop_tracer "$soak_pid"
rc=$?
expect "soak: the tool exits 0 on SIGINT" "status $rc: $(tail -3 "$WORK/soak.err")" test $rc = 0
lost=$(lost_of "$WORK/soak") missed=$(missed_of "$WORK/soak")
ours=$(lines_to "$WORK/soak.out" $SOAK_PORT $((SOAK_PORT + 1)))
others=$(rows "$WORK/soak.out" "\$6 != $SOAK_PORT && \$6 != $((SOAK_PORT + 1))")
# One line per accounting for tests/stress/run.sh (a comment to tests/run.sh).
account() { echo "# account $1 made=$2 printed=$3 lost=$4 unseen=$5 skipped=$6"; }
account soak "$made" "$ours" "$lost" "$soak_unseen" "$missed"
soak_accounted() { [ "${made:-0}" -gt 0 ] && [ "$others" = 0 ] && accounted "$ours" "$lost" "$soak_unseen" "$missed" "$made"; }
expect "soak: $made connects at $rate/s under noise: $ours printed + $lost lost + $soak_unseen unseen = $made ($missed runs skipped), no other line" \
	"other lines: $others: $(some "$WORK/soak.out" "\$6 != $SOAK_PORT")" soak_accounted

# Flat: the highest RSS of the second half of the run is at most 1 MiB above the RSS at the
# end of warm-up (the first tenth of the samples; the perf buffer's pages are touched by then).
read -r nsamp warm late <<<"$(awk '{ v[NR] = $1 } END {
	w = v[int((NR + 9) / 10)]; m = 0
	for (i = int(NR / 2) + 1; i <= NR; i++) if (v[i] > m) m = v[i]
	print NR, w, m }' "$WORK/soak.rss")"
expect "soak: RSS flat after warm-up: $(mib "$rss0") MiB idle, $(mib "$warm") warm, \
$(mib "$late") at most in the second half, $(mib "$rss_end") at the end ($nsamp samples)" \
	"want 4 samples or more, and the second half at most warm-up + 1 MiB" \
	test "$nsamp" -ge 4 -a "$late" -le $((warm + 1024))
expect "soak: map inflight empty after the load" "$soak_map entries" test "$soak_map" = 0

# 2. Handshakes in flight. Two tracers see the same load: one plain, one with -x.
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" -n 1000000000 $HOLD_PORT ||
	{ not_ok "dropsyn attaches in the namespace" "$(cat "$WORK/drop.out")"; exit 1; }
start_tracer plain -L -n "$LG" || not_ok "the plain tracer starts" "$(cat "$WORK/plain.err")"
plain_pid=$TRACER_PID
start_tracer fail -x -L -n "$LG" || not_ok "the -x tracer starts" "$(cat "$WORK/fail.err")"
fail_pid=$TRACER_PID
plain_rss0=$(rss_kb "$plain_pid") fail_rss0=$(rss_kb "$fail_pid")
noise_start
# loadgen starts the non-blocking connects first (it raises its own fd limit for them), then
# makes paced connects for 9 s, longer than the held ones take to time out (1 + 2 + 4 s with
# two SYN retries; one retry would leave ~2 s for the map reads below, which take about 1 s
# each on a busy 2-core machine).
hold_handshakes lg_pid "$LG" -H $HOLD:$HOLD_PORT -s 9 -r 10 -p $LOOP_PORT
wait_for 5 all_held $HOLD_PORT $HOLD
synsent=$(syn_sent $HOLD_PORT)
# Both maps at once, while every handshake is still in SYN_SENT (checked after the reads).
map_entries "$plain_pid" inflight >"$WORK/plain.held" &
m1=$!
map_entries "$fail_pid" inflight >"$WORK/fail.held" &
m2=$!
wait $m1 $m2
synsent_after=$(syn_sent $HOLD_PORT)
plain_held=$(cat "$WORK/plain.held") fail_held=$(cat "$WORK/fail.held")
expect "in flight: the kernel held $HOLD handshakes ($synsent in SYN_SENT, $synsent_after after the map reads)" \
	"$(cat "$WORK/hold.lg")" test "$synsent" -ge $HOLD -a "$synsent_after" -ge $HOLD
# Only connects under loadgen's name enter these maps: all the held ones (a paced one may be
# in flight too), never more than the map's size.
expect "in flight: map inflight holds them all: $plain_held (plain), $fail_held (-x), in $HOLD..$MAX_INFLIGHT" \
	"plain: $plain_held, -x: $fail_held" \
	test "$plain_held" -ge $HOLD -a "$plain_held" -le "$MAX_INFLIGHT" -a \
	"$fail_held" -ge $HOLD -a "$fail_held" -le "$MAX_INFLIGHT"

expect_held "in flight: " "$lg_pid" $HOLD
loop=$(held_paced)
# The last timeouts come ~7 s after the last SYN, before loadgen's 9 s end; on a loaded
# machine give them a few seconds more.
none_held() { [ "$(syn_sent $HOLD_PORT)" = 0 ]; }
wait_for 10 none_held
noise_stop
# loadgen has exited: every held socket is closed, and its entry must be gone with it.
wait_for 5 map_empty "$plain_pid" && wait_for 5 map_empty "$fail_pid"
plain_after=$(map_entries "$plain_pid" inflight) fail_after=$(map_entries "$fail_pid" inflight)
plain_rss1=$(rss_kb "$plain_pid") fail_rss1=$(rss_kb "$fail_pid")
plain_unseen=$(bss_of "$plain_pid" outcome_unseen) fail_unseen=$(bss_of "$fail_pid" outcome_unseen)

# Still tracing: a connect from the root namespace under loadgen's name, seen by both.
line=$(conn -l -c "$LG" 127.0.0.1 $ROOT_PORT)
lport=$(lport_of "$line")
root_row="\$7 == $ROOT_PORT && \$5 == ${lport:-0}"
wait_line "$WORK/plain.out" "$root_row"
wait_line "$WORK/fail.out" "$root_row && \$9 == \"ok\""
expect "after the load both tracers still trace a connect from the root namespace" \
	"$line; plain: $(tail -2 "$WORK/plain.out" | tr '\n' '|') -x: $(tail -2 "$WORK/fail.out" | tr '\n' '|')" \
	test "$(rows "$WORK/plain.out" "$root_row"):$(rows "$WORK/fail.out" "$root_row && \$9 == \"ok\"")" = 1:1
stop_tracer "$plain_pid"
plain_rc=$?
stop_tracer "$fail_pid"
fail_rc=$?
stop_dropsyn
expect "in flight: both tracers exit 0 on SIGINT" "plain: $plain_rc, -x: $fail_rc" \
	test "$plain_rc:$fail_rc" = 0:0
plain_lost=$(lost_of "$WORK/plain") fail_lost=$(lost_of "$WORK/fail")
plain_missed=$(missed_of "$WORK/plain") fail_missed=$(missed_of "$WORK/fail")

# No false lines: none for the held port without -x; with -x only timeouts, one per connect.
held_row="\$7 == $HOLD_PORT"
expect "in flight: without -x no line for the $HOLD failed handshakes" \
	"$(some "$WORK/plain.out" "$held_row")" test "$(rows "$WORK/plain.out" "$held_row")" = 0
tmo=$(rows "$WORK/fail.out" "$held_row && \$9 == \"timeout\"")
other=$(rows "$WORK/fail.out" "$held_row && \$9 != \"timeout\"")
distinct=$(awk -v p=$HOLD_PORT 'NR > 1 && $7 == p { print $5 }' "$WORK/fail.out" | sort -u | wc -l)
expect "in flight: with -x each one printed is a timeout: $tmo timeouts, $other other, $distinct local ports" \
	"$(some "$WORK/fail.out" "$held_row && \$9 != \"timeout\"")" \
	test "$other:$distinct" = "0:$tmo" -a "$tmo" -le $HOLD
# Every connect under loadgen's name (held, paced, from the root namespace) is printed or
# reported lost. The timeouts fire in bursts of up to ~3,000 (timer wheel granularity), more
# than the default buffer's ~2,500 records per CPU: a tracer descheduled on a busy machine may
# lose some, and must say so. A burst that interrupts the tool's program on its CPU is not
# seen at all (the kernel does not nest a program in itself): the tool reports those runs.
plain_loop=$(rows "$WORK/plain.out" "\$7 == $LOOP_PORT")
fail_loop=$(rows "$WORK/fail.out" "\$7 == $LOOP_PORT && \$9 == \"ok\"")
plain_all=$(rows "$WORK/plain.out" 1) fail_all=$(rows "$WORK/fail.out" 1)
account "in-flight-x" $((HOLD + loop + 1)) "$fail_all" "$fail_lost" "$fail_unseen" "$fail_missed"
# Without -x a held handshake's failure is no line, but one no run saw is counted unseen all
# the same: for the plain tracer, unseen is an upper bound of what it missed.
plain_accounted() {
	case $plain_unseen in '' | *[!0-9]*) return 1 ;; esac
	[ $((plain_all + plain_lost)) -le $((loop + 1)) ] &&
		[ $((loop + 1)) -le $((plain_all + plain_lost + plain_unseen + plain_missed)) ]
}
held_accounted() {
	[ "${loop:-0}" -gt 0 ] && [ "$plain_all" = $((plain_loop + 1)) ] &&
		[ "$fail_all" = $((tmo + fail_loop + 1)) ] && plain_accounted &&
		accounted "$fail_all" "$fail_lost" "$fail_unseen" "$fail_missed" $((HOLD + loop + 1))
}
expect "in flight: every connect accounted for under noise: plain $plain_loop + 1 printed + $plain_lost lost \
+ $plain_unseen unseen ($plain_missed skipped) of $loop + 1, -x $tmo + $fail_loop + 1 printed + $fail_lost lost \
+ $fail_unseen unseen ($fail_missed skipped) of $HOLD + $loop + 1" \
	"plain: $plain_all rows, -x: $fail_all rows" held_accounted
expect "in flight: map inflight empty afterwards (plain $plain_after, -x $fail_after)" \
	"plain: $plain_after, -x: $fail_after" test "$plain_after:$fail_after" = 0:0
# Bounded: the records go through the perf buffer, mapped from the start: they may touch all
# of its pages (64 per CPU) and the output buffer, but nothing stays per connect.
bound=$(($(getconf _NPROCESSORS_CONF) * 64 * $(getconf PAGESIZE) / 1024 + 1024))
expect "in flight: RSS bounded: plain $(mib "$plain_rss0")→$(mib "$plain_rss1") MiB, \
-x $(mib "$fail_rss0")→$(mib "$fail_rss1") MiB (at most +$(mib $bound))" \
	"plain +$((plain_rss1 - plain_rss0)) kB, -x +$((fail_rss1 - fail_rss0)) kB" \
	test $((plain_rss1 - plain_rss0)) -le $bound -a $((fail_rss1 - fail_rss0)) -le $bound
