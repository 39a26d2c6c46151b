#!/usr/bin/env bash
# Container names without a working Docker API, and pods from the kubelet's log directories.
#  - A container API socket that answers garbage (no HTTP; HTTP with no JSON), and one that
#    accepts and never answers (servers of this test's own): rows still print promptly, -v says why once, however many
#    times the tool reconnects.
#  - A lookup answered HTTP 500 "no such container" (podman 4.3's answer to a lookup racing the
#    removal of a --rm container) is a container that had ended, as a 404 is: not a failure of
#    the API; a 500 for another cause is one.
#  - With names wanted and no API, the reader still wakes when the buffer fills: 10,000
#    connects at 5,000/s into a one-page buffer are all printed with -C, as with -G (it once
#    read only every 100 ms: poll() on the perf buffer's epoll fd took the readiness that
#    perf_buffer__poll() then waited for).
#  - --pod-logs: a directory tree laid out as the kubelet's /var/log/pods
#    (NAMESPACE_POD_UID/CONTAINER/) with its links next to it (containers/
#    POD_NAMESPACE_CONTAINER-ID.log), and real cgroups at kubepods-like paths with those pod
#    UIDs and container ids: -C, -j and -H --by pod name the pod, namespace and container; a
#    pod of several containers by each one's link, also for a container started after the
#    tool; without a link, its id.
. "$(dirname "$0")/common.sh"
require_bpf
PORT=42311

"$B/tconn" -s 127.0.0.1 $PORT >"$WORK/srv" &
BG_PIDS+=($!)
wait_for 5 grep -qs listening "$WORK/srv" || not_ok "the server listens" "$(cat "$WORK/srv")"

# api_server MODE SOCKET: garbage (answers a line that is no HTTP, then closes), badjson
# (HTTP 200, chunked like the event stream, with a body that is no JSON), hang (accepts,
# reads, never answers), gone500 or err500 (an event stream with no event, and lookups
# answered HTTP 500 with podman's error body: "no such container", or another cause).
api_server() {
	python3 - "$1" "$2" <<-'EOP' &
	import socket, sys
	mode, path = sys.argv[1], sys.argv[2]
	s = socket.socket(socket.AF_UNIX)
	s.bind(path)
	s.listen(16)
	held = []
	while True:
	    c, _ = s.accept()
	    req = c.recv(4096)
	    if mode in ("gone500", "err500"):
	        if req.startswith(b"GET /events"):
	            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
	            held.append(c)
	            open(path + ".stream", "w").close()
	            continue
	        cause = b"no such container" if mode == "gone500" else b"database is locked"
	        body = b'{"cause":"' + cause + b'","message":"' + cause + b'","response":500}'
	        c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
	                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
	        open(path + ".answered", "w").close()
	        c.close()
	    elif mode == "garbage":
	        c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01garbage\r\n\r\n")
	        c.close()
	    elif mode == "badjson":
	        c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                  b"5\r\n{\"a\":\r\n3\r\n}}}\r\n")
	        c.close()
	    else:
	        held.append(c)
	EOP
	BG_PIDS+=($!)
	wait_for 5 test -S "$2"
}

for mode in garbage badjson hang; do
	api_server $mode "$WORK/$mode.sock" || not_ok "the $mode server listens" ""
	start_tracer $mode -C -v --container-api "$WORK/$mode.sock" -P $PORT ||
		not_ok "-C with a $mode API starts" "$(cat "$WORK/$mode.err")"
	tr=$TRACER_PID
	# Past the first reconnects (after 0.5 s, then 1 s): several failures by now.
	sleep 3
	t0=${EPOCHREALTIME//[!0-9]/}
	"$B/tconn" -c ${mode}cli 127.0.0.1 $PORT >/dev/null
	wait_for 3 has_line "$WORK/$mode.out" "\$2 == \"${mode}cli\""
	t1=${EPOCHREALTIME//[!0-9]/}
	expect "$mode API: the row printed within 500 ms ($(((t1 - t0) / 1000)) ms), CONTAINER -" \
		"$(cat "$WORK/$mode.out")" [ $(((t1 - t0) / 1000)) -lt 500 -a \
		"$(awk -v c=${mode}cli '$2 == c { print $NF }' "$WORK/$mode.out")" = - ]
	stop_tracer $tr
	case $mode in
	garbage) why="answered no HTTP" ;;
	badjson) why="answered no JSON" ;;
	hang) why="did not answer within 1000 ms" ;;
	esac
	expect "$mode API: -v says why once: $why" "$(cat "$WORK/$mode.err")" \
		[ "$(grep -c "container names unknown: $WORK/$mode.sock $why" "$WORK/$mode.err")" = 1 ]
	n=$(sed -n 's/^tcpconnlat: \([0-9]*\) requests to the container API failed$/\1/p' "$WORK/$mode.err")
	expect "$mode API: the failures are counted (${n:-none}), more than one" \
		"$(cat "$WORK/$mode.err")" [ "${n:-0}" -ge 2 ]
