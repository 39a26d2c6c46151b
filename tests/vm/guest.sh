#!/bin/busybox sh
# Runs inside the QEMU guest as /init (busybox sh). Sets up two network namespaces joined by
# a veth pair with netem delay, runs every backend of tcpconnlat next to BCC's tcpconnlat on
# the same connects, and prints machine-readable lines on the serial console:
#   RESULT <backend> <ok|fail> <test name> [# detail]
#   CMP <backend> <lport> <kind> <ours ms|-> <reference ms|->
#   BOOTED <kernel release> / DONE
# then powers off. The host (test_matrix.sh) turns them into test results.
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/bin
# Debian's busybox runs its own applets before anything in PATH: call iproute2 by path.
ip() { /usr/local/bin/ip "$@"; }
tc() { /usr/local/bin/tc "$@"; }
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /run /var /sys/fs/bpf
mount -t tmpfs run /run
ln -s /run /var/run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
mkdir -p /sys/fs/cgroup/tcl
echo "BOOTED $(uname -r)"
# make bench boots the same initramfs with tcb.bench=SIZE: the benchmarks, not the tests.
case " $(cat /proc/cmdline) " in *" tcb.bench="*) exec /bin/sh /bench-guest.sh ;; esac

# One-way netem delay on each side of the veth: the handshake RTT is twice this.
DELAY_MS=25
# The bounds below, and the emulated timings they rest on: docs/testing.md ("The guest's
# bounds").
# A connect across the veth takes at least the injected RTT (netem cannot deliver early),
# plus the emulated guest's own handshake time. Half an RTT above is the bound: measuring to
# the wrong event (the first data, a retransmitted SYN) would add a round trip or a second.
LAT_MIN=$((2 * DELAY_MS))
LAT_MAX=$((3 * DELAY_MS))
# The connect modes' single connects (run_modes) must rule out a start taken 300 or 500 ms
# too early (the time their clients wait): a second round trip of slack against noise.
MODES_LAT_MAX=$((4 * DELAY_MS))
# Loopback has no injected delay. Timing the wrong event (a retransmitted SYN, the first
# data) would add a second or a round trip: a median under 3 ms rules that out, and none
# may come near the veth round trip.
LOOP_N=9
LOOP_MEDIAN_MAX=3
LOOP_MAX=$DELAY_MS
# Our latency and the reference's for the same connect: both read the same clock at about
# the same points, so they differ by the emulated cost of a few probes, and single connects
# by more when the host deschedules the emulated CPU between the two tools' programs. A
# wrong measuring point would move the median; a wrong match would be off by a round trip.
CMP_MEDIAN_TOL=0.5
CMP_TOL=10

fail_all() {
	for b in fentry kprobe tracepoint; do echo "RESULT $b fail guest setup # $1"; done
	echo DONE
	poweroff -f
}

for m in $(cat /modules/load-order); do
	insmod "/modules/$m" || fail_all "insmod $m failed"
done
ip link set lo up
ip netns add cli && ip netns add srv || fail_all "ip netns failed"
# Fixed MAC addresses and permanent neighbour entries: without them the first connect of a
# run waits for ARP or neighbour discovery, one more delayed round trip.
ns_setup() { # PAIR-CLIENT PAIR-SERVER NET4 NET6 MAC-PREFIX
	ip link add "$1" address "$5:01" type veth peer name "$2" address "$5:02" &&
		ip link set "$1" netns cli && ip link set "$2" netns srv &&
		ip -n cli addr add "$3.1/24" dev "$1" && ip -n srv addr add "$3.2/24" dev "$2" &&
		ip -n cli addr add "$4::1/64" dev "$1" nodad &&
		ip -n srv addr add "$4::2/64" dev "$2" nodad &&
		ip -n cli neigh add "$3.2" lladdr "$5:02" dev "$1" nud permanent &&
		ip -n cli neigh add "$4::2" lladdr "$5:02" dev "$1" nud permanent &&
		ip -n srv neigh add "$3.1" lladdr "$5:01" dev "$2" nud permanent &&
		ip -n srv neigh add "$4::1" lladdr "$5:01" dev "$2" nud permanent &&
		ip -n cli link set "$1" up && ip -n srv link set "$2" up
}
ns_setup vc vs 10.200.0 fd00:200 02:00:00:00:00 || fail_all "veth setup failed"
ns_setup tc0 ts0 10.201.0 fd00:201 02:00:00:00:01 || fail_all "veth setup failed"
ip -n cli link set lo up
ip -n srv link set lo up
ip netns exec cli tc qdisc add dev vc root netem delay ${DELAY_MS}ms || fail_all "netem failed"
ip netns exec srv tc qdisc add dev vs root netem delay ${DELAY_MS}ms || fail_all "netem failed"
# The second pair loses every packet from the client: its connects time out. One SYN
# retry (the sysctl is per namespace) makes that about 3 s instead of two minutes.
ip netns exec cli tc qdisc add dev tc0 root netem loss 100% || fail_all "netem loss failed"
ip netns exec cli sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_syn_retries'

# wait_until TENTHS COMMAND...: true once COMMAND succeeds (tried every 0.1 s); false after
# TENTHS tenths of a second. The guest waits for what it awaits, never for a fixed time,
# except where a comment says why time itself is needed.
wait_until() {
	local n=$1
	shift
	until "$@"; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
}

