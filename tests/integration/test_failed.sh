#!/usr/bin/env bash
# -x (failed connects, RESULT), -r (SYNRTX), -c and -d on this machine's kernel. Timeouts,
# aborts and missing routes happen in network namespaces of the test's own, so that no
# other traffic is touched: there, every SYN to a port is dropped (dropsyn on that lo) and
# net.ipv4.tcp_syn_retries=1 (per namespace) makes a connect time out after about 3 s.
. "$(dirname "$0")/common.sh"
require_bpf

own_netns 1

# result_row NAME FILE LPORT WANT...: the row for LPORT (-L: field 5) and, if WANT has 7=DPORT,
# that destination port (two connects may share a local port) has the fields WANT (pairs
# "N=VALUE"), one row only.
result_row() {
	local name=$1 file=$2 lport=$3 rows pair f v bad="" dport=""
	shift 3
	for pair in "$@"; do [[ $pair == 7=* ]] && dport=${pair#7=}; done
	rows=$(awk -v l="$lport" -v d="$dport" 'NR > 1 && $5 == l && (d == "" || $7 == d)' "$file")
	if [ "$(grep -c . <<<"$rows")" != 1 ]; then
		not_ok "$name" "want one row for lport $lport in: $(tr '\n' '|' <"$file")"
		return
	fi
	for pair in "$@"; do
		f=${pair%%=*} v=${pair#*=}
		[ "$(awk -v f="$f" '{ print f == "NF" ? NF : $f }' <<<"$rows")" = "$v" ] ||
			bad="$bad field $f != '$v';"
	done
	if [ -n "$bad" ]; then not_ok "$name" "$bad row: $rows"; else ok "$name"; fi
}

# lat_between FILE LPORT DPORT LO HI: the LAT(ms) of the row of LPORT to DPORT (fields 5, 7 and
# 8 with -L) is in [LO, HI).
lat_between() {
	awk -v p="$2" -v d="$3" -v lo="$4" -v hi="$5" 'NR > 1 && $5 == p && $7 == d { n++; l = $8 }
		END { exit !(n == 1 && l != "" && l >= lo && l < hi) }' "$1"
}

# 1. A refused connect, IPv4 and IPv6: RESULT refused, every field the helper knows.
for v in 4 6; do
	if [ $v = 4 ]; then addr=127.0.0.1; else addr=::1; fi
	start_waiting_conn ref$v "$addr" 41201
	pid=$(sed -n 's/^pid=//p' "$WORK/ref$v.conn")
	start_tracer ref$v -x -L -p "$pid" || not_ok "-x tracer starts" "$(cat "$WORK/ref$v.err")"
	release_conn
	lport=$(lport_of "$(grep '^fail' "$WORK/ref$v.conn")")
	wait_line "$WORK/ref$v.out" "\$5 == $lport"
	stop_tracer "$TRACER_PID"
	expect "-x header ends with RESULT" "$(head -1 "$WORK/ref$v.out")" test \
		"$(head -1 "$WORK/ref$v.out")" = \
		"PID    COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms) RESULT"
	result_row "IPv$v refused connect: RESULT refused with PID, COMM, addresses and ports" \
		"$WORK/ref$v.out" "$lport" 1="$pid" 2=tconn 3=$v 4="$addr" 6="$addr" 7=41201 \
		9=refused NF=9
	expect "IPv$v refused connect: LAT is the time to the reset, under 100 ms" \
		"$(tr '\n' '|' <"$WORK/ref$v.out")" lat_between "$WORK/ref$v.out" "$lport" 41201 0 100
done

# 2. A successful connect under -x says ok; with -r, its SYNRTX is 0.
start_waiting_conn okc -l 127.0.0.1 41202
pid=$(sed -n 's/^pid=//p' "$WORK/okc.conn")
start_tracer okc -x -r -L -p "$pid"
release_conn
lport=$(lport_of "$(grep '^ok' "$WORK/okc.conn")")
wait_line "$WORK/okc.out" "\$5 == $lport"
stop_tracer "$TRACER_PID"
expect "-x -r header ends with SYNRTX RESULT" "$(head -1 "$WORK/okc.out")" test \
	"$(head -1 "$WORK/okc.out")" = \
	"PID    COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms) SYNRTX RESULT"
result_row "-x -r: a successful connect is 'ok' with SYNRTX 0" "$WORK/okc.out" "$lport" \
	1="$pid" 7=41202 9=0 10=ok NF=10

# 3. -r: a connect whose first SYN is dropped shows one retransmission (and takes ~1 s).
start_dropsyn "$WORK/drop1.out" 41203
start_waiting_conn rtx -l 127.0.0.1 41203
pid=$(sed -n 's/^pid=//p' "$WORK/rtx.conn")
start_tracer rtx -r -L -p "$pid"
release_conn
lport=$(lport_of "$(grep '^ok' "$WORK/rtx.conn")")
wait_line "$WORK/rtx.out" "\$5 == $lport"
stop_tracer "$TRACER_PID"
stop_dropsyn
result_row "-r: first SYN dropped: SYNRTX 1, no RESULT column without -x" "$WORK/rtx.out" \
	"$lport" 7=41203 9=1 NF=9
expect "-r: that connect took one initial RTO (900..1500 ms)" "$(tr '\n' '|' <"$WORK/rtx.out")" \
	lat_between "$WORK/rtx.out" "$lport" 41203 900 1500

# 4. In the namespace: every SYN to 41204 dropped. A connect times out (RESULT timeout,
#    SYNRTX = the SYNs dropped minus the first), one is closed while connecting (aborted),
#    one has no route (unreach, the destination from connect()'s arguments), and one
#    passes an address of the wrong family (error:EAFNOSUPPORT). A second tracer without -x
#    must print none of them, and the -x tracer's in-flight map ends up empty (the entries
#    of failed connects left for connect()'s return to collect included).
DROP_NETNS=$NS start_dropsyn "$WORK/dropall.out" -n 1000 41204
CONN_NETNS=$NS start_waiting_conn tmo 127.0.0.1 41204
tmo_pid=$(sed -n 's/^pid=//p' "$WORK/tmo.conn")
start_tracer all -x -r -L || not_ok "-x tracer starts" "$(cat "$WORK/all.err")"
all_pid=$TRACER_PID
start_tracer plain -L
plain_pid=$TRACER_PID
release_conn
tmo=$(lport_of "$(grep '^fail' "$WORK/tmo.conn")")
stop_dropsyn
dropped=$(sed -n 's/^dropped=//p' "$WORK/dropall.out")
# A fresh dropper for the abort: the count above is the timed-out connect's alone.
DROP_NETNS=$NS start_dropsyn "$WORK/dropabt.out" -n 1000 41204
abt_line=$(ip netns exec "$NS" "$B/tconn" -a 300 127.0.0.1 41204)
abt=$(lport_of "$abt_line")
stop_dropsyn
unr_line=$(ip netns exec "$NS" "$B/tconn" 10.254.0.1 41205)
unr6_line=$(ip netns exec "$NS" "$B/tconn" fd00:254::1 41205)
fam_line=$(ip netns exec "$NS" "$B/tconn" -F 127.0.0.1 41206)
unr_pid=$(echo go | ip netns exec "$NS" "$B/tconn" -w 10.254.0.1 41207 | sed -n 's/^pid=//p')
# The header and the six failed connects above.
wait_lines "$WORK/all.out" 7 2

expect "the timed-out connect timed out" "$(cat "$WORK/tmo.conn")" grep -q ETIMEDOUT "$WORK/tmo.conn"
result_row "-x: a timed-out connect is 'timeout', SYNRTX = SYNs dropped - 1 ($dropped - 1)" \
	"$WORK/all.out" "$tmo" 1="$tmo_pid" 2=tconn 4=127.0.0.1 6=127.0.0.1 7=41204 \
	9=$((dropped - 1)) 10=timeout
expect "-x: its LAT is the time to the failure (2..10 s with one SYN retry)" \
	"$(row_for "$WORK/all.out" 5 "$tmo")" lat_between "$WORK/all.out" "$tmo" 41204 2000 10000
expect "the aborted connect was closed while connecting" "$abt_line" grep -q '^closed' <<<"$abt_line"
result_row "-x: a connect closed while connecting is 'aborted'" "$WORK/all.out" "$abt" \
	7=41204 10=aborted
expect "-x: its LAT is the time until the close (300 ms, under 1000)" \
	"$(row_for "$WORK/all.out" 5 "$abt")" lat_between "$WORK/all.out" "$abt" 41204 290 1000
expect "the connects without a route failed with ENETUNREACH" "$unr_line $unr6_line" \
	test "$(printf '%s\n' "$unr_line" "$unr6_line" | grep -c ENETUNREACH)" = 2
unr_row=$(awk 'NR > 1 && $6 == "10.254.0.1"' "$WORK/all.out")
expect "-x: an IPv4 connect without a route is 'unreach' with connect()'s destination, LAT 0 (no SYN)" \
	"rows: $(tr '\n' '|' <"$WORK/all.out")" \
	awk -v p="$unr_pid" 'NR > 1 && $6 == "10.254.0.1" && $7 == 41205 { n++; ok = $10 == "unreach" && $5 == 0 && $3 == 4 && $8 == "0.00" }
		NR > 1 && $6 == "10.254.0.1" && $7 == 41207 { m++; okp = $1 == p }
		END { exit !(n == 1 && ok && m == 1 && okp) }' "$WORK/all.out"
expect "-x: an IPv6 connect without a route is 'unreach' with connect()'s destination" \
	"rows: $(tr '\n' '|' <"$WORK/all.out")" \
	awk 'NR > 1 && $6 == "fd00:254::1" { n++; ok = $10 == "unreach" && $7 == 41205 && $3 == 6 }
		END { exit !(n == 1 && ok) }' "$WORK/all.out"
expect "-x: a connect() with an address of the wrong family is 'error:EAFNOSUPPORT'" \
	"$fam_line; rows: $(tr '\n' '|' <"$WORK/all.out")" \
	test "$(awk 'NR > 1 && $10 == "error:EAFNOSUPPORT"' "$WORK/all.out" | wc -l)" = 1
inflight=$(map_entries "$all_pid" inflight)
expect "-x: nothing is left in the in-flight map" "inflight: $inflight" test "$inflight" = 0
# The control: a connect that succeeds, which the tracer without -x must print.
good=$(lport_of "$(ip netns exec "$NS" "$B/tconn" -l 127.0.0.1 41213)")
stop_tracer "$plain_pid"
stop_tracer "$all_pid"
expect "without -x none of these failures is printed; a successful connect is" \
	"good lport '$good': $(tr '\n' '|' <"$WORK/plain.out")" \
	eval '[ -n "$good" ] && [ "$(awk "NR > 1 && ((\$7 >= 41204 && \$7 <= 41207) || \$7 == 41213) {
		print \$5, \$7 }" "$WORK/plain.out")" = "$good 41213" ]'

