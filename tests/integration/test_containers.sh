#!/usr/bin/env bash
# Containers, as the kernel makes them: PID namespaces (unshare -p -f --mount-proc, and one
# nested in it) and cgroup v2 directories the test creates.
#  - Run inside a PID namespace, the tool prints the PIDs that namespace sees, takes -p in
#    them, and traces only the processes it can see; the initial namespace sees all, with
#    the host's PIDs.
#  - -G adds the connecting process's cgroup path (CGROUP, last); -j's "cgroup" key;
#    -H --by cgroup; --cgroup X shows only rows whose CGROUP is X or below it; a cgroup
#    removed while its connect is in flight keeps its path; a path with a space or a
#    control byte is escaped like COMM.
#  - Bad input: -G or --by cgroup where no cgroup2 is mounted; an unknown --by key.
. "$(dirname "$0")/common.sh"
require_bpf
PORT=41401      # served, in the root namespace
DROP_PORT=41402 # the first SYN dropped (own network namespace): a connect of about 1 s
own_netns 2

"$B/tconn" -s 127.0.0.1 $PORT >"$WORK/srv" &
BG_PIDS+=($!)
ip netns exec "$NS" "$B/tconn" -s 127.0.0.1 $DROP_PORT >"$WORK/srv2" &
BG_PIDS+=($!)
both_listen() { [ "$(cat "$WORK/srv" "$WORK/srv2" | grep -c listening)" = 2 ]; }
wait_for 5 both_listen || not_ok "the two servers listen" "$(cat "$WORK/srv" "$WORK/srv2")"

# ---- PID namespaces ----
# The part inside the namespace runs as a script of its own (below); it and this side meet
# through files in $WORK: inner.ready when its tracers run and its clients wait, outer.done
# when this side has made its connect from outside.
cat >"$WORK/inner.sh" <<'EOF'
set -u
cd "$WORK"
# One tracer for everything it can see, one for -p of the client (a PID of this namespace).
"$T" -L -P "$PORT" >ns.out 2>ns.err &
all=$!
mkfifo go1 go2
"$B/tconn" -w -c nscli 127.0.0.1 "$PORT" <go1 >nscli.out &
exec 3>go1
# A client one namespace further down, seen here by the PID this namespace gives it.
unshare -p -f "$B/tconn" -w -c nestcli 127.0.0.1 "$PORT" <go2 >nestcli.out &
exec 4>go2
for i in $(seq 100); do
	grep -q '^pid=' nscli.out 2>/dev/null && grep -q '^pid=' nestcli.out 2>/dev/null && break
	sleep 0.05
done
nspid=$(sed -n 's/^pid=//p' nscli.out)
echo "$nspid" >nscli.pid
pgrep -x nestcli >nestcli.pid
"$T" -L -P "$PORT" -p "$nspid" >nsp.out 2>nsp.err &
pid=$!
for i in $(seq 200); do
	grep -q 'LAT(ms)' ns.out 2>/dev/null && grep -q 'LAT(ms)' nsp.out 2>/dev/null && break
	sleep 0.05
done
touch inner.ready
for i in $(seq 200); do [ -e outer.done ] && break; sleep 0.05; done
echo go >&3
echo go >&4
exec 3>&- 4>&-
wait %2 %3
# No wait: the tracers print, at SIGINT, what the kernel emitted before it.
kill -INT $all $pid
wait $all $pid
EOF
start_tracer host -L -P $PORT || not_ok "host tracer starts" "$(cat "$WORK/host.err")"
host_tracer=$TRACER_PID
WORK=$WORK T=$T B=$B PORT=$PORT unshare -p -f --mount-proc bash "$WORK/inner.sh" \
	>"$WORK/inner.log" 2>&1 &
inner=$!
wait_for 15 test -e "$WORK/inner.ready" ||
	not_ok "the namespace's tracers and clients start" "$(tail -3 "$WORK/inner.log")"
host_nscli=$(pgrep -x nscli | head -1)
outside=$("$B/tconn" -c outcli 127.0.0.1 $PORT)
touch "$WORK/outer.done"
wait $inner
nscli_lport=$(lport_of "$(grep '^ok' "$WORK/nscli.out")")
nest_lport=$(lport_of "$(grep '^ok' "$WORK/nestcli.out")")
wait_line "$WORK/host.out" "\$5 == ${nest_lport:-0}"
stop_tracer $host_tracer
nspid=$(cat "$WORK/nscli.pid")
nestpid=$(cat "$WORK/nestcli.pid")