ip netns exec srv tconn -s 10.200.0.2 8001 >/tmp/srv1 &
ip netns exec srv tconn -s fd00:200::2 8002 >/tmp/srv2 &
ip netns exec srv tconn -s fd00:200::2 8004 >/dev/null &
ip netns exec srv tconn -s 10.200.0.2 8004 >/dev/null &
tconn -s 127.0.0.1 8003 >/tmp/srv3 &
# -N: a DNS server across the veth (the guest's /etc is its own: its resolv.conf names it)
# and servers on 8012 for the names it answers and for an address no answer gives.
mkdir -p /etc
printf 'nameserver 10.200.0.2\noptions timeout:2 attempts:2\n' >/etc/resolv.conf
ip netns exec srv baddns 10.200.0.2 serve web.test=10.200.0.2 v6.test=fd00:200::2 >/tmp/dns &
ip netns exec srv tconn -s 10.200.0.2 8012 >/tmp/srvn4 &
ip netns exec srv tconn -s fd00:200::2 8012 >/tmp/srvn6 &
tconn -s 127.0.0.1 8012 >/tmp/srvn &
servers_listen() {
	[ "$(cat /tmp/srv1 /tmp/srv2 /tmp/srv3 /tmp/dns /tmp/srvn4 /tmp/srvn6 /tmp/srvn |
		grep -c listening)" = 7 ]
}
wait_until 100 servers_listen || fail_all "the servers did not start"
# The first connects after boot run kernel code QEMU has not translated yet and take tens
# of ms longer, for both tools alike: warm the paths up.
ip netns exec cli tconn -n 2 10.200.0.2 8001 >/dev/null &&
	ip netns exec cli tconn -n 2 fd00:200::2 8002 >/dev/null &&
	tconn -n 2 127.0.0.1 8003 >/dev/null || fail_all "warm-up connects failed"

mark() { echo "# $1 at $(cut -d' ' -f1 /proc/uptime) s"; }
result() { # BACKEND ok|fail NAME [DETAIL]
	if [ -n "${4:-}" ]; then echo "RESULT $1 $2 $3 # $4"; else echo "RESULT $1 $2 $3"; fi
}
check() { # BACKEND NAME DETAIL COMMAND...
	local cb=$1 cn=$2 cd=$3
	shift 3
	if "$@"; then result "$cb" ok "$cn"; else result "$cb" fail "$cn" "$cd"; fi
}

