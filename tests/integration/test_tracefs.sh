#!/usr/bin/env bash
# A machine without tracefs mounted (a fresh VM, a minimal image, a container): -x, and the
# exporter's count of connects that fail before any SYN, read connect()'s errors from the
# syscall trace events in tracefs. Each case runs the tool in a mount namespace of its own
# (private: what it mounts dies with it) where tracefs and debugfs are not mounted:
#  - the tool mounts tracefs itself and -v says so; --metrics counts a refused connect and
#    one without a route (a failure before any SYN); -x prints the refused one;
#  - tracefs already mounted: no second mount, and -v says nothing about mounting;
#  - mounting refused (the tool without CAP_SYS_ADMIN, as in a container; mount() failing
#    with EROFS, injected by strace) or no syscall events (an empty directory over them, as
#    on a kernel without CONFIG_FTRACE_SYSCALLS): -x exits 1 naming the cause; --metrics and
#    --textfile run, say once why failures before any SYN are not counted, export
#    tcpconnlat_presyn_failures_counted 0, and still count the refused connect.
. "$(dirname "$0")/common.sh"
require_bpf
for c in curl setpriv strace unshare mountpoint; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done
own_netns 1

# Ports of this test only (42600-42699): the exporter's and the connects' (-P).
M=42600 REF=42610 UNR=42611
PORTS=$REF,$UNR
TRACING=/sys/kernel/tracing
NOTCOUNTED='connects that fail before sending a SYN (no route, say) are not counted'
XMSG='-x/--failed needs the syscalls:sys_exit_connect trace event: '

# fresh_ns SETUP CMD...: execs CMD (so only in a subshell or in the background: its PID
# stays CMD's) in a private mount namespace without tracefs or debugfs (whose tracing/
# directory would mount tracefs when looked at), after the shell commands SETUP.
fresh_ns() {
	local setup=$1
	shift
	exec unshare -m --propagation private sh -c 'for m in /sys/kernel/debug /sys/kernel/tracing; do
		while mountpoint -q "$m"; do umount -R "$m" || exit 1; done
	done
	'"$setup"'
	exec "$@"' sh "$@"
}
MOUNT_TRACEFS="mount -t tracefs tracefs $TRACING || exit 1"
# As on a kernel without CONFIG_FTRACE_SYSCALLS: tracefs without events/syscalls/*.
NO_SYSCALL_EVENTS="$MOUNT_TRACEFS; mount -t tmpfs none $TRACING/events/syscalls || exit 1"
# The tool without CAP_SYS_ADMIN (CAP_BPF and CAP_PERFMON do for tracing): mount() is refused.
NOADMIN=(setpriv --bounding-set -sys_admin --inh-caps -sys_admin)

# tracefs_mounts PID: how many tracefs mounts at /sys/kernel/tracing PID's namespace has.
tracefs_mounts() { grep -c " $TRACING [^-]* - tracefs " /proc/"$1"/mountinfo; }
# metric TEXT NAME: the value of the sample NAME (the whole series name, labels included).
metric() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }
scrape() { curl -s --max-time 5 "http://127.0.0.1:$M/metrics"; }
refused_of() { metric "$1" 'tcpconnlat_connect_failures_total{reason="refused"}'; }
unreach_of() { metric "$1" 'tcpconnlat_connect_failures_total{reason="unreach"}'; }
gauge_of() { metric "$1" tcpconnlat_presyn_failures_counted; }
# scraped_refused N: a scrape (into $WORK/scrape) counts N refused connects.
scraped_refused() { scrape >"$WORK/scrape" && [ "$(refused_of "$(cat "$WORK/scrape")")" = "$1" ]; }

# fail_both: one refused connect and one without a route (a failure before any SYN: the
# namespace has only lo), to the test's ports.
fail_both() {
	local ref unr
	ref=$(conn 127.0.0.1 $REF)
	unr=$(ip netns exec "$NS" "$B/tconn" 10.254.0.1 $UNR)
	grep -q ECONNREFUSED <<<"$ref" && grep -q ENETUNREACH <<<"$unr" ||
		not_ok "test connects fail as planned" "refused: '$ref', no route: '$unr'"
}