done

# ---- HTTP 500 to a lookup: the container had ended, or the API failed ----
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
for mode in gone500 err500; do
	api_server $mode "$WORK/$mode.sock" || not_ok "the $mode server listens" ""
	start_tracer $mode -C -v --container-api "$WORK/$mode.sock" -P $PORT ||
		not_ok "-C with a $mode API starts" "$(cat "$WORK/$mode.err")"
	tr=$TRACER_PID
	# Lookups are made only while the event stream is up.
	wait_for 5 test -e "$WORK/$mode.sock.stream" || not_ok "$mode: the tool opens the event stream" ""
	id=$(printf "%s%061x" "$([ $mode = gone500 ] && echo a50 || echo b50)" $$)
	cg=$MNT/tcl-$mode-$$/libpod-$id
	remove_cgroups "${cg%/*}"
	mkdir -p "$cg" &&
		sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -c ${3}cli 127.0.0.1 "$4"' sh \
			"$cg" "$B/tconn" $mode $PORT >/dev/null &&
		rmdir "$cg" "${cg%/*}" || not_ok "a process of $cg connects" ""
	wait_line "$WORK/$mode.out" "\$2 == \"${mode}cli\""
	wait_for 5 test -e "$WORK/$mode.sock.answered" || not_ok "$mode: the tool looked the id up" ""
	sleep 0.2 # the answer read by the tool
	stop_tracer $tr
	expect "$mode: the row shows the id, ${id:0:12}" "$(cat "$WORK/$mode.out")" \
		[ "$(awk -v c=${mode}cli '$2 == c { print $NF }' "$WORK/$mode.out")" = "${id:0:12}" ]
	failures=$(grep -c "container names unknown\|requests to the container API failed" "$WORK/$mode.err")
	ended=$(grep -c "no longer knew when asked their names (ended first): 1$" "$WORK/$mode.err")
	if [ $mode = gone500 ]; then
		expect "gone500: the 500 'no such container' is an ended container, not a failure" \
			"$(grep -v ^libbpf "$WORK/$mode.err")" [ "$failures" = 0 -a "$ended" = 1 ]
	else
		expect "err500: a 500 for another cause is a failure of the API, -v says it" \
			"$(grep -v ^libbpf "$WORK/$mode.err")" [ "$failures" -ge 1 -a "$ended" = 0 ]
	fi
done

# ---- the reader keeps up with names wanted ----
LOADPORT=42312
start_tracer wakeg -G --buffer-pages 1 -P $LOADPORT || not_ok "-G starts" "$(cat "$WORK/wakeg.err")"
wakeg_tracer=$TRACER_PID
start_tracer wakec -C --buffer-pages 1 --container-api "$WORK/absent.sock" -P $LOADPORT ||
	not_ok "-C starts" "$(cat "$WORK/wakec.err")"
wakec_tracer=$TRACER_PID
res=$("$(dirname "$B")/bench/loadgen" -t 1 -r 5000 -n 10000 -p $LOADPORT)
made=$(sed -n 's/.*connects=\([0-9]*\).*/\1/p' <<<"$res")
sleep 0.3
for t in $wakeg_tracer $wakec_tracer; do stop_tracer $t; done
for w in wakeg wakec; do
	printed=$(awk -v p=$LOADPORT 'NR > 1 && $6 == p' "$WORK/$w.out" | wc -l)
	expect "$w: $made connects at 5,000/s into a one-page buffer: $printed printed, none lost" \
		"$res; $(grep lost "$WORK/$w.err" | tail -2 | tr '\n' ' ')" \
		[ "${made:-0}" -eq 10000 -a "$printed" -eq 10000 -a "$(grep -c lost "$WORK/$w.err")" = 0 ]