# Waits (up to 60 s: start-up is slow under emulation) for FILE to show a header.
wait_header() {
	local i=0
	while [ $i -lt 600 ]; do
		grep -q 'LAT(ms)' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop PID: SIGINT and the exit status.
stop() {
	kill -INT "$1"
	wait "$1"
}

# Lines of FILE (a -L output, ours or the reference's) for local port P: "latency".
# Local ports repeat between connects to different destinations: match the DPORT too.
lat_of() { awk -v p="$2" -v dp="$3" 'NR > 1 && $5 == p && $7 == dp { print $NF }' "$1"; }
lports() { sed -n 's/.*lport=\([0-9]*\).*/\1/p' "$1"; }

# Entries in our in-flight maps (the "inflight" maps of our programs that clean it up:
# tp_destroy_sock or btf_destroy_sock on every backend), or "none" when no such map is
# found. JSON: one "key" per entry.
inflight() {
	local id n=none
	for id in $( (bpftool prog show name tp_destroy_sock; bpftool prog show name btf_destroy_sock) 2>/dev/null |
		sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' '\n' | sort -u); do
		bpftool map show id "$id" | grep -q ' name inflight ' || continue
		n=$(( ${n#none} + $(bpftool -j map dump id "$id" | grep -o '"key"' | wc -l) ))
	done
	echo $n
}

# ended PID: the process has exited (a zombie until waited for, or gone).
ended() { grep -q '^State:.*Z' /proc/$1/status 2>/dev/null || [ ! -e /proc/$1 ]; }
# ref_rows FILE N: at least N rows of FILE for the ports of the successful connects.
ref_rows() { [ "$(awk 'NR > 1 && ($7 == 8001 || $7 == 8002 || $7 == 8003)' "$1" | wc -l)" -ge "$2" ]; }
no_inflight() { [ "$(inflight)" = 0 ]; }

# run_backend fentry|kprobe|tracepoint|rawtp: rawtp is the tracepoint backend's raw
# tracepoint programs, the fallback for kernels without BTF tracepoints.
run_backend() {
	local b=$1 be=$1 progs=btf_set_state
	case $b in
	rawtp) be=tracepoint progs=tp_set_state && export TCPCONNLAT_RAW_TRACEPOINTS=1 ;;
	tracepoint) ;;
	*) progs="${b}_v4_connect" ;;
	esac
	mark "$b: start"
	d=/tmp/$b
	mkdir -p "$d"
	tcpconnlat -v -L --backend="$be" >"$d/ours" 2>"$d/ours.err" &
	ours=$!
	if ! wait_header "$d/ours" $ours; then
		result "$b" fail "starts" "$(grep -v '^libbpf' "$d/ours.err" | tail -2 | tr '\n' ' ')"
		return
	fi
	result "$b" ok "starts"
	mark "$b: ours attached"
	check "$b" "-v reports the $be backend" "$(grep -v '^libbpf' "$d/ours.err" | tail -1)" \
		grep -qx "tcpconnlat: using the $be backend" "$d/ours.err"
	check "$b" "its programs are $progs and the like" "$(bpftool prog show 2>/dev/null | grep -o 'name [a-z0-9_]*' | sort -u | tr '\n' ' ')" \
		sh -c "bpftool prog show name $progs | grep -q ."
	# Line-buffered through coreutils' stdbuf library, as stdbuf(1) does: the reference
	# writes its header and rows to a file only at exit otherwise.
	LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so _STDBUF_O=L bcc-tcpconnlat -L \
		>"$d/ref" 2>"$d/ref.err" &
	ref=$!
	wait_header "$d/ref" $ref ||
		echo "# reference tcpconnlat did not start: $(cat "$d/ref" "$d/ref.err" | tail -3 | tr '\n' '|')"
	tcpconnlat -L --backend="$be" 40 >"$d/min" 2>"$d/min.err" &
	min=$!
	tcpconnlat -x -r -L --backend="$be" >"$d/fail" 2>"$d/fail.err" &
	failt=$!
	tcpconnlat -j -x -v --backend="$be" >"$d/json" 2>"$d/json.err" &
	jsont=$!
	tcpconnlat -L -P 8001,8002 --daddr fd00:200::/64 -u 0 -n tconn --backend="$be" \
		>"$d/filt" 2>"$d/filt.err" &
	filtt=$!
	tcpconnlat -L --cgroup /sys/fs/cgroup/tcl --backend="$be" >"$d/cg" 2>"$d/cg.err" &
	cgt=$!
	tcpconnlat -H --by dport -i 2 -P 8001,8002 --backend="$be" >"$d/hist" 2>"$d/hist.err" &
	histt=$!
	tcpconnlat -N -v -L -P 8012 --backend="$be" >"$d/names" 2>"$d/names.err" &
	namest=$!

	# The process whose PID the -p instance is given waits for it to be attached.
	# Opened read-write so that opening it does not wait for the writer.
	mkfifo "$d/go"
	ip netns exec cli tconn -w -n 3 10.200.0.2 8001 <>"$d/go" >"$d/v4" &
	conn=$!
	while ! grep -qs '^pid=' "$d/v4" && kill -0 $conn 2>/dev/null; do sleep 0.05; done
	pid=$(sed -n 's/^pid=//p' "$d/v4")
	tcpconnlat -L --backend="$be" -p "$pid" -c 3 >"$d/pid" 2>"$d/pid.err" &
	pidt=$!
	wait_header "$d/min" $min
	wait_until 600 grep -q '^tcpconnlat: using the' "$d/json.err"
	wait_until 600 grep -q '^tcpconnlat: tracing' "$d/hist.err"
	wait_header "$d/fail" $failt ||
		result "$b" fail "-x -r instance starts" "$(tail -2 "$d/fail.err" | tr '\n' ' ')"
	wait_header "$d/pid" $pidt || result "$b" fail "-p instance starts"
	wait_header "$d/filt" $filtt || result "$b" fail "filter instance starts" "$(tail -1 "$d/filt.err")"
	wait_header "$d/cg" $cgt || result "$b" fail "--cgroup instance starts" "$(tail -1 "$d/cg.err")"
	wait_header "$d/names" $namest ||
		result "$b" fail "-N instance starts" "$(grep -v '^libbpf' "$d/names.err" | tail -1)"
	# The IPv4 veth connects come from a process in the cgroup.
	echo "$pid" >/sys/fs/cgroup/tcl/cgroup.procs
	mark "$b: all attached"
	# Ten tracers have just started: let their start-up work end, and run each of their
	# programs once (QEMU translates new code on first use, and slower) with connects to
	# port 8004 (served) and 8005 (refused) that no check counts.
	sleep 1 # time itself: the kernel's deferred work after ten attaches has no event to wait for
	ip netns exec cli tconn 10.200.0.2 8004 >/dev/null
	ip netns exec cli tconn fd00:200::2 8004 >/dev/null
	ip netns exec cli tconn 10.200.0.2 8005 >/dev/null
	echo go >"$d/go"
	wait $conn
	ip netns exec cli tconn -n 3 fd00:200::2 8002 >"$d/v6"
	tconn -n $LOOP_N 127.0.0.1 8003 >"$d/loop"
	# -N: names resolved through the guest's DNS server, connected to at once (getaddrinfo,
	# then connect); and an address no answer gave.
	ip netns exec cli resconn -4 web.test 8012 >"$d/name4"
	ip netns exec cli resconn -6 v6.test 8012 >"$d/name6"
	tconn 127.0.0.1 8012 >"$d/noname"
	ip netns exec cli tconn 10.200.0.2 8009 >"$d/refused"
	ip netns exec cli tconn 10.201.0.2 8010 >"$d/timeout"
	ip netns exec cli tconn 10.250.0.1 8011 >"$d/unreach"

	mark "$b: connects made"
	# -c 3: the -p instance ends by itself (a zombie until waited for, or gone).
	pid_done=no
	wait_until 50 ended $pidt && pid_done=yes
	# Ours print at SIGINT what came before it; the reference does not: wait for its rows of
	# the successful connects (3 + 3 to 8001 and 8002, LOOP_N to 8003).
	wait_until 100 ref_rows "$d/ref" $((6 + LOOP_N))
	# Entries go when their connect ends (the last, the timeout, has returned).
	wait_until 50 no_inflight
	n_inflight=$(inflight)
	# -d 1, after the timed connects: a tracer detaching slows the emulated kernel down.
	t0=$(cut -d' ' -f1 /proc/uptime)
	tcpconnlat -d 1 --backend="$be" >"$d/dur" 2>"$d/dur.err"
	dur_rc=$?
	dur_s=$(awk -v t0="$t0" '{ print $1 - t0 }' /proc/uptime)
	stop $pidt
	stop $min
	stop $failt
	stop $jsont
	stop $filtt
	stop $cgt
	stop $histt
	stop $namest
	rc=0
	stop $ours || rc=$?
	kill -INT $ref
	wait $ref

	check "$b" "SIGINT exits 0" "status $rc" [ $rc = 0 ]
	# Connects across the veth: PID, COMM, addresses, ports, latency near the RTT.
	for v in v4 v6; do
		if [ $v = v4 ]; then src=10.200.0.1 dst=10.200.0.2 port=8001 ip=4; else
			src=fd00:200::1 dst=fd00:200::2 port=8002 ip=6; fi
		want=$(lports "$d/$v" | sort | tr '\n' ' ')
		got=$(awk -v s=$src -v t=$dst -v p=$port -v ip=$ip -v lo=$LAT_MIN -v hi=$LAT_MAX \
			'NR > 1 && $2 == "tconn" && $3 == ip && $4 == s && $6 == t && $7 == p &&
			$8 >= lo && $8 < hi { print $5 }' "$d/ours" | sort | tr '\n' ' ')
		check "$b" "IPv$ip across the veth: 3 rows, right fields, latency in [$LAT_MIN, $LAT_MAX) ms" \
			"want lports '$want', matching rows '$got': $(grep " $port " "$d/ours" | tr '\n' '|')" \
			[ -n "$want" -a "$want" = "$got" ]
	done
	pid_rows=$(awk -v p="$pid" 'NR > 1 && $1 == p' "$d/ours" | wc -l)
	check "$b" "rows carry the connecting PID" "$pid_rows rows with PID $pid" [ "$pid_rows" = 3 ]
	want=$(lports "$d/loop" | sort | tr '\n' ' ')
	got=$(awk -v m=$LOOP_MAX 'NR > 1 && $7 == 8003 && $4 == "127.0.0.1" && $8 < m { print $5 }' \
		"$d/ours" | sort | tr '\n' ' ')
	median=$(awk 'NR > 1 && $7 == 8003 { print $8 }' "$d/ours" | sort -n |
		sed -n "$((LOOP_N / 2 + 1))p")
	fast=$(awk -v m="${median:-99}" -v x=$LOOP_MEDIAN_MAX 'BEGIN { print (m < x) ? "yes" : "no" }')
	check "$b" "loopback connects: all under $LOOP_MAX ms, median under $LOOP_MEDIAN_MAX ms" \
		"want '$want', got '$got', median '$median': $(grep ' 8003 ' "$d/ours" | tr '\n' '|')" \
		[ -n "$want" -a "$want" = "$got" -a "$fast" = yes ]
	# A refused connect and a timed-out one are not reported, and nothing stays in flight.
	r=$(lports "$d/refused")
	check "$b" "the refused connect was refused" "$(cat "$d/refused")" grep -q ECONNREFUSED "$d/refused"
	check "$b" "a refused connect is not reported" "$(grep " $r " "$d/ours")" \
		[ -z "$(lat_of "$d/ours" "$r" 8009)" ]
	t=$(lports "$d/timeout")
	check "$b" "the timeout connect timed out" "$(cat "$d/timeout")" grep -q ETIMEDOUT "$d/timeout"
	check "$b" "a timed-out connect is not reported" "$(grep " $t " "$d/ours")" \
		[ -z "$(lat_of "$d/ours" "$t" 8010)" ]
	check "$b" "no entry left in the in-flight maps" "$n_inflight entries" [ "$n_inflight" = 0 ]
	# Filters, as on the host.
	other=$(lports "$d/v6" | head -1)
	check "$b" "-c 3 ends the run by itself after three rows" "ended: $pid_done" [ $pid_done = yes ]
	check "$b" "-d 1 ends the run by itself after 1 s, status 0" \
		"status $dur_rc after $dur_s s: $(tail -1 "$d/dur.err")" \
		awk -v rc=$dur_rc -v s="$dur_s" 'BEGIN { exit !(rc == 0 && s >= 1 && s < 10) }'
	check "$b" "-p keeps only that process" "$(tr '\n' '|' <"$d/pid")" \
		[ "$(awk 'NR > 1' "$d/pid" | wc -l)" = 3 -a \
		"$(awk -v p="$pid" 'NR > 1 && $1 != p' "$d/pid" | wc -l)" = 0 -a -z "$(lat_of "$d/pid" "$other" 8002)" ]
	check "$b" "MIN_MS 40 keeps the veth connects and drops loopback" "$(tr '\n' '|' <"$d/min")" \
		[ "$(awk 'NR > 1 && ($7 == 8001 || $7 == 8002)' "$d/min" | wc -l)" = 6 -a \
		"$(awk 'NR > 1 && $7 == 8003' "$d/min" | wc -l)" = 0 ]

	# -x -r: failed connects with their RESULT; SYNRTX. Fields with -x -r -L: 8 LAT(ms),
	# 9 SYNRTX, 10 RESULT.
	xrow() { awk -v p="$2" -v dp="$3" 'NR > 1 && $5 == p && $7 == dp' "$1"; }
	okx=$({
		for p in $(lports "$d/v4"); do xrow "$d/fail" "$p" 8001; done
		for p in $(lports "$d/v6"); do xrow "$d/fail" "$p" 8002; done
	} |
		awk -v lo=$LAT_MIN -v hi=$LAT_MAX '$10 == "ok" && $9 == 0 && $8 >= lo && $8 < hi' | wc -l)
	check "$b" "-x -r: the veth connects are 'ok' with SYNRTX 0" "$okx of 6: $(tr '\n' '|' <"$d/fail")" \
		[ "$okx" = 6 ]
	row=$(xrow "$d/fail" "$r" 8009)
	check "$b" "-x: the refused connect is 'refused' after one round trip" "row: '$row'" \
		awk -v lo=$LAT_MIN -v hi=$LAT_MAX '{ n++; ok = $6 == "10.200.0.2" && $7 == 8009 &&
			$10 == "refused" && $8 >= lo && $8 < hi } END { exit !(n == 1 && ok) }' <<EOR
$row
EOR
	row=$(xrow "$d/fail" "$t" 8010)
	check "$b" "-x -r: the timed-out connect is 'timeout' after 2-10 s, SYNRTX at least 1" "row: '$row'" \
		awk '{ n++; ok = $7 == 8010 && $10 == "timeout" && $9 >= 1 && $8 >= 2000 && $8 < 10000 }
			END { exit !(n == 1 && ok) }' <<EOR
$row
EOR
	check "$b" "-x: a connect without a route is 'unreach' with its destination" \
		"$(cat "$d/unreach"); rows: $(grep 10.250.0.1 "$d/fail" | tr '\n' '|')" \
		awk '$6 == "10.250.0.1" { n++; ok = $7 == 8011 && $10 == "unreach" } END { exit !(n == 1 && ok) }' \
		"$d/fail"

	# Filters: -P 8001,8002 --daddr fd00:200::/64 -u 0 -n tconn keeps the IPv6 veth
	# connects only; --cgroup keeps those of the process put in the cgroup (the IPv4 ones).
	want=$(lports "$d/v6" | sort | tr '\n' ' ')
	got=$(awk 'NR > 1 { print $5 }' "$d/filt" | sort | tr '\n' ' ')
	check "$b" "-P, --daddr prefix, -u and -n together keep the IPv6 veth connects only" \
		"want '$want', got '$got'" [ -n "$want" -a "$want" = "$got" ]
	want=$(lports "$d/v4" | sort | tr '\n' ' ')
	got=$(awk 'NR > 1 { print $5 }' "$d/cg" | sort | tr '\n' ' ')
	check "$b" "--cgroup keeps the connects of the process in that cgroup only" \
		"want '$want', got '$got'" [ -n "$want" -a "$want" = "$got" ]

	# -H --by dport -i 2: over the reports, three connects to each port, and in each report
	# the median in the round trip.
	hok=$(awk -v lo=$LAT_MIN -v hi=$LAT_MAX '/^dport 800[12]: count / {
		gsub(/[:,]/, ""); for (i = 1; i <= NF; i++) v[$i] = $(i + 1)
		n[$2] += v["count"]; if (v["p50"] < lo || v["p50"] > hi) bad++ }
		/^[0-9][0-9][0-9][0-9]-/ { reports++ }
		END { print (n[8001] == 3 && n[8002] == 3 && !bad && reports >= 2) ? "yes" : "no" }' \
		"$d/hist")
	check "$b" "-H --by dport -i 2: 3 connects per port over the reports, p50 within the round trip" \
		"$(grep -v -- '->' "$d/hist" | tr '\n' '|') $(tail -1 "$d/hist.err")" [ "$hok" = yes ]

	# -N (-L: DHOST is field 9): the name each connect's address was answered for, or -.
	dhost() {
		awk -v p="$(lports "$d/$1")" -v a="$2" 'NR > 1 && $5 == p && $6 == a { print $9 }' \
			"$d/names"
	}
	named() { echo "$(cat "$d/$1"); rows: $(tr '\n' '|' <"$d/names") $(tail -1 "$d/names.err")"; }
	check "$b" "-N: an A answer names the IPv4 connect made at once (web.test)" \
		"$(named name4)" [ "$(dhost name4 10.200.0.2)" = web.test ]
	check "$b" "-N: an AAAA answer names the IPv6 connect made at once (v6.test)" \
		"$(named name6)" [ "$(dhost name6 fd00:200::2)" = v6.test ]
	check "$b" "-N: a connect to an address no answer gave shows -" \
		"$(named noname)" [ "$(dhost noname 127.0.0.1)" = - ]

	# -j -x: the IPv4 veth connects and the refused one, by name, naming this backend.
	# (jq 1.6's -e looks at the last input too: select the one object first.)
	jobj() { jq -c --argjson p "$2" --argjson dp "$3" 'select(.lport == $p and .dport == $dp)' "$1"; }
	jok=0
	for p in $(lports "$d/v4"); do
		jobj "$d/json" "$p" 8001 | jq -e --arg b "$be" '.result == "ok" and .daddr == "10.200.0.2" and
			.dport == 8001 and .backend == $b and .lat_us >= 50000' >/dev/null && jok=$((jok + 1))
	done
	jobj "$d/json" "$r" 8009 | jq -e '.result == "refused" and .errno == "ECONNREFUSED"' \
		>/dev/null && jok=$((jok + 1))
	check "$b" "-j -x: valid JSON objects, by name, for the IPv4 and refused connects" \
		"$jok of 4 match: $(jq -c . "$d/json" 2>&1 | head -c 300 | tr '\n' '|')" [ "$jok" = 4 ]

	# Side by side with the reference, connect by connect: the same successful connects, and
	# latencies that agree (see CMP_TOL, CMP_MEDIAN_TOL).
	missing=0
	: >"$d/diffs"
	for kind in v4 v6 loop refused timeout; do
		for p in $(lports "$d/$kind"); do
			case $kind in v4) dp=8001 ;; v6) dp=8002 ;; loop) dp=8003 ;; refused) dp=8009 ;;
			timeout) dp=8010 ;; esac
			a=$(lat_of "$d/ours" "$p" $dp)
			rl=$(lat_of "$d/ref" "$p" $dp)
			echo "CMP $b $p $kind ${a:--} ${rl:--}"
			case $kind in refused | timeout) continue ;; esac
			if [ -z "$a" ] || [ -z "$rl" ]; then
				missing=$((missing + 1))
			else
				echo "$a $rl" >>"$d/diffs"
			fi
		done
	done
	n_ok=$((6 + LOOP_N))
	check "$b" "the reference saw the same $n_ok successful connects" "$missing missing on one side" \
		[ $missing = 0 -a "$(wc -l <"$d/diffs")" = $n_ok ]
	diffs=$(awk '{ d = $1 - $2; print (d < 0 ? -d : d) }' "$d/diffs" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[int((NR + 1) / 2)], v[NR] }')
	check "$b" "latencies agree with the reference: median difference under $CMP_MEDIAN_TOL ms, each under $CMP_TOL ms" \
		"median and largest difference: $diffs ms" \
		awk -v m="${diffs% *}" -v x="${diffs#* }" -v mt=$CMP_MEDIAN_TOL -v t=$CMP_TOL \
		'BEGIN { exit !(m < mt && x < t) }'
	unset TCPCONNLAT_RAW_TRACEPOINTS
}

