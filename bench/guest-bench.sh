#!/bin/busybox sh
# The QEMU guests' part of make bench: guest.sh (the initramfs's /init) runs it when the
# kernel command line has tcb.bench=SIZE. Measures, on loopback, connect rates untraced, with
# each of our backends and with BCC's tcpconnlat, in interleaved rounds; bpf_stats per
# program; start-up time. Prints the rows as "BENCH <csv row>" lines, then "DONE".
KERNEL=$(uname -r)
CSV=/tmp/bench.csv
SIZE=$(sed -n 's/.*tcb\.bench=\([a-z]*\).*/\1/p' /proc/cmdline)
. /bench-lib.sh
case $SIZE in
tiny) ROUNDS=1 CONNECTS=200 STARTUP_RUNS=2 ;;
*) ROUNDS=5 CONNECTS=3000 STARTUP_RUNS=5 ;;
esac
LOADS="v4:-t1:20000 v6:-6:20100"
# The reference writes nothing to a pipe or file until it exits unless line-buffered.
BCC="env LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so _STDBUF_O=L bcc-tcpconnlat"

finish() {
	sed 's/^/BENCH /' "$CSV"
	echo "DONE"
	poweroff -f
}
: >"$CSV"
ip link set lo up
sysctl -qw kernel.bpf_stats_enabled=0

variants=none
for b in fentry kprobe tracepoint; do
	if startup -n 1 -t 120 'LAT(ms)' tcpconnlat --backend $b | grep -q '^ms='; then
		variants="$variants $b"
	else
		row info $b - - unavailable "did not start"
	fi
done
# -H and the exporter (--textfile, the guests have no HTTP client) on auto, as users run them.
variants="$variants hist exporter bcc"
tracer_cmd() {
	case $1 in
	bcc) echo "$BCC" ;;
	hist) echo "tcpconnlat -H" ;;
	exporter) echo "tcpconnlat --textfile /tmp/m.prom -i 1 --by dport" ;;
	*) echo "tcpconnlat --backend $1" ;;
	esac
}
# counted: what -H or the exporter counted, connects and failures (they print no lines).
counted() {
	case $1 in
	hist) sed -n 's/^all: count \([0-9]*\),.*/\1/p' /tmp/out | head -1 ;;
	exporter) awk '/^tcpconnlat_connect_(duration_seconds_count|failures_total)\{/ { n += $NF } END { print n + 0 }' /tmp/m.prom ;;
	esac
}
echo "# bench ($SIZE): variants $variants"

# Warm-up: QEMU translates kernel code on first use; no round should pay for that.
timeout 60 loadgen -n "$CONNECTS" >/dev/null
for r in $(seq "$ROUNDS"); do
	for v in $variants; do
		[ "$v" = none ] || tracer_start "$v" /tmp/out $(tracer_cmd "$v") || continue
		for l in $LOADS; do
			name=${l%%:*} port=${l##*:} flags=${l#*:}
			flags=${flags%:*}
			echo "# $v $name at $(cut -d' ' -f1 /proc/uptime) s"
			res=$(timeout 60 loadgen $flags -n "$CONNECTS" -p "$port")
			row overhead "$v" "$name" "$r" rate "$(field "$res" rate)"
		done
		[ "$v" = none ] && continue
		hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$TRACER_PID/status")
		# The exporter writes its file every second.
		[ "$v" = exporter ] && sleep 1.5
		tracer_stop
		case $v in
		hist | exporter) row overhead "$v" v4 "$r" lines "$(counted "$v")" ;;
		*)
			for l in $LOADS; do
				name=${l%%:*} port=${l##*:}
				row overhead "$v" "$name" "$r" lines "$(lines_to /tmp/out "$port" "$port")"
			done
			;;
		esac
		row overhead "$v" all "$r" connects $((CONNECTS * 2))
		[ "$v" = bcc ] || row overhead "$v" all "$r" lost "$(lost_of /tmp/out)"
		row rss "$v" all "$r" hwm_kb "$hwm"
		[ -s /tmp/out.err ] && echo "# $v stderr: $(head -c 400 /tmp/out.err | tr '\n' ' ')"
	done
	echo "# round $r done"
done

sysctl -qw kernel.bpf_stats_enabled=1
for v in $variants; do
	[ "$v" = none ] && continue
	prog_ids >/tmp/before
	tracer_start "$v" /tmp/out $(tracer_cmd "$v") || continue
	loadgen -n "$CONNECTS" -p 20000 >/dev/null
	stats_rows "$v" v4 "$CONNECTS" /tmp/before
	tracer_stop
done
sysctl -qw kernel.bpf_stats_enabled=0

for v in $variants; do
	case $v in none | hist | exporter) continue ;; esac # they print no header
	i=0
	startup -n "$STARTUP_RUNS" -t 120 'LAT(ms)' $(tracer_cmd "$v") 2>/dev/null >/tmp/startup
	while read -r line; do
		i=$((i + 1))
		row startup "$v" - "$i" ms "$(field "$line" ms)"
		row startup "$v" - "$i" hwm_kb "$(field "$line" hwm_kb)"
	done </tmp/startup
done
finish