# exporter_case NAME SETUP WANT_GAUGE [PREFIX...]: --metrics -v in a fresh namespace (after
# SETUP, under PREFIX); one refused connect and one without a route; leaves the exposition in
# $WORK/NAME.scrape, the tool's mount count in MOUNTS and its exit status in RC.
exporter_case() {
	local name=$1 setup=$2
	shift 2
	WRAP=(fresh_ns "$setup" "$@")
	MOUNTS=x RC=x
	: >"$WORK/scrape"
	if start_quiet_tracer "$name" --metrics 127.0.0.1:$M -P $PORTS -v; then
		MOUNTS=$(tracefs_mounts "$TRACER_PID")
		fail_both
		wait_for 5 scraped_refused 1
		# A second scrape: the warning is said once, not per scrape.
		scrape >/dev/null
		stop_tracer "$TRACER_PID"
		RC=$?
	else
		not_ok "$name: --metrics starts" "$(cat "$WORK/$name.err")"
	fi
	WRAP=()
	cp "$WORK/scrape" "$WORK/$name.scrape"
}

# 1. Fresh: the tool mounts tracefs, says so with -v, and counts both failures.
exporter_case fresh ""
s=$(cat "$WORK/fresh.scrape")
expect "fresh: --metrics -v says once that it mounted tracefs at $TRACING" \
	"$(grep '^tcpconnlat' "$WORK/fresh.err")" \
	test "$(grep -c "^tcpconnlat: mounted tracefs at $TRACING " "$WORK/fresh.err")" = 1
expect "fresh: the tool's mount namespace has tracefs at $TRACING (one mount)" "$MOUNTS" \
	test "$MOUNTS" = 1
expect "fresh: --metrics serves /metrics and counts the refused connect" "$s" \
	test "$(refused_of "$s")" = 1
expect "fresh: --metrics counts the connect without a route (failed before any SYN)" \
	"$(grep connect_failures <<<"$s")" test "$(unreach_of "$s")" = 1
expect "fresh: tcpconnlat_presyn_failures_counted 1" "$(grep presyn <<<"$s")" \
	test "$(gauge_of "$s")" = 1
expect "fresh: no warning that failures go uncounted; SIGINT ends it with status 0" \
	"status $RC: $(grep "^tcpconnlat" "$WORK/fresh.err")" \
	eval "test $RC = 0 && ! grep -q 'not counted' '$WORK/fresh.err'"

# 2. Fresh, -x: the refused connect's row, RESULT refused (-L: LPORT is field 5).
WRAP=(fresh_ns "")
lport=
if start_tracer fx -x -L -v -P $PORTS; then
	lport=$(lport_of "$(conn 127.0.0.1 $REF)")
	stop_tracer "$TRACER_PID"
fi
WRAP=()
expect "fresh: -x -v says it mounted tracefs" "$(grep "^tcpconnlat" "$WORK/fx.err")" \
	grep -q "^tcpconnlat: mounted tracefs at $TRACING " "$WORK/fx.err"
expect "fresh: -x prints the refused connect's row (RESULT refused)" \
	"lport ${lport:-?} in: $(cat "$WORK/fx.out"; grep "^tcpconnlat" "$WORK/fx.err")" \
	test "$(row_for "$WORK/fx.out" 5 "${lport:-x}" | awk '{ print $7, $9 }')" = "$REF refused"

# 3. tracefs already mounted: nothing mounted, nothing said about it; -v's other lines are.
exporter_case mounted "$MOUNT_TRACEFS"
s=$(cat "$WORK/mounted.scrape")
expect "mounted: -v says which backend it uses, and nothing about mounting tracefs" \
	"$(grep "^tcpconnlat" "$WORK/mounted.err")" \
	eval "grep -q '^tcpconnlat: using the' '$WORK/mounted.err' &&
	! grep -q 'mounted tracefs' '$WORK/mounted.err'"
expect "mounted: still one tracefs mount at $TRACING" "$MOUNTS" test "$MOUNTS" = 1
expect "mounted: both failures counted, tcpconnlat_presyn_failures_counted 1" \
	"$(grep -E 'presyn|connect_failures' <<<"$s")" \
	test "$(refused_of "$s") $(unreach_of "$s") $(gauge_of "$s")" = "1 1 1"