# 4b. No local port left (the namespace's range is one port, held by an open connection):
#     connect() fails inside the call, after the socket went SYN_SENT, with EADDRNOTAVAIL.
ip netns exec "$NS" sh -c 'echo "40000 40000" >/proc/sys/net/ipv4/ip_local_port_range'
ip netns exec "$NS" "$B/tconn" -s 127.0.0.1 41212 >"$WORK/srv.out" &
srv_pid=$!
BG_PIDS+=("$srv_pid")
wait_for 5 grep -qs listening "$WORK/srv.out"
start_tracer port -x -L -P 41212
port_pid=$TRACER_PID
ip netns exec "$NS" "$B/tconn" -a 1500 127.0.0.1 41212 >"$WORK/hold.out" &
hold_pid=$!
holds_port() { ip netns exec "$NS" ss -Htn "( dport = 41212 )" | grep -q .; }
wait_for 5 holds_port
noport_line=$(ip netns exec "$NS" "$B/tconn" 127.0.0.1 41212)
wait $hold_pid
stop_tracer "$port_pid"
expect "the second connect found no local port" "$noport_line" grep -q EADDRNOTAVAIL <<<"$noport_line"
expect "-x: a connect() without a free local port is 'error:EADDRNOTAVAIL'" \
	"$(tr '\n' '|' <"$WORK/port.out")" \
	awk 'NR > 1 && $9 == "error:EADDRNOTAVAIL" { n++; ok = $5 == 0 && $7 == 41212 }
	NR > 1 && $9 == "ok" { m++ } END { exit !(n == 1 && ok && m == 1) }' "$WORK/port.out"

