#!/usr/bin/env bash
# Connects made other ways than a plain blocking connect(), on this machine's kernel:
#  - TCP Fast Open: a connect() with a cookie sends its SYN only at the first write; a
#    sendto(MSG_FASTOPEN) makes no connect() call; a connect without a cookie asks for one.
#    Each is timed from its SYN, so the application's wait before the write is not latency.
#  - io_uring (IORING_OP_CONNECT): no connect() call; PID and COMM of the submitter; -x.
#  - a thread with a name of its own: COMM is the thread's; -n and --by comm match it.
#  - an IPv4-mapped destination on an IPv6 socket: one row, IP 6, the mapped addresses.
#  - a socket whose connect was dissolved (connect(AF_UNSPEC)) and then connected by another
#    process: never the first connect's start, PID or an absurd latency.
# Everything runs in a network namespace of the test's own, with Fast Open on there.
. "$(dirname "$0")/common.sh"
require_bpf
own_netns 1
ip netns exec "$NS" sh -c 'echo 3 >/proc/sys/net/ipv4/tcp_fastopen'
in_ns() { ip netns exec "$NS" "$@"; }
TFO_PORT=41301    # serves with Fast Open
CLOSED_PORT=41302 # nothing listens
PLAIN_PORT=41303  # serves (tconn)
DROP_PORT=41304   # every SYN dropped

# Not through in_ns: a function in the background is a subshell, and its PID not the server's.
ip netns exec "$NS" "$B/tmode" serve 127.0.0.1 $TFO_PORT >"$WORK/tfo.srv" &
BG_PIDS+=($!)
ip netns exec "$NS" "$B/tconn" -s ::ffff:127.0.0.1 $PLAIN_PORT >"$WORK/plain.srv" &
BG_PIDS+=($!)
both_listen() { [ "$(cat "$WORK/tfo.srv" "$WORK/plain.srv" | grep -c listening)" = 2 ]; }
wait_for 5 both_listen

# The rows of FILE for local port LPORT (-L: field 5) and destination port DPORT.
rows_of() { awk -v p="$2" -v dp="$3" 'NR > 1 && $5 == p && $7 == dp' "$1"; }
# one_row NAME FILE LPORT DPORT AWK-COND: exactly one such row, and it meets COND.
one_row() {
	local rows
	[ -n "$3" ] || { not_ok "$1" "the connect did not happen"; return; }
	rows=$(rows_of "$2" "$3" "$4")
	if [ "$(grep -c . <<<"$rows")" = 1 ] && awk "{ exit !($5) }" <<<"$rows"; then
		ok "$1"
	else
		not_ok "$1" "rows for lport $3: '$(tr '\n' '|' <<<"$rows")'"
	fi
}

start_tracer all -x -L || { not_ok "-x tracer starts" "$(cat "$WORK/all.err")"; exit 1; }
all_pid=$TRACER_PID
start_tracer plain -L || { not_ok "tracer starts" "$(cat "$WORK/plain.err")"; exit 1; }
plain_pid=$TRACER_PID
start_tracer named -L -n worker-7 || not_ok "-n tracer starts" "$(cat "$WORK/named.err")"
named_pid=$TRACER_PID
start_quiet_tracer hist -H --by comm -P $PLAIN_PORT || not_ok "-H tracer starts" "$(cat "$WORK/hist.err")"
hist_pid=$TRACER_PID

