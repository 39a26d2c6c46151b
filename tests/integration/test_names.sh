#!/bin/bash
# -N, --by dhost: names from real DNS answers. A real dnsmasq on loopback addresses of the
# test's own serves A, AAAA and CNAME records (UDP and TCP); real clients resolve through
# glibc's getaddrinfo() with a resolv.conf bind-mounted in their own mount namespace (the
# machine's /etc/resolv.conf is never touched) and connect at once. The hosts file the tool
# reads is the test's (TCPCONNLAT_HOSTS). Rows, JSON, -H --by dhost and a real Prometheus
# scrape of --metrics --by dhost,dport show the query names.
. "$(dirname "$0")/common.sh"
require_bpf
for c in dnsmasq dig curl jq prometheus; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done

# Ports of this test only (43200-43299); addresses 127.0.0.77-127.0.0.99 of loopback.
DNS=127.0.0.77 DNS_TTL=127.0.0.78
P4=43210 P6=43211 PT=43212 PM=43213 PROM=43214 PN=43215
PORTS=$P4,$P6,$PT,$PN

# dns_answers ADDR: a DNS server on ADDR answers (any answer).
dns_answers() { dig +short +time=1 +tries=1 @"$1" ready.test >/dev/null; }
# dnsmasq ADDR ARGS...: a dnsmasq of the test's own on ADDR port 53 (UDP and TCP), no
# upstream, no /etc/hosts; until it answers.
dnsmasq_on() {
	local addr=$1
	shift
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon --pid-file= \
		--listen-address="$addr" --bind-interfaces --port=53 "$@" \
		>"$WORK/dnsmasq-$addr.log" 2>&1 &
	BG_PIDS+=("$!")
	wait_for 5 dns_answers "$addr"
}
dnsmasq_on $DNS --host-record=ready.test,127.0.0.99 \
	--host-record=web.test,127.0.0.80 --host-record=v6.test,::1 \
	--host-record=edge-17.cdn.test,127.0.0.84 --cname=www.alias.test,mid.cdn.test \
	--cname=mid.cdn.test,edge-17.cdn.test \
	--host-record=tcp.test,127.0.0.81 \
	--host-record=old.test,127.0.0.82 --host-record=new.test,127.0.0.82 ||
	{ not_ok "dnsmasq answers on $DNS" "$(cat "$WORK/dnsmasq-$DNS.log")"; exit 1; }
dnsmasq_on $DNS_TTL --local-ttl=1 --host-record=ready.test,127.0.0.99 \
	--host-record=short.test,127.0.0.85 --host-record=brief.test,127.0.0.86 ||
	{ not_ok "dnsmasq answers on $DNS_TTL" "$(cat "$WORK/dnsmasq-$DNS_TTL.log")"; exit 1; }
printf 'nameserver %s\noptions timeout:1 attempts:2\n' $DNS >"$WORK/resolv.conf"
printf 'nameserver %s\noptions timeout:1 attempts:2\n' $DNS_TTL >"$WORK/resolv-ttl.conf"

# Servers for the connects: accept and close.
for a in 127.0.0.80 127.0.0.81 127.0.0.82 127.0.0.84 127.0.0.85 127.0.0.86 127.0.0.87 127.0.0.90 \
	127.0.0.91; do
	"$B/tconn" -s $a $P4 >/dev/null &
	BG_PIDS+=("$!")
done
"$B/tconn" -s ::1 $P6 >/dev/null &
BG_PIDS+=("$!")
"$B/tconn" -s 127.0.0.81 $PT >/dev/null &
BG_PIDS+=("$!")
listening() { ss -Htln | grep -q "$1"; }
wait_for 5 listening "127.0.0.91:$P4" && wait_for 5 listening "\[::1\]:$P6"