# Connects made other ways (tests/integration/test_modes.sh does the same on the host):
# Fast Open (the SYN deferred to the first write, 500 or 300 ms after connect(); a
# sendto(MSG_FASTOPEN)), io_uring, a named thread, an IPv4-mapped destination, and a socket
# whose connect was dissolved (connect(AF_UNSPEC), unseen by fentry/kprobe without -x) and
# then connected by a child: the -p instance of the parent must not print it.
run_modes() {
	local b=$1 d=/tmp/$1/modes
	mkdir -p "$d"
	mark "$b: modes"
	tcpconnlat -x -L --backend="$b" >"$d/all" 2>"$d/all.err" &
	allt=$!
	mkfifo "$d/go"
	ip netns exec cli tmode reuse 300 ::ffff:10.201.0.2 8010 ::ffff:10.200.0.2 8001 \
		<>"$d/go" >"$d/reuse" &
	rjob=$!
	while ! grep -qs '^pid=' "$d/reuse" && kill -0 $rjob 2>/dev/null; do sleep 0.05; done
	reuse=$(sed -n 's/^pid=//p' "$d/reuse")
	tcpconnlat -L --backend="$b" -p "${reuse:-1}" >"$d/pid" 2>"$d/pid.err" &
	pidt=$!
	wait_header "$d/all" $allt || result "$b" fail "modes: -x instance starts"
	wait_header "$d/pid" $pidt || result "$b" fail "modes: -p instance starts"
	# Warm-up: each program once (see run_backend).
	ip netns exec cli tconn 10.200.0.2 8004 >/dev/null
	ip netns exec cli tmode tfo 0 10.200.0.2 8006 >"$d/tfo1"
	ip netns exec cli tmode tfo 500 10.200.0.2 8006 >"$d/tfo2"
	ip netns exec cli tmode sendto 10.200.0.2 8006 >"$d/mfo"
	ip netns exec cli tmode tfo 300 10.200.0.2 8009 >"$d/tforef"
	ip netns exec cli tmode thread worker-7 10.200.0.2 8001 >"$d/thread"
	ip netns exec cli tconn ::ffff:10.200.0.2 8001 >"$d/mapped"
	ip netns exec cli uconn 10.200.0.2 8001 >"$d/uring"
	ip netns exec cli uconn 10.200.0.2 8009 >"$d/uringref"
	echo go >"$d/go"
	wait $rjob
	stop $pidt
	stop $allt
	# row LPORT DPORT: the -x instance's row.
	row() { awk -v p="$1" -v dp="$2" 'NR > 1 && $5 == p && $7 == dp' "$d/all"; }
	# one FILE DPORT NAME AWK-COND: the connect of FILE has one row, meeting COND.
	one() {
		local p r
		p=$(lports "$d/$1")
		r=$(row "${p:-none}" "$2")
		check "$b" "$3" "$(cat "$d/$1" | tr '\n' ' ') rows: '$r'" \
			awk -v lo=$LAT_MIN -v hi=$MODES_LAT_MAX "{ n++; ok = $4 } END { exit !(n == 1 && ok) }" <<EOR
$r
EOR
	}
	inrtt='$8 >= lo && $8 < hi'
	check "$b" "Fast Open: the second connect's SYN carried data (deferred to the write)" \
		"$(cat "$d/tfo2")" grep -q 'syn_data=1' "$d/tfo2"
	one tfo1 8006 "Fast Open without a cookie: one round trip" "$inrtt && \$9 == \"ok\""
	one tfo2 8006 "Fast Open with a cookie: timed from the SYN, not from connect() 500 ms before" \
		"$inrtt && \$9 == \"ok\""
	one mfo 8006 "sendto(MSG_FASTOPEN): one round trip, COMM tmode" "$inrtt && \$2 == \"tmode\""
	one tforef 8009 "-x: a refused Fast Open connect is 'refused' one round trip after its SYN" \
		"$inrtt && \$9 == \"refused\""
	one thread 8001 "a thread's connect: COMM is the thread's name" "$inrtt && \$2 == \"worker-7\""
	one mapped 8001 "IPv4-mapped destination: one row, IP 6, mapped addresses" \
		"$inrtt && \$3 == 6 && \$4 == \"::ffff:10.200.0.1\" && \$6 == \"::ffff:10.200.0.2\""
	up=$(sed -n 's/^tid=//p' "$d/uring")
	one uring 8001 "io_uring connect: one round trip, the submitter's PID and COMM" \
		"$inrtt && \$1 == ${up:-0} && \$2 == \"uconn\""
	one uringref 8009 "-x: a refused io_uring connect is 'refused'" "$inrtt && \$9 == \"refused\""
	grep '^child ' "$d/reuse" >"$d/child"
	grep '^ok ' "$d/reuse" >"$d/own"
	one child 8001 "a reused socket's connect: the child's PID and its own round trip" \
		"$inrtt && \$1 != ${reuse:-1}"
	p=$(lports "$d/child")
	o=$(lports "$d/own")
	check "$b" "-p of the parent: its own connect shown, none for the child's on the dissolved socket" \
		"$(tr '\n' '|' <"$d/pid")" [ -z "$(awk -v p="${p:-none}" 'NR > 1 && $5 == p' "$d/pid")" -a \
		"$(awk -v p="${o:-none}" -v pid="${reuse:-1}" 'NR > 1 && $5 == p && $1 == pid' "$d/pid" | wc -l)" = 1 ]
}

