#!/usr/bin/env bash
# The in-kernel filters on this machine's kernel: -P, --daddr (IPv4 and IPv6, with and
# without a prefix), -u, -n and --cgroup, each with connects it must keep and connects it
# must drop; with -x they filter failed connects too. Bad values are in test_run.sh style:
# one line, exit 2, nothing loaded.
. "$(dirname "$0")/common.sh"
require_bpf

# A cgroup v2 directory of the test's own (the unified hierarchy, wherever it is mounted).
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CG2" ]; then
	CG2=$WORK/cg2
	mkdir -p "$CG2" && mount -t cgroup2 none "$CG2" || not_ok "cgroup2 is mounted" "mount failed"
	MOUNTED_CG2=1
fi
CG=$CG2/tcl-test-$$
mkdir -p "$CG/child" || not_ok "test cgroup created" "mkdir $CG/child failed"
cleanup_cg() {
	rmdir "$CG/child" "$CG" 2>/dev/null
	[ -n "${MOUNTED_CG2:-}" ] && umount "$CG2"
}
on_exit cleanup_cg
# A network namespace of the test's own, whose lo has fd00::1: --daddr fd00::/8 has a connect
# to keep (only loopback and the test's namespaces get test traffic).
own_netns 6
ip -n "$NS" addr add fd00::1/128 dev lo nodad || not_ok "fd00::1 on the namespace's lo" "ip addr failed"

# One tracer per filter, all at once; then the connects; then each output is checked for
# exactly the destination ports it should have kept.
start_tracer p -L -P 41501,41503 || not_ok "-P tracer starts" "$(cat "$WORK/p.err")"
tp=$TRACER_PID
start_tracer d4 -L --daddr 127.0.0.2 || not_ok "--daddr tracer starts" "$(cat "$WORK/d4.err")"
td4=$TRACER_PID
start_tracer d8 -L --daddr 127.0.0.0/8
td8=$TRACER_PID
start_tracer d6 -L --daddr ::1/128
td6=$TRACER_PID
start_tracer d6n -L --daddr fd00::/8
td6n=$TRACER_PID
start_tracer u -L -u 65534
tu=$TRACER_PID
start_tracer n -L -n tcl-special
tn=$TRACER_PID
start_tracer cg -L --cgroup "$CG" || not_ok "--cgroup tracer starts" "$(cat "$WORK/cg.err")"
tcg=$TRACER_PID
start_tracer x -x -L -P 41509
tx=$TRACER_PID

conn -l 127.0.0.1 41501 >/dev/null
conn -l 127.0.0.1 41502 >/dev/null
conn -l 127.0.0.1 41503 >/dev/null
conn -l 127.0.0.2 41504 >/dev/null
conn -l ::1 41505 >/dev/null
setpriv --reuid=65534 --regid=65534 --clear-groups "$B/tconn" -l 127.0.0.1 41506 >/dev/null
conn -c tcl-special -l 127.0.0.1 41507 >/dev/null
conn -c tcl-special2 -l 127.0.0.1 41508 >/dev/null
sh -c "echo \$\$ >'$CG/child/cgroup.procs' && exec '$B/tconn' -l 127.0.0.1 41510" >/dev/null
conn 127.0.0.1 41509 >/dev/null
conn 127.0.0.1 41511 >/dev/null
ip netns exec "$NS" "$B/tconn" -l fd00::1 41512 >/dev/null
# Every connect has returned: the tracers print, at SIGINT, all that was emitted for them.
for t in $tp $td4 $td8 $td6 $td6n $tu $tn $tcg $tx; do stop_tracer "$t"; done

# kept NAME FILE PORTS: the tracer's rows are exactly connects to these ports of ours
# (other processes' connects to other ports are ignored: ours use 41501..41512).
kept() {
	local got
	got=$(awk 'NR > 1 && $7 >= 41501 && $7 <= 41512 { print $7 }' "$2" | sort | tr '\n' ' ')
	expect "$1" "want '$3', got '$got': $(tr '\n' '|' <"$2")" test "$got" = "$3"
}
kept "-P 41501,41503 keeps those ports only" "$WORK/p.out" "41501 41503 "
kept "--daddr 127.0.0.2 keeps that address only" "$WORK/d4.out" "41504 "
kept "--daddr 127.0.0.0/8 keeps the whole network, IPv4 only" "$WORK/d8.out" \
	"41501 41502 41503 41504 41506 41507 41508 41510 "
kept "--daddr ::1/128 keeps IPv6 loopback only" "$WORK/d6.out" "41505 "
kept "--daddr fd00::/8 keeps the connect to fd00::1 only" "$WORK/d6n.out" "41512 "
kept "-u 65534 keeps the connect made as that user only" "$WORK/u.out" "41506 "
kept "-n tcl-special matches the whole name only" "$WORK/n.out" "41507 "
kept "--cgroup keeps the connect from a process in a cgroup below it only" "$WORK/cg.out" "41510 "
expect "-x -P 41509: the refused connect to that port is kept, the other not" \
	"$(tr '\n' '|' <"$WORK/x.out")" awk 'NR > 1 && $7 >= 41501 && $7 <= 41512 { n++; ok = $7 == 41509 && $9 == "refused" }
	END { exit !(n == 1 && ok) }' "$WORK/x.out"

# Bad values: one line naming the value, exit 2, no BPF loaded (no tracer started here).
for args in "-P 0" "-P 65536" "-P 80,80" "-P 80," "-P ,80" "-P 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17" \
	"--daddr 10.0.0.0/33" "--daddr ::1/129" "--daddr foo" "--daddr 10.0.0.1/" "-6 --daddr 10.0.0.1" \
	"-u -1" "-u 4294967295" "-u 1x" "-n 0123456789abcdef" "--cgroup /proc" "--cgroup /nonexistent"; do
	# shellcheck disable=SC2086
	out=$("$T" $args 2>&1 >/dev/null)
	rc=$?
	value=${args##* }
	expect "bad input '$args': one line naming it, exit 2" "status $rc: $out" \
		test "$rc:$(grep -c . <<<"$out"):$(grep -cF -- "${value%%,*}" <<<"$out")" = "2:1:1"
done