# 1. Fast Open. The first connect to an address has no cookie yet: its SYN asks for one and
#    leaves at connect(). The second has the cookie: the SYN (with the data) leaves at the
#    write, 500 ms after connect(). Then a sendto(MSG_FASTOPEN), and a cookie connect to a
#    closed port: refused after its SYN, 300 ms after connect().
first=$(in_ns "$B/tmode" tfo 0 127.0.0.1 $TFO_PORT)
second=$(in_ns "$B/tmode" tfo 500 127.0.0.1 $TFO_PORT)
mfo=$(in_ns "$B/tmode" sendto 127.0.0.1 $TFO_PORT)
refused=$(in_ns "$B/tmode" tfo 300 127.0.0.1 $CLOSED_PORT)
# 2. Threads, IPv4-mapped, io_uring.
thread=$(in_ns "$B/tmode" thread worker-7 ::ffff:127.0.0.1 $PLAIN_PORT)
mapped=$(in_ns "$B/tconn" ::ffff:127.0.0.1 $PLAIN_PORT)
in_ns "$B/uconn" -n 2 ::ffff:127.0.0.1 $PLAIN_PORT >"$WORK/uring.ok"
in_ns "$B/uconn" 127.0.0.1 $CLOSED_PORT >"$WORK/uring.refused"
# uconn's single thread submits: its thread id is the process's PID.
uring_pid=$(sed -n 's/^tid=//p' "$WORK/uring.ok")
uring_ref_pid=$(sed -n 's/^tid=//p' "$WORK/uring.refused")
# The -x handover (connect_failed() / sys_exit_connect): two processes, each 200 refused
# connects at once; each must be reported once, whole (refused, LAT a round trip).
ip netns exec "$NS" "$B/tconn" -n 200 -c refA 127.0.0.1 $CLOSED_PORT >"$WORK/refA" &
refa=$!
in_ns "$B/tconn" -n 200 -c refB ::1 $CLOSED_PORT >"$WORK/refB"
wait $refa
# 3. A dissolved connect, then the same socket connected by a child process.
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" -n 1000 $DROP_PORT
reuse_in=$WORK/reuse.in
mkfifo "$reuse_in"
ip netns exec "$NS" "$B/tmode" reuse 300 ::ffff:127.0.0.1 $DROP_PORT ::ffff:127.0.0.1 $PLAIN_PORT \
	<"$reuse_in" >"$WORK/reuse.conn" &
reuse_job=$!
BG_PIDS+=($reuse_job)
exec {REUSE_FD}>"$reuse_in"
wait_for 2 grep -qs '^pid=' "$WORK/reuse.conn"
reuse_pid=$(sed -n 's/^pid=//p' "$WORK/reuse.conn")
start_tracer reuse -L -p "$reuse_pid" || not_ok "-p tracer starts" "$(cat "$WORK/reuse.err")"
reuse_tracer=$TRACER_PID
echo go >&"$REUSE_FD"
exec {REUSE_FD}>&-
wait $reuse_job
stop_dropsyn
reuse_line=$(grep '^child ' "$WORK/reuse.conn")
own_line=$(grep -E '^(ok|fail)' "$WORK/reuse.conn")

wait_line "$WORK/reuse.out" "\$5 == $(lport_of "$own_line")"
for t in $reuse_tracer $named_pid $plain_pid $all_pid; do stop_tracer $t; done
kill -INT "$hist_pid"
wait "$hist_pid"

lp() { lport_of "$1"; }
expect "the first Fast Open connect asked for a cookie (no data in its SYN)" "$first" \
	grep -q '^ok .*syn_data=0' <<<"$first"
expect "the second sent its data in the SYN (the kernel deferred the SYN to the write)" \
	"$second" grep -q '^ok .*syn_data=1' <<<"$second"
one_row "Fast Open without a cookie: one row, under 100 ms" "$WORK/plain.out" "$(lp "$first")" \
	$TFO_PORT '$8 < 100'
one_row "Fast Open with a cookie: timed from the SYN at the write, not from connect() 500 ms before" \
	"$WORK/plain.out" "$(lp "$second")" $TFO_PORT '$8 < 100'
one_row "Fast Open with a cookie under -x: 'ok', timed from the SYN" "$WORK/all.out" \
	"$(lp "$second")" $TFO_PORT '$8 < 100 && $9 == "ok"'
expect "sendto(MSG_FASTOPEN) connected" "$mfo" grep -q '^ok' <<<"$mfo"
one_row "sendto(MSG_FASTOPEN), no connect() call: one row with its PID and COMM" \
	"$WORK/plain.out" "$(lp "$mfo")" $TFO_PORT '$2 == "tmode" && $8 < 100'