# row FILE LPORT [DPORT]: the row of that local port and destination port (default PORT): the
# connects to DROP_PORT are made in the test's own network namespace, whose ports are its own.
row() { awk -v p="${2:-none}" -v d="${3:-$PORT}" 'NR > 1 && $5 == p && $7 == d' "$1"; }
expect "in a PID namespace: the client's row has the namespace's PID ($nspid), not the host's" \
	"$(row "$WORK/ns.out" "$nscli_lport"); log: $(tail -n 3 "$WORK/inner.log" "$WORK/ns.err" | tr '\n' ' ')" \
	[ "$(row "$WORK/ns.out" "$nscli_lport" | awk '{ print $1 "/" $2 }')" = "$nspid/nscli" ]
expect "a client in a nested namespace shows with the PID the tool's namespace gives it ($nestpid)" \
	"$(row "$WORK/ns.out" "$nest_lport")" \
	[ "$(row "$WORK/ns.out" "$nest_lport" | awk '{ print $1 "/" $2 }')" = "$nestpid/nestcli" ]
expect "a connect from outside the namespace is not shown there" "$(cat "$WORK/ns.out")" \
	[ -n "$(lport_of "$outside")" -a -z "$(row "$WORK/ns.out" "$(lport_of "$outside")")" ]
expect "-p with the namespace's PID keeps that process's connect only" "$(cat "$WORK/nsp.out")" \
	[ "$(awk 'NR > 1 { print $1 "/" $5 }' "$WORK/nsp.out")" = "$nspid/$nscli_lport" ]
expect "the initial namespace sees the namespace's connect with the host's PID ($host_nscli)" \
	"$(row "$WORK/host.out" "$nscli_lport")" \
	[ -n "$host_nscli" -a "$host_nscli" != "$nspid" -a \
	"$(row "$WORK/host.out" "$nscli_lport" | awk '{ print $1 }')" = "$host_nscli" ]
expect "the initial namespace sees the outside and the nested connects too" "$(cat "$WORK/host.out")" \
	[ -n "$(row "$WORK/host.out" "$(lport_of "$outside")")" -a -n "$(row "$WORK/host.out" "$nest_lport")" ]

# ---- cgroups ----
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
CTL=$(printf 'c\001x')
CG=tcl-containers-$$
remove_cgroups "$MNT/$CG"
mkdir -p "$MNT/$CG/a/child" "$MNT/$CG/b" "$MNT/$CG/sp ace" "$MNT/$CG/$CTL" "$MNT/$CG/gone"
start_tracer cg -G -L -P $PORT,$DROP_PORT || not_ok "-G tracer starts" "$(cat "$WORK/cg.err")"
cg_tracer=$TRACER_PID
start_tracer cga -G -L -P $PORT --cgroup "$MNT/$CG/a" || not_ok "--cgroup tracer starts" "$(cat "$WORK/cga.err")"
cga_tracer=$TRACER_PID
start_quiet_tracer js -j -v -P $PORT || not_ok "-j tracer starts" "$(cat "$WORK/js.err")"
js_tracer=$TRACER_PID
start_quiet_tracer hist -H --by cgroup -P $PORT || not_ok "-H tracer starts" "$(cat "$WORK/hist.err")"
hist_tracer=$TRACER_PID

# conn_in DIR NAME [NETNS PORT]: one connect by a process placed in cgroup DIR first.
conn_in() {
	CONN_NETNS=${3:-} start_waiting_conn "$2" 127.0.0.1 "${4:-$PORT}"
	echo "$CONN_PID" >"$1/cgroup.procs"
	release_conn
}
for c in a a/child b "sp ace" "$CTL"; do
	conn_in "$MNT/$CG/$c" "cg-$(echo "$c" | tr -c 'a-z\n' _)"
done
conn_in "$MNT/$CG/a" cg-a2
# Removed while in flight: the first SYN is dropped, the cgroup goes during the ~1 s wait.
gone_id=$(stat -c %i "$MNT/$CG/gone")
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" -n 1 $DROP_PORT
CONN_NETNS=$NS start_waiting_conn cg-gone 127.0.0.1 $DROP_PORT
echo "$CONN_PID" >"$MNT/$CG/gone/cgroup.procs"
echo go >&"$GO_FD"
exec {GO_FD}>&-
# Its SYN is out (and dropped): the connect is in flight, its cgroup taken.
in_flight() { ip netns exec "$NS" ss -Htn state syn-sent "( dport = :$DROP_PORT )" | grep -q .; }
wait_for 5 in_flight || not_ok "the connect to $DROP_PORT is in flight" "no socket in SYN-SENT"
echo "$CONN_PID" >"$MNT/cgroup.procs"
rmdir "$MNT/$CG/gone"
wait "$CONN_PID"
stop_dropsyn
wait_line "$WORK/cg.out" "\$5 == $(lport_of "$(grep '^ok' "$WORK/cg-gone.conn")") && \$7 == $DROP_PORT"
for t in $cg_tracer $cga_tracer $js_tracer; do stop_tracer $t; done
kill -INT $hist_tracer
wait $hist_tracer