# not_counted_case NAME WHY: an exporter run where the syscall events could not be had.
not_counted_case() {
	local name=$1 why=$2 s
	s=$(cat "$WORK/$name.scrape")
	expect "$name: --metrics serves, says once on stderr that pre-SYN failures are not counted ($why)" \
		"$(grep '^tcpconnlat' "$WORK/$name.err")" \
		test "$(grep -c "^tcpconnlat: warning: $NOTCOUNTED.*$why" "$WORK/$name.err")" = 1
	expect "$name: tcpconnlat_presyn_failures_counted 0" "$(grep presyn <<<"$s")" \
		test "$(gauge_of "$s")" = 0
	expect "$name: the refused connect (RST after its SYN) is still counted" \
		"$(grep connect_failures <<<"$s")" test "$(refused_of "$s")" = 1
	expect "$name: the connect without a route is not (no syscall events)" \
		"$(grep connect_failures <<<"$s")" test "$(unreach_of "$s")" = 0
	expect "$name: SIGINT ends it with status 0" "status $RC" test "$RC" = 0
}

# x_case NAME WHY SETUP [PREFIX...]: -x exits 1 with one line naming the cause.
x_case() {
	local name=$1 cause=$2 setup=$3 out rc
	shift 3
	out=$(fresh_ns "$setup" "$@" "$T" -x 2>&1 </dev/null)
	rc=$?
	# eval runs inside expect(), whose locals (name, why) hide the caller's.
	expect "$name: -x exits 1, one line naming the cause ($cause)" "status $rc: $out" \
		eval 'test "$rc:$(grep -c . <<<"$out")" = 1:1 &&
		grep -qF -- "tcpconnlat: $XMSG" <<<"$out" && grep -qF -- "$cause" <<<"$out"'
}

# 4. Mounting refused: the tool without CAP_SYS_ADMIN.
EPERM="mounting it at $TRACING failed: Operation not permitted"
exporter_case noadmin "" "${NOADMIN[@]}"
not_counted_case noadmin "$EPERM"
expect "noadmin: nothing got mounted" "$MOUNTS" test "$MOUNTS" = 0
x_case noadmin "$EPERM" "" "${NOADMIN[@]}"

# --textfile in the same place: the file says so too.
WRAP=(fresh_ns "" "${NOADMIN[@]}")
if start_quiet_tracer tf --textfile "$WORK/t.prom" -i 1 -P $PORTS; then
	wait_for 5 grep -qs '^tcpconnlat_presyn_failures_counted' "$WORK/t.prom"
	stop_tracer "$TRACER_PID"
fi
WRAP=()
expect "noadmin: --textfile runs, says why once, and writes tcpconnlat_presyn_failures_counted 0" \
	"$(cat "$WORK/tf.err"; grep presyn "$WORK/t.prom")" \
	eval "test \"\$(grep -c 'warning: $NOTCOUNTED.*$EPERM' '$WORK/tf.err')\" = 1 &&
	grep -qx 'tcpconnlat_presyn_failures_counted 0' '$WORK/t.prom'"

# 5. mount() refused with EROFS (a read-only /sys), injected by strace: -x names it.
x_case erofs "$TRACING failed: Read-only file system" "" \
	strace -f -qq -o "$WORK/erofs.st" -e trace=mount -e inject=mount:error=EROFS
expect "erofs: the tool tried to mount tracefs at $TRACING" "$(cat "$WORK/erofs.st")" \
	grep -q "mount(\"tracefs\", \"$TRACING\", \"tracefs\"" "$WORK/erofs.st"

# 6. No syscall trace events in tracefs (a kernel without CONFIG_FTRACE_SYSCALLS).
NOSYS="built without CONFIG_FTRACE_SYSCALLS"
exporter_case nosys "$NO_SYSCALL_EVENTS"
not_counted_case nosys "not in this kernel's tracefs ($NOSYS)"
x_case nosys "$NOSYS" "$NO_SYSCALL_EVENTS"