expect "the Fast Open connect to a closed port was refused" "$refused" \
	grep -q 'errno=ECONNREFUSED' <<<"$refused"
one_row "-x: a refused Fast Open connect is 'refused', timed from its SYN, not from connect() 300 ms before" \
	"$WORK/all.out" "$(lp "$refused")" $CLOSED_PORT '$9 == "refused" && $8 < 100'

one_row "a thread named worker-7 connects: COMM is the thread's name" "$WORK/plain.out" \
	"$(lp "$thread")" $PLAIN_PORT '$2 == "worker-7"'
one_row "-n worker-7 matches the thread's name" "$WORK/named.out" "$(lp "$thread")" $PLAIN_PORT '1'
expect "-H --by comm: the thread's name has its own histogram" "$(cat "$WORK/hist.out")" \
	grep -q '^comm worker-7: count 1' "$WORK/hist.out"

one_row "IPv4-mapped destination on an IPv6 socket: one row, IP 6, mapped source and destination" \
	"$WORK/plain.out" "$(lp "$mapped")" $PLAIN_PORT \
	'$3 == 6 && $4 == "::ffff:127.0.0.1" && $6 == "::ffff:127.0.0.1" && $8 < 100'

expect "io_uring connects succeeded" "$(cat "$WORK/uring.ok")" [ "$(grep -c '^ok' "$WORK/uring.ok")" = 2 ]
n=0
for p in $(sed -n 's/^ok lport=//p' "$WORK/uring.ok"); do
	[ "$(rows_of "$WORK/plain.out" "$p" $PLAIN_PORT | awk -v pid=$uring_pid '$1 == pid && $2 == "uconn"' | wc -l)" = 1 ] &&
		n=$((n + 1))
done
expect "io_uring connects, no connect() call: one row each, the submitter's PID and COMM" \
	"$n of 2: $(grep " $PLAIN_PORT " "$WORK/plain.out" | tr '\n' '|')" [ $n = 2 ]
p=$(sed -n 's/^fail lport=\([0-9]*\).*ECONNREFUSED.*/\1/p' "$WORK/uring.refused")
one_row "-x: a refused io_uring connect is 'refused' with the submitter's PID" "$WORK/all.out" \
	"${p:-none}" $CLOSED_PORT "\$1 == $uring_ref_pid && \$9 == \"refused\""

made=$(cat "$WORK/refA" "$WORK/refB" | grep -c 'errno=ECONNREFUSED')
all_refused() { [ "$(awk -v dp=$CLOSED_PORT 'NR > 1 && $7 == dp && $2 ~ /^ref[AB]$/' "$WORK/all.out" | wc -l)" -ge "$made" ]; }
wait_for 2 all_refused
rows=$(awk -v dp=$CLOSED_PORT 'NR > 1 && $7 == dp && $2 ~ /^ref[AB]$/' "$WORK/all.out")
good=$(awk '$9 == "refused" && $8 >= 0 && $8 < 100 { print $3 ":" $5 }' <<<"$rows" | sort -u | wc -l)
expect "-x, 400 refused connects from two processes at once: each reported once, refused, within 100 ms" \
	"made $made, $(grep -c . <<<"$rows") rows, $good good and distinct" \
	[ "$made" = 400 -a "$(grep -c . <<<"$rows")" = 400 -a "$good" = 400 ]
expect "the reused socket connected from the child" "$reuse_line" grep -q '^child ok' <<<"$reuse_line"
rp=$(lp "$reuse_line")
one_row "the reused socket's connect: one row, the child's own, not the dissolved connect's start" \
	"$WORK/all.out" "$rp" $PLAIN_PORT "\$1 != $reuse_pid && \$8 < 100 && \$9 == \"ok\""
one_row "-p of the first process: its own later connect is shown" "$WORK/reuse.out" \
	"$(lp "$own_line")" $PLAIN_PORT "\$1 == $reuse_pid"
expect "-p of the first process: no row for the child's connect on that socket" \
	"$(tr '\n' '|' <"$WORK/reuse.out")" [ -z "$(rows_of "$WORK/reuse.out" "$rp" $PLAIN_PORT)" ]