done

# ---- the kubelet's pod log directories ----
UID1=3f1e5a2c-8b7d-4e6f-9a0b-1c2d3e4f5a6b
UID2=9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a
UID3=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
CID1=$(printf "c1d%061x" 1) CID2=$(printf "c2d%061x" 2) CID3=$(printf "c3d%061x" 3)
CID4=$(printf "c4d%061x" 4) CID5=$(printf "c5d%061x" 5)
KP=tcl-kubepods-$$
remove_cgroups "$MNT/$KP"
mkdir -p "$MNT/$KP/pod$UID1/$CID1" "$MNT/$KP/pod$UID2/$CID2" "$MNT/$KP/pod$UID3/$CID3"
# kubelet_container NAMESPACE POD UID CONTAINER [ID]: the container's log directory and, with
# an id, the kubelet's link to its log in containers/ (next to pods/), as the kubelet makes them.
kubelet_container() {
	mkdir -p "$WORK/pods/$1_$2_$3/$4" "$WORK/containers"
	: >"$WORK/pods/$1_$2_$3/$4/0.log"
	[ -z "${5:-}" ] || ln -s "$WORK/pods/$1_$2_$3/$4/0.log" "$WORK/containers/$2_$1_$4-$5.log"
}
# Pod 1 has one container (its directory names it); pod 2 two, each with its link; pod 3 two
# without links (which one is which is not known).
kubelet_container shop web-1 $UID1 app
kubelet_container kube-system dns-2 $UID2 coredns $CID4
kubelet_container kube-system dns-2 $UID2 sidecar $CID2
kubelet_container jobs batch-3 $UID3 main
kubelet_container jobs batch-3 $UID3 helper
mkdir -p "$WORK/pods/not-a-pod-dir"
ln -s /nowhere "$WORK/containers/not-a-link.log"
PL=(--pod-logs "$WORK/pods" --container-api "$WORK/absent.sock")
start_tracer pl -C "${PL[@]}" -P $PORT || not_ok "-C --pod-logs starts" "$(cat "$WORK/pl.err")"
pl_tracer=$TRACER_PID
start_quiet_tracer plj -j "${PL[@]}" -v -P $PORT || not_ok "-j --pod-logs starts" "$(cat "$WORK/plj.err")"
plj_tracer=$TRACER_PID
start_quiet_tracer plh -H --by pod "${PL[@]}" -P $PORT || not_ok "-H --by pod starts" "$(cat "$WORK/plh.err")"
plh_tracer=$TRACER_PID
# A --by list with pod in it wants the names as much as --by pod alone.
start_quiet_tracer plhl -H --by pod,dport "${PL[@]}" -P $PORT ||
	not_ok "-H --by pod,dport starts" "$(cat "$WORK/plhl.err")"
plhl_tracer=$TRACER_PID
start_quiet_tracer plhc -H --by pod,container "${PL[@]}" -P $PORT ||
	not_ok "-H --by pod,container starts" "$(cat "$WORK/plhc.err")"