lp() { lport_of "$(grep '^ok' "$WORK/$1.conn")"; }
# cgroup_of FILE LPORT [DPORT]: the CGROUP (last field) of that row.
cgroup_of() { row "$@" | awk '{ print $NF }'; }
expect "-G: header ends with CGROUP" "$(head -1 "$WORK/cg.out")" \
	[ "$(head -1 "$WORK/cg.out" | awk '{ print $NF }')" = CGROUP ]
for c in a a/child b; do
	n=cg-$(echo "$c" | tr -c 'a-z\n' _)
	expect "-G: a process in $c shows /$CG/$c" "$(row "$WORK/cg.out" "$(lp "$n")")" \
		[ "$(cgroup_of "$WORK/cg.out" "$(lp "$n")")" = "/$CG/$c" ]
done
expect "-G: a space in the path is escaped like COMM (\\x20), one field" \
	"$(row "$WORK/cg.out" "$(lp cg-sp_ace)")" \
	[ "$(cgroup_of "$WORK/cg.out" "$(lp cg-sp_ace)")" = "/$CG/sp\\x20ace" -a \
	"$(row "$WORK/cg.out" "$(lp cg-sp_ace)" | awk '{ print NF }')" = 9 ]
expect "-G: a control byte in the path is escaped (\\x01)" "$(row "$WORK/cg.out" "$(lp cg-c_x)")" \
	[ "$(cgroup_of "$WORK/cg.out" "$(lp cg-c_x)")" = "/$CG/c\\x01x" ]
# Made before the tracer started: the scan at start-up knew its path (id $gone_id).
expect "-G: a cgroup removed while its connect was in flight keeps its path" \
	"$(row "$WORK/cg.out" "$(lp cg-gone)" $DROP_PORT)" \
	[ "$(cgroup_of "$WORK/cg.out" "$(lp cg-gone)" $DROP_PORT)" = "/$CG/gone" ]
rows=$(awk 'NR > 1' "$WORK/cga.out")
expect "--cgroup $CG/a: the connects from a and a/child, each with a CGROUP at or below it" \
	"$rows" [ "$(grep -c . <<<"$rows")" = 3 -a \
	"$(awk -v c="/$CG/a" '$NF == c || index($NF, c "/") == 1' <<<"$rows" | wc -l)" = 3 ]
expect "-j: the cgroup key holds the path, unescaped" "$(grep -F "\"lport\":$(lp cg-sp_ace)," "$WORK/js.out")" \
	[ "$(jq -r --argjson p "$(lp cg-sp_ace)" 'select(.lport == $p) | .cgroup' "$WORK/js.out")" = "/$CG/sp ace" ]
expect "-j: the control byte is a JSON escape" "$(grep -F "\"lport\":$(lp cg-c_x)," "$WORK/js.out")" \
	grep -qF "\"cgroup\":\"/$CG/c\\u0001x\"," "$WORK/js.out"
expect "-H --by cgroup: /$CG/a counts 2, /$CG/b 1" "$(grep "^cgroup /$CG" "$WORK/hist.out")" \
	[ "$(grep -c "^cgroup /$CG/a: count 2," "$WORK/hist.out")" = 1 -a \
	"$(grep -c "^cgroup /$CG/b: count 1," "$WORK/hist.out")" = 1 ]

# ---- bad input ----
# one_error NAME WANT-STATUS PATTERN ARGS...: the tool exits with WANT-STATUS, one stderr line
# matching PATTERN, nothing on stdout.
one_error() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
	rc=$?
	if [ $rc = "$want" ] && [ "$(wc -l <"$WORK/bad.err")" = 1 ] && grep -qE "$pat" "$WORK/bad.err" &&
		[ ! -s "$WORK/bad.out" ]; then
		ok "$name"
	else
		not_ok "$name" "status $rc, stderr: $(cat "$WORK/bad.err"), stdout: $(head -c 200 "$WORK/bad.out")"
	fi
}
# A mount namespace of its own without any cgroup2 mount.
nocg=(unshare -m sh -c 'for m in $(awk '"'"'$9 == "cgroup2" { print $5 }'"'"' /proc/self/mountinfo); do umount -l "$m"; done; exec "$0" "$@"')
one_error "-G where no cgroup2 is mounted: exit 1, one line" 1 'cgroup v2' "${nocg[@]}" "$T" -G
one_error "--by cgroup where no cgroup2 is mounted: exit 1, one line" 1 'cgroup v2' \
	"${nocg[@]}" "$T" -H --by cgroup
one_error "--by with an unknown key: exit 2, naming it" 2 "'cgroups'" "$T" -H --by cgroups
one_error "-G with -H: exit 2" 2 'by cgroup' "$T" -H -G
