#!/usr/bin/env bash
# -j on this machine's kernel: every line is one JSON object (checked with jq), every key
# present with the value the test knows, for successes, failures and a hostile COMM.
. "$(dirname "$0")/common.sh"
require_bpf

KEYS='["backend","cgroup","comm","container","container_id","daddr","dhost","dport","errno","ip","lat_us","lport","namespace","pid","pod","result","saddr","syn_retrans","time"]'

# start_json NAME ARGS...: the tool with -j -v (no header: -v says when tracing started).
start_json() {
	local name=$1
	shift
	start_quiet_tracer "$name" -j -v "$@"
}

# jqe ARGS...: jq -e, quietly: the status says whether the filter held.
jqe() { jq -e "$@" >/dev/null; }

# obj FILE IP LPORT: the object for that address family and local port, compact (an IPv4 and
# an IPv6 connect can have the same local port).
obj() { jq -c --argjson ip "$2" --argjson p "$3" 'select(.ip == $ip and .lport == $p)' "$1"; }

# backend_of NAME: the backend the tool said it runs (-v: "using the ... backend").
backend_of() { sed -n 's/^tcpconnlat: using the \([a-z]*\) backend$/\1/p' "$WORK/$1.err"; }

# 1. A success and a refused connect (with -x), IPv4 and IPv6, from a process whose name
#    holds a quote, a backslash, ESC, a byte that is not UTF-8 and an e-acute.
comm=$'q"b\\\x1b\xff\xc3\xa9'
# json_run NAME TCONN-ARGS...: one helper connect traced by its own -j -x -p tracer; sets
# RUN_PID and leaves the helper's lines in $WORK/NAME.conn and the objects in $WORK/NAME.out.
json_run() {
	local name=$1
	shift
	start_waiting_conn "$name" "$@"
	RUN_PID=$(sed -n 's/^pid=//p' "$WORK/$name.conn")
	start_json "$name" -x -p "$RUN_PID" || not_ok "-j tracer starts" "$(cat "$WORK/$name.err")"
	release_conn
	wait_for 2 test -s "$WORK/$name.out"
	stop_tracer "$TRACER_PID"
}
json_run j4 -c "$comm" -n 1 -l 127.0.0.1 41301
pid4=$RUN_PID
ok4=$(lport_of "$(grep '^ok' "$WORK/j4.conn")")
json_run j6 ::1 41302
pid6=$RUN_PID
ref6=$(lport_of "$(grep '^fail' "$WORK/j6.conn")")
cat "$WORK/j4.out" "$WORK/j6.out" >"$WORK/j.out"

expect "-j: every line is one JSON object" "$(cat "$WORK/j.out")" \
	test "$(jq -c 'type' "$WORK/j.out" | sort -u)" = '"object"'
expect "-j: no header line; two objects" "$(cat "$WORK/j.out")" test "$(wc -l <"$WORK/j.out")" = 2
expect "-j: every object has exactly the documented keys" "$(jq -c 'keys' "$WORK/j.out" | sort -u)" \
	test "$(jq -c 'keys' "$WORK/j.out" | sort -u)" = "$KEYS"
o=$(obj "$WORK/j.out" 4 "$ok4")
# backend: the one the tool chose and said it runs (auto: which depends on the kernel).
bk=$(backend_of j4)
expect "-j: the IPv4 success, field by field (backend: '$bk', as -v says)" "$o" \
	jqe --argjson pid "$pid4" --argjson lp "$ok4" --arg bk "$bk" \
	'.pid == $pid and .ip == 4 and .saddr == "127.0.0.1" and .lport == $lp and
	 .daddr == "127.0.0.1" and .dport == 41301 and .result == "ok" and .errno == null and
	 .syn_retrans == 0 and $bk != "" and .backend == $bk and (.lat_us | type) == "number" and
	 .lat_us >= 0 and .lat_us < 100000' <<<"$o"
expect "-j: a hostile COMM is valid JSON and comes back byte for byte (bad byte as U+00FF)" \
	"$(jq -r .comm <<<"$o" | od -c | head -2)" \
	test "$(jq -j .comm <<<"$o" | od -An -tx1 | tr -d ' \n')" = "7122625c1bc3bfc3a9"
now=$(date +%s)
expect "-j: time is RFC 3339 UTC with microseconds, within a minute of now" "$o" \
	jqe --argjson now "$now" '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")
	and ((.[0:19] + "Z" | fromdateiso8601) - $now | fabs) < 60' <<<"$o"
o=$(obj "$WORK/j.out" 6 "$ref6")
expect "-j -x: the IPv6 refused connect, field by field" "$o" jqe --argjson pid "$pid6" \
	'.pid == $pid and .ip == 6 and .saddr == "::1" and .daddr == "::1" and .dport == 41302 and
	 .result == "refused" and .errno == "ECONNREFUSED" and .comm == "tconn"' <<<"$o"

# 2. -j with the other options: -t and -L change nothing, a named backend is the one in the
#    objects, -c counts; MIN_MS drops the fast connects and keeps a slow one (its first SYN
#    dropped: about 1000 ms).
start_waiting_conn jc -n 3 -l 127.0.0.1 41303
pid=$(sed -n 's/^pid=//p' "$WORK/jc.conn")
start_json jc -t -L -c 2 -p "$pid" --backend tracepoint
jcpid=$TRACER_PID
start_json jm -P 41303,41304 500
jmpid=$TRACER_PID
start_dropsyn "$WORK/dropsyn.out" 41304
slow=$(lport_of "$(conn -l 127.0.0.1 41304)")
stop_dropsyn
release_conn
wait_for 3 gone "$jcpid"
stop_tracer "$jmpid"
expect "-j -t -L -c 2: two objects with the same keys, then exit" "$(cat "$WORK/jc.out")" \
	test "$(jq -c 'keys' "$WORK/jc.out" | sort | uniq -c | awk '{ print $1 }')" = 2
expect "-j --backend tracepoint: the objects say backend tracepoint" "$(cat "$WORK/jc.out")" \
	test "$(jq -r .backend "$WORK/jc.out" | sort -u)" = tracepoint
expect "-j with MIN_MS 500: the fast loopback connects are filtered out, the slow one is not" \
	"slow lport '$slow': $(cat "$WORK/jm.out")" \
	eval '[ -n "$slow" ] && [ "$(jq -c "[.dport, .lport]" "$WORK/jm.out")" = "[41304,$slow]" ]'
