#!/usr/bin/env bash
# Connects the BPF side cannot follow are counted and reported, never dropped in silence:
# MAX_INFLIGHT + 1,000 handshakes held in flight at once (every SYN to the port dropped, in a
# network namespace of the test's own), more than the in-flight map holds. The inserts the
# map refuses are the tool's "untimed" count: with -v a line as they happen, at exit one line
# with the total; and every connect made is printed or counted:
#  - plain: printed + untimed == made - MAX_INFLIGHT (the map, a preallocated hash, holds
#    exactly MAX_INFLIGHT; the held ones in it time out without a line);
#  - -x: printed (a failure each, or ok) + lost + untimed + unseen (an outcome none of the
#    programs saw, counted when the socket goes) == made (within runs the kernel skipped,
#    which the tool reports).
# And 4,600 threads inside a blocking connect() at once (-x), each timing out: each timeout is
# reported once, by the timer's context, and not again when its connect() returns the error
# (nothing is kept per thread inside connect(): no limit on how many there are).
# The tools trace only the name of a private copy of loadgen (of threadconn).
. "$(dirname "$0")/common.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
# lost_of, field.
. "$top/bench/lib.sh"
require_bpf
MAX_INFLIGHT=$(sed -n 's/^#define MAX_INFLIGHT[[:space:]]*\([0-9]*\).*/\1/p' "$top/src/tcpconnlat.h")
THREADS=4600
HOLD=$((MAX_INFLIGHT + 1000))
# Ports below the ephemeral range: the held connects take 17,000 of its ports.
HOLD_PORT=31830 # every SYN to it is dropped
PEND_PORT=31832 # the threads' connects; every SYN to it is dropped
LOOP_PORT=31831 # loadgen's paced connects meanwhile (refused a slot while the map is full)

# Three SYN retries: a handshake times out 15 s after its first SYN (1 + 2 + 4 + 8 s), so all
# are in flight at once even when starting them takes seconds on a busy machine.
own_netns 3
LG=lc$$
private_loadgen "$LG"

rows() { awk "NR > 1 && ($2)" "$1" | wc -l; }
missed_of() { sed -n 's/^tcpconnlat: \([0-9]*\) runs skipped by the kernel.*/\1/p' "$1.err" | grep . || echo 0; }
# untimed_of NAME: the exit line's total of connects untimed (0 without the line).
untimed_of() { sed -n 's/^tcpconnlat: \([0-9]*\) connects untimed in total.*/\1/p' "$1.err" | grep . || echo 0; }
# unseen_of NAME: the exit line's total of connects whose outcome none of the programs saw.
unseen_of() { sed -n 's/^tcpconnlat: \([0-9]*\) connects ended unseen in total.*/\1/p' "$1.err" | grep . || echo 0; }
accounted() { [ $(($1 + $2)) -le "$4" ] && [ "$4" -le $(($1 + $2 + $3)) ]; }

DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" -n 1000000000 $HOLD_PORT ||
	{ not_ok "dropsyn attaches in the namespace" "$(cat "$WORK/drop.out")"; exit 1; }
start_tracer plain -v -L -n "$LG" || not_ok "the plain tracer starts" "$(cat "$WORK/plain.err")"
plain_pid=$TRACER_PID
# A larger buffer for the bursts of timeouts (losses are counted, but fewer say more).
start_tracer fail -v -x -L --buffer-pages 1024 -n "$LG" || not_ok "the -x tracer starts" "$(cat "$WORK/fail.err")"
fail_pid=$TRACER_PID

# Held for 20 s after the last one started, longer than the handshakes take to time out.
hold_handshakes lg_pid "$LG" -H $HOLD:$HOLD_PORT -s 20 -r 20 -p $LOOP_PORT
wait_for 20 all_held $HOLD_PORT $HOLD
synsent=$(syn_sent $HOLD_PORT)
# The -v lines come while it happens, before the tools exit.
said_untimed() { grep -q 'more connects untimed: more than' "$WORK/$1.err"; }
wait_for 5 said_untimed plain && wait_for 5 said_untimed fail
plain_v=$(grep -c 'more connects untimed: more than' "$WORK/plain.err")
fail_v=$(grep -c 'more connects untimed: more than' "$WORK/fail.err")
expect "the kernel held $HOLD handshakes at once ($synsent in SYN_SENT)" \
	"$(cat "$WORK/hold.lg")" test "$synsent" -ge $HOLD
expect "-v: the untimed connects are said while they happen (plain $plain_v lines, -x $fail_v)" \
	"plain: $(grep -v '^libbpf' "$WORK/plain.err" | tail -2 | tr '\n' '|')" \
	test "$plain_v" -ge 1 -a "$fail_v" -ge 1