# Containers (tests/integration/test_containers.sh does more on the host): a tracer and a
# client in a PID namespace of their own; clients in two cgroups, seen with -G and
# -H --by cgroup from outside.
run_containers() {
	local b=$1 d=/tmp/$1/ctr i
	mkdir -p "$d" /sys/fs/cgroup/ctr/a /sys/fs/cgroup/ctr/b
	mark "$b: containers"
	tcpconnlat -G -L -P 8001 --backend="$b" >"$d/cg" 2>"$d/cg.err" &
	cgt=$!
	tcpconnlat -H --by cgroup -P 8001 --backend="$b" >"$d/hist" 2>"$d/hist.err" &
	ht=$!
	# The namespace's side: its tracer, and a client that waits for $d/go. (A shell of its
	# own: iproute2's ip by path, not busybox's.)
	cat >"$d/inner.sh" <<EOF
tcpconnlat -L -P 8001 --backend=$b >$d/ns 2>$d/ns.err &
t=\$!
mkfifo $d/nsgo
/usr/local/bin/ip netns exec cli tconn -w -c nscli 10.200.0.2 8001 <>$d/nsgo >$d/nscli &
c=\$!
i=0
while ! grep -q 'LAT(ms)' $d/ns && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
touch $d/ready
while [ ! -e $d/go ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
echo go >$d/nsgo
wait \$c
kill -INT \$t
wait \$t
EOF
	unshare -p -f --mount-proc sh "$d/inner.sh" >"$d/inner.log" 2>&1 &
	inner=$!
	wait_header "$d/cg" $cgt || result "$b" fail "containers: -G instance starts" "$(tail -1 "$d/cg.err")"
	wait_until 600 test -e "$d/ready"
	wait_until 600 grep -q '^tcpconnlat: tracing' "$d/hist.err"
	mark "$b: containers attached"
	ip netns exec cli tconn -c outcli 10.200.0.2 8001 >"$d/out"
	for c in a1 a2 b1; do
		mkfifo "$d/go-$c"
		ip netns exec cli tconn -w 10.200.0.2 8001 <>"$d/go-$c" >"$d/one-$c" &
		cp=$!
		while ! grep -qs '^pid=' "$d/one-$c" && kill -0 $cp 2>/dev/null; do sleep 0.05; done
		# tconn's own PID: $! is the shell function ip()'s subshell.
		sed -n 's/^pid=//p' "$d/one-$c" >/sys/fs/cgroup/ctr/${c%?}/cgroup.procs
		echo go >"$d/go-$c"
		wait $cp
		grep '^ok' "$d/one-$c" >>"$d/conn-${c%?}"
	done
	mark "$b: containers, connects from cgroups made"
	touch "$d/go"
	wait $inner
	stop $cgt
	stop $ht
	nspid=$(sed -n 's/^pid=//p' "$d/nscli")
	p=$(lports "$d/nscli")
	check "$b" "in a PID namespace: the row has that namespace's PID" \
		"nscli pid $nspid, lport $p: $(tr '\n' '|' <"$d/ns") $(tail -2 "$d/inner.log" | tr '\n' ' ')" \
		[ -n "$p" -a "$(awk -v p="$p" 'NR > 1 && $5 == p { print $1 "/" $2 }' "$d/ns")" = "$nspid/nscli" ]
	o=$(lports "$d/out")
	check "$b" "in a PID namespace: a connect from outside it is not shown" "$(tr '\n' '|' <"$d/ns")" \
		[ -n "$o" -a -z "$(awk -v p="$o" 'NR > 1 && $5 == p' "$d/ns")" ]
	ok=0
	for c in a b; do
		for p in $(lports "$d/conn-$c"); do
			[ "$(awk -v p="$p" 'NR > 1 && $5 == p { print $NF }' "$d/cg")" = "/ctr/$c" ] && ok=$((ok + 1))
		done
	done
	check "$b" "-G: each connect shows its process's cgroup (/ctr/a twice, /ctr/b)" \
		"$ok of 3: $(tr '\n' '|' <"$d/cg")" [ $ok = 3 ]
	check "$b" "-H --by cgroup: /ctr/a counts 2, /ctr/b 1" "$(grep '^cgroup' "$d/hist" | tr '\n' '|')" \
		[ "$(grep -c '^cgroup /ctr/a: count 2,' "$d/hist")" = 1 -a \
		"$(grep -c '^cgroup /ctr/b: count 1,' "$d/hist")" = 1 ]
	rm -f "$d/ready" "$d/go"
}

# --textfile (the exporter) on this backend: connects across the veth counted in the kernel,
# failures by reason. Nothing listens on 8009: refused.
run_metrics() {
	local b=$1 d=/tmp/$1/metrics i=0
	mkdir -p "$d"
	mark "$b: metrics"
	tcpconnlat --textfile "$d/m.prom" -i 1 --by dport -P 8001,8009 --backend="$b" >"$d/out" 2>"$d/err" &
	mt=$!
	while ! grep -q '^tcpconnlat: tracing' "$d/err" && kill -0 $mt 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ip netns exec cli tconn -n 3 10.200.0.2 8001 >/dev/null
	ip netns exec cli tconn 10.200.0.2 8009 >/dev/null
	stop $mt
	rc=$?
	check "$b" "--textfile: _count 3 for dport 8001, failures_total{reason=refused} 1 for 8009, exit 0" \
		"status $rc: $(grep -E '_count|refused|syn_retransmits_total\{' "$d/m.prom" | tr '\n' '|') $(tail -2 "$d/err" | tr '\n' '|')" \
		[ $rc = 0 -a "$(grep -cx 'tcpconnlat_connect_duration_seconds_count{dport="8001"} 3' "$d/m.prom")" = 1 -a \
		"$(grep -cx 'tcpconnlat_connect_failures_total{dport="8009",reason="refused"} 1' "$d/m.prom")" = 1 -a \
		"$(grep -cx 'tcpconnlat_syn_retransmits_total{dport="8001"} 0' "$d/m.prom")" = 1 ]
}

ip netns exec cli sh -c 'echo 3 >/proc/sys/net/ipv4/tcp_fastopen'
ip netns exec srv sh -c 'echo 3 >/proc/sys/net/ipv4/tcp_fastopen'
ip netns exec srv tmode serve 10.200.0.2 8006 >/tmp/srv6 &
wait_until 100 grep -q listening /tmp/srv6 || fail_all "the Fast Open server did not start"

# A backend this kernel cannot run (tcl.refuse=B,..., from test_matrix.sh: fentry on arm64
# before 6.4): asked for, it exits 1 with one line that says why; auto takes kprobe.
refused_backend() {
	local b=$1 d=/tmp/$1 rc=0
	mkdir -p "$d"
	tcpconnlat --backend="$b" -d 1 >"$d/out" 2>"$d/err" || rc=$?
	check "$b" "--backend=$b exits 1 with one line that says why" "status $rc: $(tr '\n' '|' <"$d/err")" \
		[ $rc = 1 -a "$(wc -l <"$d/err")" = 1 -a -n "$(grep "the $b backend cannot run here: this kernel cannot" "$d/err")" ]
	tcpconnlat -v -d 1 >"$d/auto" 2>"$d/auto.err"
	check "$b" "auto passes over $b, saying why, and attaches kprobe" "$(tr '\n' '|' <"$d/auto.err")" \
		[ -n "$(grep "^tcpconnlat: $b backend failed: this kernel cannot" "$d/auto.err")" -a \
		-n "$(grep -x 'tcpconnlat: using the kprobe backend' "$d/auto.err")" ]
}
# The verifier rejecting one of our programs is said as such: the program and the verifier's
# last line, never a kernel limit (seen on 6.1: "kernel lockdown", "needs Linux 5.5+"). A
# real rejection, no hook in the binary: a copy of this kernel's BTF with skc_family renamed,
# so libbpf cannot relocate the programs' reads of it (tests/integration/test_verifier.sh).
run_verifier() {
	local b=$1 d=/tmp/$1 rc
	if [ ! -f /tmp/renamed.btf ]; then
		cp /sys/kernel/btf/vmlinux /tmp/renamed.btf &&
			sed -i 's/skc_family/skc_fXmily/g' /tmp/renamed.btf
	fi
	tcpconnlat --btf /tmp/renamed.btf --backend="$b" -d 1 >/dev/null 2>"$d/verifier.err"
	rc=$?
	check "$b" "a verifier rejection is named (program, the verifier's last line), not read as a kernel limit" \
		"status $rc: $(cat "$d/verifier.err")" \
		sh -c "[ $rc = 1 ] && [ \$(wc -l <'$d/verifier.err') = 1 ] &&
			grep -Eq \"verifier rejected program '[a-z0-9_]+': .*skc_family\" '$d/verifier.err' &&
			! grep -Eq 'lockdown|needs Linux|cannot run fentry' '$d/verifier.err'"
}

refuse=$(sed -n 's/.*tcl\.refuse=\([^ ]*\).*/\1/p' /proc/cmdline)
for b in fentry kprobe tracepoint; do
	case ",$refuse," in
	*",$b,"*) refused_backend $b ;;
	*)
		run_backend $b
		run_modes $b
		run_containers $b
		run_metrics $b
		run_verifier $b
		;;
	esac
done
# The tracepoint backend's raw tracepoint programs (its fallback), through the main checks.
case ",$refuse," in
*",tracepoint,"*) ;;
*) run_backend rawtp ;;
esac
echo DONE
poweroff -f