plhc_tracer=$TRACER_PID
in_cgroup() { sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -c "$3" 127.0.0.1 "$4"' sh "$@" $PORT >/dev/null; }
in_cgroup "$MNT/$KP/pod$UID1/$CID1" "$B/tconn" podcli1
in_cgroup "$MNT/$KP/pod$UID2/$CID2" "$B/tconn" podcli2
in_cgroup "$MNT/$KP/pod$UID3/$CID3" "$B/tconn" podcli3
# A container of a known pod started after the tools: the kubelet makes its link, then it runs.
sleep 0.2
kubelet_container kube-system dns-2 $UID2 init $CID5
mkdir "$MNT/$KP/pod$UID2/$CID5"
in_cgroup "$MNT/$KP/pod$UID2/$CID5" "$B/tconn" podcli5
"$B/tconn" -c hostcli 127.0.0.1 $PORT >/dev/null
for t in $pl_tracer $plj_tracer; do stop_tracer $t; done
kill -INT $plh_tracer $plhl_tracer $plhc_tracer
wait $plh_tracer $plhl_tracer $plhc_tracer
col() { awk -v c="$1" '$2 == c { print $NF }' "$WORK/pl.out"; }
expect "-C: a pod's only container is named by its directory: app" "$(cat "$WORK/pl.out")" \
	[ "$(col podcli1)" = app ]
expect "-C: a pod of two containers: each named by the kubelet's link: sidecar" \
	"$(cat "$WORK/pl.out")" [ "$(col podcli2)" = sidecar ]
expect "-C: a container of that pod started after the tool, by its new link: init" \
	"$(cat "$WORK/pl.out")" [ "$(col podcli5)" = init ]
expect "-C: a pod of two containers without links: the id, ${CID3:0:12}" "$(cat "$WORK/pl.out")" \
	[ "$(col podcli3)" = "${CID3:0:12}" ]
expect "-C: the host's connect: -" "$(cat "$WORK/pl.out")" [ "$(col hostcli)" = - ]
js() { jq -r --arg c "$1" 'select(.comm == $c) | "\(.container_id) \(.container) \(.pod) \(.namespace)"' "$WORK/plj.out"; }
expect "-j: pod 1's connect: app in web-1 of shop" "$(cat "$WORK/plj.out")" \
	[ "$(js podcli1)" = "$CID1 app web-1 shop" ]
expect "-j: pod 2's connects: sidecar and init in dns-2 of kube-system" "$(cat "$WORK/plj.out")" \
	[ "$(js podcli2)" = "$CID2 sidecar dns-2 kube-system" -a "$(js podcli5)" = "$CID5 init dns-2 kube-system" ]
expect "-j: pod 3's connect: batch-3 of jobs, container null" "$(cat "$WORK/plj.out")" \
	[ "$(js podcli3)" = "$CID3 null batch-3 jobs" ]
expect "-j: the host's connect: all null" "$(cat "$WORK/plj.out")" \
	[ "$(js hostcli)" = "null null null null" ]
expect "-H --by pod: web-1 and batch-3 count 1, dns-2 2, - 1" "$(cat "$WORK/plh.out")" \
	[ "$(grep -c "^pod web-1: count 1," "$WORK/plh.out")" = 1 -a \
	"$(grep -c "^pod dns-2: count 2," "$WORK/plh.out")" = 1 -a \
	"$(grep -c "^pod batch-3: count 1," "$WORK/plh.out")" = 1 -a \
	"$(grep -c "^pod -: count 1," "$WORK/plh.out")" = 1 ]
expect "-H --by pod,dport: web-1,$PORT, dns-2,$PORT (2) and -,$PORT" "$(cat "$WORK/plhl.out")" \
	[ "$(grep -c "^pod,dport web-1,$PORT: count 1," "$WORK/plhl.out")" = 1 -a \
	"$(grep -c "^pod,dport dns-2,$PORT: count 2," "$WORK/plhl.out")" = 1 -a \
	"$(grep -c "^pod,dport -,$PORT: count 1," "$WORK/plhl.out")" = 1 ]
expect "-H --by pod,container: dns-2's sidecar and init apart" "$(cat "$WORK/plhc.out")" \
	[ "$(grep -c "^pod,container dns-2,sidecar: count 1," "$WORK/plhc.out")" = 1 -a \
	"$(grep -c "^pod,container dns-2,init: count 1," "$WORK/plhc.out")" = 1 -a \
	"$(grep -c "^pod,container web-1,app: count 1," "$WORK/plhc.out")" = 1 ]
"$T" -C --pod-logs "$WORK/no-such-dir" >"$WORK/bad.out" 2>"$WORK/bad.err"
rc=$?
expect "--pod-logs of a missing directory: exit 2, one line naming it" "$(cat "$WORK/bad.err")" \
	[ $rc = 2 -a "$(wc -l <"$WORK/bad.err")" = 1 -a "$(grep -c "no-such-dir" "$WORK/bad.err")" = 1 ]