# 5. -x without tracefs: the tool mounts it, or says in one line why it cannot (exit 1):
#    test_tracefs.sh.

# 6. Bounded runs: -c N exits 0 by itself after printing N connects; -d SECS after SECS s.
start_waiting_conn cnt -n 3 -l 127.0.0.1 41208
pid=$(sed -n 's/^pid=//p' "$WORK/cnt.conn")
start_tracer cnt -c 2 -L -p "$pid"
cnt_pid=$TRACER_PID
release_conn
if ! wait_for 3 gone "$cnt_pid"; then
	not_ok "-c 2 exits by itself after two connects" "still running 3 s later"
	stop_tracer "$cnt_pid"
else
	wait "$cnt_pid"
	rc=$?
	expect "-c 2 exits by itself after two connects, status 0, two rows" 		"status $rc: $(tr '\n' '|' <"$WORK/cnt.out")" \
		test "$rc:$(awk 'NR > 1' "$WORK/cnt.out" | wc -l)" = "0:2"
fi
start=$(date +%s%N)
"$T" -d 1 >"$WORK/dur.out" 2>"$WORK/dur.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect "-d 1 exits by itself with status 0 about 1 s after starting" \
	"status $rc after $ms ms: $(cat "$WORK/dur.err")" \
	test "$rc" = 0 -a "$ms" -ge 1000 -a "$ms" -lt 5000

# Bad -c and -d values: one line naming the value, exit 2.
for args in "-c 0" "-c -1" "-c 1x" "-c 1000000001" "-c 99999999999999999999" "-d 0" "-d 604801" \
	"-d 1.5" "-d ''"; do
	eval "set -- $args"
	out=$("$T" "$@" 2>&1 >/dev/null)
	rc=$?
	expect "bad input '$args': one line, exit 2" "status $rc: $out" \
		test "$rc:$(grep -c . <<<"$out")" = "2:1"
done