expect_held "" "$lg_pid" $HOLD
loop=$(held_paced)
# loadgen held its sockets past their timeouts and has exited: every outcome is emitted.
stop_tracer "$plain_pid" 5
plain_rc=$?
stop_tracer "$fail_pid" 5
fail_rc=$?
stop_dropsyn
expect "both tracers exit 0 on SIGINT" "plain: $plain_rc, -x: $fail_rc" test "$plain_rc:$fail_rc" = 0:0

made=$((HOLD + loop))
plain_untimed=$(untimed_of "$WORK/plain") fail_untimed=$(untimed_of "$WORK/fail")
plain_loop=$(rows "$WORK/plain.out" "\$7 == $LOOP_PORT")
# Plain: MAX_INFLIGHT held ones in the map time out without a line; the paced ones are
# printed, or untimed while the map is full, like the held ones past its size.
plain_ok() { [ $((plain_loop + plain_untimed)) = $((made - MAX_INFLIGHT)) ]; }
expect "plain: $plain_loop printed + $plain_untimed untimed == $made made - $MAX_INFLIGHT held in the map" \
	"$(grep -v '^libbpf' "$WORK/plain.err" | tail -3 | tr '\n' '|')" plain_ok

tmo=$(rows "$WORK/fail.out" "\$7 == $HOLD_PORT")
fail_loop=$(rows "$WORK/fail.out" "\$7 == $LOOP_PORT && \$9 == \"ok\"")
fail_all=$(rows "$WORK/fail.out" 1)
fail_lost=$(lost_of "$WORK/fail") fail_missed=$(missed_of "$WORK/fail")
fail_unseen=$(unseen_of "$WORK/fail")
fail_ok() {
	[ "$fail_all" = $((tmo + fail_loop)) ] && [ "$fail_untimed" -ge $((HOLD - MAX_INFLIGHT)) ] &&
		accounted $((fail_all + fail_untimed + fail_unseen)) "$fail_lost" "$fail_missed" "$made"
}
expect "-x: $tmo failed (timeouts) + $fail_loop ok printed + $fail_lost lost + $fail_untimed untimed + $fail_unseen unseen == $made made ($fail_missed runs skipped)" \
	"$fail_all rows; $(grep -v '^libbpf' "$WORK/fail.err" | tail -3 | tr '\n' '|')" fail_ok

# 2. Threads inside connect(). One SYN retry: each connect() times out after about 3 s, long
#    after the last thread has entered it.
ip netns exec "$NS" sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_syn_retries'
TC=tc$$
cp "$B/threadconn" "$WORK/$TC"
DROP_NETNS=$NS start_dropsyn "$WORK/drop2.out" -n 1000000000 $PEND_PORT ||
	{ not_ok "dropsyn attaches in the namespace" "$(cat "$WORK/drop2.out")"; exit 1; }
start_tracer pend -v -x -L -n "$TC" || not_ok "the -x tracer starts" "$(cat "$WORK/pend.err")"
pend_pid=$TRACER_PID
res=$(ip netns exec "$NS" "$WORK/$TC" $THREADS 127.0.0.1 $PEND_PORT 2>&1)
# Every thread's connect() has returned, its timeout emitted: stop_tracer prints the rest.
stop_tracer "$pend_pid" 5
pend_rc=$?
stop_dropsyn
expect "$THREADS threads each made a connect that timed out" "$res" test "$res" = "ok=0 fail=$THREADS"
expect "-x: the tracer exits 0" "$(grep -v '^libbpf' "$WORK/pend.err" | tail -3 | tr '\n' '|')" \
	test "$pend_rc" = 0
pend_tmo=$(rows "$WORK/pend.out" "\$7 == $PEND_PORT && \$9 == \"timeout\"")
pend_all=$(rows "$WORK/pend.out" 1)
pend_lost=$(lost_of "$WORK/pend") pend_missed=$(missed_of "$WORK/pend") pend_unseen=$(unseen_of "$WORK/pend")
pend_ok() { [ "$pend_all" = "$pend_tmo" ] && accounted $((pend_tmo + pend_unseen)) "$pend_lost" "$pend_missed" $THREADS; }
expect "-x: every thread's timeout printed once, lost or unseen: $pend_tmo + $pend_lost lost + $pend_unseen unseen of $THREADS ($pend_missed runs skipped)" \
	"$pend_all rows: $(awk 'NR > 1' "$WORK/pend.out" | head -2 | tr '\n' '|')" pend_ok