# resolve [RESOLV] ARGS...: resconn (getaddrinfo, then connect at once) in a mount
# namespace of its own whose /etc/resolv.conf is RESOLV (default: $WORK/resolv.conf).
resolve() {
	local conf=$WORK/resolv.conf
	case $1 in /*) conf=$1; shift ;; esac
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
		"$conf" "$B/resconn" "$@"
}

# Without a cgroup2 mount (a mount namespace of its own with none): one line, exit 1, before
# any BPF is loaded.
unshare -m sh -c 'for m in $(awk '"'"'$9 == "cgroup2" { print $5 }'"'"' /proc/self/mountinfo); do
	umount -l "$m"; done; exec "$0" "$@"' "$T" -N >"$WORK/nocg.out" 2>"$WORK/nocg.err"
rc=$?
expect "-N where no cgroup2 is mounted: exit 1, one line saying so" \
	"status $rc: $(cat "$WORK/nocg.err")" \
	sh -c "[ $rc = 1 ] && [ \$(wc -l <'$WORK/nocg.err') = 1 ] && grep -q 'cgroup v2' '$WORK/nocg.err'"

# The tool's hosts file, changed below while it runs.
echo "127.0.0.90 hosts.test alias-of-hosts.test" >"$WORK/hosts"
export TCPCONNLAT_HOSTS=$WORK/hosts

start_tracer n -N -L -P $PORTS ||
	{ not_ok "-N starts" "$(cat "$WORK/n.err")"; exit 1; }
t_n=$TRACER_PID
# -j at the same time: dhost in every object.
start_quiet_tracer j -N -j -v -P $PORTS ||
	{ not_ok "-N -j starts" "$(cat "$WORK/j.err")"; exit 1; }
t_j=$TRACER_PID

# dhost_of FILE LPORT DADDR: the DHOST column of the last row of the connect from LPORT to
# DADDR (-L: fields 5 and 6; a local port comes again for another destination).
dhost_of() { awk -v p="$2" -v a="$3" 'NR > 1 && $5 == p && $6 == a { d = $9 } END { print d }' "$1"; }
# expect_dhost NAME LPORT DADDR WANT: once the row is out.
expect_dhost() {
	local got
	wait_for 3 has_line "$WORK/n.out" "\$5 == $2 && \$6 == \"$3\""
	got=$(dhost_of "$WORK/n.out" "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1"; else not_ok "$1" "DHOST '$got', want '$4' (lport $2, $3)"; fi
}

out=$(resolve -4 web.test $P4)
lp_web=$(lport_of "$out")
expect_dhost "an A answer names the connect made right after it (web.test)" "$lp_web" 127.0.0.80 web.test
out=$(resolve -6 v6.test $P6)
lp_v6=$(lport_of "$out")
expect_dhost "an AAAA answer names an IPv6 connect (v6.test)" "$lp_v6" ::1 v6.test
out=$(resolve -4 www.alias.test $P4)
lp_cname=$(lport_of "$out")
expect_dhost "a CNAME chain shows the query name, not the chain's end" "$lp_cname" 127.0.0.84 www.alias.test
dig +tcp +short @$DNS tcp.test >"$WORK/dig.out"
lp_tcp=$(lport_of "$(conn 127.0.0.81 $PT)")
expect_dhost "an answer over TCP (dig +tcp) names the connect" "$lp_tcp" 127.0.0.81 tcp.test
lp_hosts=$(lport_of "$(conn 127.0.0.90 $P4)")
expect_dhost "the hosts file names an address no answer gave" "$lp_hosts" 127.0.0.90 hosts.test
lp_unknown=$(lport_of "$(conn 127.0.0.91 $P4)")
expect_dhost "an address nobody named shows -" "$lp_unknown" 127.0.0.91 -

# One address, two names: each connect gets the name resolved last before it.
lp_old=$(lport_of "$(resolve -4 old.test $P4)")
lp_new=$(lport_of "$(resolve -4 new.test $P4)")
lp_after=$(lport_of "$(conn 127.0.0.82 $P4)")
expect_dhost "an address answered for two names: the first connect, the first name" \
	"$lp_old" 127.0.0.82 old.test
expect_dhost "... the connect after the second answer, the second name" "$lp_new" 127.0.0.82 new.test
expect_dhost "... a later connect without resolving, the last name" "$lp_after" 127.0.0.82 new.test

# The hosts file changes: read again (within about a second).
echo "127.0.0.90 renamed.test" >"$WORK/hosts.new" && touch -d '+2 seconds' "$WORK/hosts.new" &&
	mv "$WORK/hosts.new" "$WORK/hosts"
renamed() {
	local lp
	lp=$(lport_of "$(conn 127.0.0.90 $P4)")
	wait_for 2 has_line "$WORK/n.out" "\$5 == $lp" &&
		[ "$(dhost_of "$WORK/n.out" "$lp" 127.0.0.90)" = renamed.test ]
}
expect "a changed hosts file is read again" "$(tail -3 "$WORK/n.out")" wait_for 5 renamed

# TTL: answers with a TTL of 1 s (NAMES_MIN_TTL, 5 s, counts for shorter ones). One name is
# used for a connect at once, the other only resolved (dig): after the TTL, the used one is
# kept (a connection's name outlives its TTL), the other is gone.
lp_short=$(lport_of "$(resolve "$WORK/resolv-ttl.conf" -4 short.test $P4)")
expect_dhost "a short-TTL answer names the connect made at once" "$lp_short" 127.0.0.85 short.test
dig +short @$DNS_TTL brief.test >"$WORK/dig-brief.out"
sleep 6 # the TTL (at least NAMES_MIN_TTL) must pass: nothing to wait for but time
lp_kept=$(lport_of "$(conn 127.0.0.85 $P4)")
expect_dhost "after its TTL, a name used for a connect is kept" "$lp_kept" 127.0.0.85 short.test
lp_expired=$(lport_of "$(conn 127.0.0.86 $P4)")
expect_dhost "after its TTL, a name never used is gone (-)" "$lp_expired" 127.0.0.86 -
lp_again=$(lport_of "$(resolve "$WORK/resolv-ttl.conf" -4 brief.test $P4)")
expect_dhost "... and named again by the next answer" "$lp_again" 127.0.0.86 brief.test

stop_tracer $t_j
stop_tracer $t_n
# JSON: the same connects, dhost a string or null.
# jdhost LPORT DADDR: dhost of the last object of that connect (a local port comes again).
jdhost() {
	jq -r --argjson p "$1" --arg a "$2" 'select(.lport == $p and .daddr == $a) | .dhost // "null"' \
		"$WORK/j.out" | tail -1
}
expect "-j: dhost is the name" "$(jdhost "$lp_web" 127.0.0.80)" \
	test "$(jdhost "$lp_web" 127.0.0.80)" = web.test
expect "-j: dhost of a CNAME chain is the query name" "$(jdhost "$lp_cname" 127.0.0.84)" \
	test "$(jdhost "$lp_cname" 127.0.0.84)" = www.alias.test
jnull() {
	jq -c --argjson p "$lp_unknown" 'select(.lport == $p and .daddr == "127.0.0.91") | .dhost' \
		"$WORK/j.out" | tail -1
}
expect "-j: dhost is null for an unknown address" "$(jnull)" test "$(jnull)" = null
expect "-v: the answers read are counted at exit" "$(tail -2 "$WORK/j.err")" \
	grep -qE 'names: [1-9][0-9]* DNS answers read' "$WORK/j.err"

# ---- -H --by dhost, and a real Prometheus scraping --metrics --by dhost,dport ----
need_tracefs
for a in 127.0.0.80 127.0.0.84 127.0.0.91; do
	"$B/tconn" -s $a $PN >/dev/null &
	BG_PIDS+=("$!")
done
wait_for 5 listening "127.0.0.91:$PN"
start_quiet_tracer h -H --by dhost -P $PN ||
	not_ok "-H --by dhost starts" "$(cat "$WORK/h.err")"
t_h=$TRACER_PID
start_quiet_tracer m --metrics $PM --by dhost,dport -P $PN ||
	not_ok "--metrics --by dhost,dport starts" "$(cat "$WORK/m.err")"
t_m=$TRACER_PID
start_prometheus $PROM 127.0.0.1:$PM || not_ok "Prometheus starts" "$(cat "$WORK/prom.log")"
for i in 1 2 3; do resolve -4 web.test $PN >/dev/null; done
resolve -4 www.alias.test $PN >/dev/null
conn 127.0.0.91 $PN >/dev/null
C=tcpconnlat_connect_duration_seconds_count
expect "Prometheus: --by dhost,dport series of the name (3 connects)" \
	"$(prom_value "$C{dhost=\"web.test\",dport=\"$PN\"}"); $(curl -s 127.0.0.1:$PM/metrics | grep "^$C")" \
	wait_prom "$C{dhost=\"web.test\",dport=\"$PN\"}" 3 20
expect "Prometheus: a CNAME chain's series is the query name's" \
	"$(prom_value "$C{dhost=\"www.alias.test\"}")" prom_answers "$C{dhost=\"www.alias.test\",dport=\"$PN\"}" 1
expect "Prometheus: an unknown address's series is dhost=\"-\"" \
	"$(prom_value "$C{dhost=\"-\"}")" prom_answers "$C{dhost=\"-\",dport=\"$PN\"}" 1
stop_tracer $t_m
stop_tracer $t_h
expect "-H --by dhost: one histogram per name" "$(grep '^dhost' "$WORK/h.out")" \
	grep -q '^dhost web.test: count 3,' "$WORK/h.out"
expect "-H --by dhost: the CNAME's query name, and - for the unknown address" \
	"$(grep '^dhost' "$WORK/h.out")" \
	sh -c "grep -q '^dhost www.alias.test: count 1,' '$WORK/h.out' && grep -q '^dhost -: count 1,' '$WORK/h.out'"

# ---- a client in its own network namespace, its resolver reached over a veth ----
own_netns 6
V=tcl$$
ip link add ${V}h type veth peer name ${V}n netns "$NS" &&
	ip addr add 10.231.77.1/30 dev ${V}h && ip link set ${V}h up &&
	ip -n "$NS" addr add 10.231.77.2/30 dev ${V}n && ip -n "$NS" link set ${V}n up ||
	not_ok "veth to the test's namespace" "ip link failed"
on_exit 'ip link del ${V}h 2>/dev/null'
dnsmasq_on 10.231.77.1 --host-record=ready.test,10.231.77.1 --host-record=ns.test,10.231.77.1 ||
	not_ok "dnsmasq answers on the veth" "$(cat "$WORK/dnsmasq-10.231.77.1.log")"
printf 'nameserver 10.231.77.1\noptions timeout:1 attempts:2\n' >"$WORK/resolv-ns.conf"
"$B/tconn" -s 10.231.77.1 $P4 >/dev/null &
BG_PIDS+=("$!")
wait_for 5 listening "10.231.77.1:$P4"

# ---- hostile answers from a server of the test's own, and a flood ----
start_quiet_tracer x -N -v -P $P4 ||
	{ not_ok "-N -v starts" "$(cat "$WORK/x.err")"; exit 1; }
t_x=$TRACER_PID
out=$(ip netns exec "$NS" unshare -m sh -c \
	'mount --bind "$1" /etc/resolv.conf && exec "$2" -4 ns.test "$3"' sh \
	"$WORK/resolv-ns.conf" "$B/resconn" $P4)
lp_ns=$(lport_of "$out")
ns_row() { grep -qs "10.231.77.1 .*$P4 .* ns.test$" "$WORK/x.out"; }
expect "a client in another network namespace: its answer names its connect" \
	"$out; $(grep 10.231.77.1 "$WORK/x.out")" wait_for 3 ns_row
bad=$("$B/baddns" 127.0.0.79 bad)
lp_good=$(lport_of "$(conn 127.0.0.87 $P4)")
good_row() { grep -qs "127.0.0.87 .*$P4 .* good.bad.test$" "$WORK/x.out"; }
expect "after malformed answers (and one of 1000 records), a good one still names" \
	"$bad; $(grep 127.0.0.87 "$WORK/x.out")" wait_for 3 good_row
rss_before=$(awk '/^VmRSS/ { print $2 }' /proc/$t_x/status)
# 100,000 answers a second for 10 s, RSS sampled every second.
"$B/baddns" 127.0.0.79 flood 10 100000 >"$WORK/flood" &
flood_pid=$!
rss_max=$rss_before
while kill -0 $flood_pid 2>/dev/null; do
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/$t_x/status)
	[ "$rss" -gt "$rss_max" ] && rss_max=$rss
	sleep 1
done
wait $flood_pid
sent=$(sed -n 's/^sent //p' "$WORK/flood")
rss_after=$(awk '/^VmRSS/ { print $2 }' /proc/$t_x/status)
[ "$rss_after" -gt "$rss_max" ] && rss_max=$rss_after
expect "the flood ran at about 100,000 answers a second for 10 s ($sent sent)" "$(cat "$WORK/flood")" \
	test "${sent:-0}" -ge 900000
lp_after=$(lport_of "$(resolve -4 web.test $P4)")
after_row() { grep -qs "127.0.0.80 .*$P4 .* web.test$" "$WORK/x.out"; }
expect "after a flood of $sent answers, names still come" "$(tail -2 "$WORK/x.out")" \
	wait_for 5 after_row
# The cache is bounded (65536 pairs): 64 MiB is far above what it may hold, far below
# what $sent answers kept unbounded would take.
expect "memory stays bounded during the flood (RSS $rss_before KiB, at most $rss_max during it)" "" \
	test "$rss_max" -lt $((rss_before + 65536))
stop_tracer $t_x 5
report=$(grep 'names: .* DNS answers read' "$WORK/x.err" | tail -1)
num() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" <<<"$report"; }
read_n=$(sed -n 's/.*names: \([0-9]*\) DNS answers read.*/\1/p' <<<"$report")
expect "the exit report counts the malformed answers (5 sent)" "$report" \
	test "$(num 'malformed answers dropped')" -ge 5
expect "the exit report counts the answer longer than the capture" "$report" \
	test "$(num 'cut by the capture')" -ge 1
expect "every flood answer is read or counted lost ($sent sent)" "$report" \
	test $((read_n + $(num 'lost (buffer full)'))) -ge "$sent"
