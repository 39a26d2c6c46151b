#!/usr/bin/env bash
# make bench: what tracing costs, on this machine's kernel. Writes results.csv and report.md
# to BENCH_OUT, and prints the report. Never fails on noise: only when a part cannot run.
#   BENCH_SIZE=full (default) | tiny (the CI smoke run: every part, a few connects each)
#   BENCH_ONLY=cost: only the in-kernel cost per connect (section 2, with the parts, and the
#     cost to every other system call), for
#     measuring a change to the BPF programs; BENCH_COST_ROUNDS=N rounds of it (default 5),
#     BENCH_VARIANTS="hist exporter ..." only those variants (as named in the report)
# Needs root. The QEMU guests' part is bench/vm-bench.sh.
set -u
# tracefs (the exporter's syscall trace events, bpftrace), if missing, is mounted in a mount
# namespace of the bench's own: no mount outlives the bench, whatever ends it.
if [ -z "${BENCH_OWN_MNTNS:-}" ] && [ "$(id -u)" = 0 ] && ! mountpoint -q /sys/kernel/tracing; then
	BENCH_OWN_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
B=${BENCH_BIN:?BENCH_BIN: the bench binaries (run through make bench)}
OUT=${BENCH_OUT:-$B}
TRACER=${TCPCONNLAT:?TCPCONNLAT: the tracer to measure}
DROPSYN=${DROPSYN:?DROPSYN: the test helper that drops SYNs}
DNSFLOOD=${DNSFLOOD:?DNSFLOOD: the test helper that sends DNS answers (baddns)}
SIZE=${BENCH_SIZE:-full}
KERNEL=$(uname -r)
CSV=$OUT/results-host.csv
work=$(mktemp -d)
. "$here/lib.sh"

case $SIZE in
tiny) ROUNDS=2 CONNECTS=2000 STARTUP_RUNS=3 RATES="2000 0" INFLIGHT="0 500" IREPS=1 STALL=1 STORM_SECS=1 COST_ROUNDS=1 SYSCALLS=200000 MKDIRS=50 ;;
full) ROUNDS=15 CONNECTS=30000 STARTUP_RUNS=20 RATES="5000 20000 40000 0" INFLIGHT="0 1000 10000" IREPS=3 STALL=3 STORM_SECS=10 COST_ROUNDS=5 SYSCALLS=5000000 MKDIRS=2000 ;;
*) echo "bench: BENCH_SIZE must be tiny or full, not '$SIZE'" >&2 && exit 2 ;;
esac
COST_ROUNDS=${BENCH_COST_ROUNDS:-$COST_ROUNDS}
ONLY=${BENCH_ONLY:-}
case $ONLY in
'' | cost) ;;
*) echo "bench: BENCH_ONLY must be cost or empty, not '$ONLY'" >&2 && exit 2 ;;
esac
case $COST_ROUNDS in
'' | *[!0-9]* | 0) echo "bench: BENCH_COST_ROUNDS must be a number of rounds, not '$COST_ROUNDS'" >&2 && exit 2 ;;
esac
# The loads: NAME LOADGEN-FLAGS PORT-BASE (thread i listens on PORT-BASE + i). The client
# closes with a reset, except v4fin: FINs, the server first (more state changes per connect).
LOADS="v4:-t1:20000 v6:-6_-t1:20100 v4x2:-t2:20200 v4fin:-f_-t1:20600"
NETNS=tcb-bench
stats_was=$(sysctl -n kernel.bpf_stats_enabled)

cleanup() {
	[ -n "${TRACER_PID:-}" ] && tracer_stop
	[ -n "${PARTS_PID:-}" ] && kill -INT "$PARTS_PID" 2>/dev/null && wait "$PARTS_PID"
	[ -n "${DROP_PID:-}" ] && kill -INT "$DROP_PID" 2>/dev/null && wait "$DROP_PID"
	ip netns del "$NETNS" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench: $*" >&2 && exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (BPF)"
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
sysctl -qw kernel.bpf_stats_enabled=0
echo "kernel,section,variant,load,key,metric,value" >"$CSV"

# The variants this kernel can run: each of our backends that starts, then bpftrace.
variants="none"
for b in fentry kprobe tracepoint; do
	if "$B/startup" -n 1 -t 60 'LAT(ms)' "$TRACER" --backend "$b" | grep -q '^ms='; then
		variants="$variants $b"
		# The tracepoint backend's fallback for kernels without BTF tracepoints.
		[ $b = tracepoint ] && variants="$variants rawtp"
	else
		row info "$b" - - unavailable "$("$TRACER" --backend "$b" -d 1 2>&1 >/dev/null | head -1 | tr ',' ';')"
	fi
done
ours=${variants#none }
ours=${ours%% *}
[ "$ours" != none ] || die "no backend of ours starts on this kernel"
# -H (histograms at exit) and the Prometheus exporter (--metrics): aggregated in the kernel,
# nothing printed per connect; on the backend they choose by default (auto), as they are run:
# with keys that need no process identity that is the tracepoint backend, timing from the
# socket alone (bpf_config.no_inflight). hist-container is the process keys' (auto: $ours).
EXPORTER_PORT=41599
# The container features, each against the same mode without them (report.sh pairs them):
# containers = -G -C (the cgroup tracepoints attached, a cgroup id per connect, its path and
# container per line), against $ours; hist-container = -H --by container, against hist.
variants="$variants hist exporter names containers hist-container"
if command -v bpftrace >/dev/null; then
	variants="$variants bpftrace"
else
	row info bpftrace - - unavailable "bpftrace is not installed"
fi
tracer_cmd() { # VARIANT [OPTIONS...]
	local v=$1
	shift
	case $v in
	bpftrace) echo bpftrace "$here/tcpconnlat.bt" ;;
	hist) echo "$TRACER" -H "$@" ;;
	rawtp) echo env TCPCONNLAT_RAW_TRACEPOINTS=1 "$TRACER" --backend tracepoint "$@" ;;
	exporter) echo "$TRACER" --metrics $EXPORTER_PORT --by dport "$@" ;;
	# -N idle (no DNS in the load): its cgroup_skb program runs on every packet delivered.
	names) echo "$TRACER" --backend "$ours" -N "$@" ;;
	# No container API (a socket that is not there): the cost of -C without one's traffic.
	containers) echo "$TRACER" --backend "$ours" -G -C --container-api "$work/none.sock" "$@" ;;
	hist-container) echo "$TRACER" -H --by container --container-api "$work/none.sock" "$@" ;;
	*) echo "$TRACER" --backend "$v" "$@" ;;
	esac
}
if [ -n "${BENCH_VARIANTS:-}" ]; then
	for v in $BENCH_VARIANTS; do
		grep -qw -- "$v" <<<"$variants" || die "BENCH_VARIANTS: no variant '$v' here (variants: $variants)"
	done
	variants="none $BENCH_VARIANTS"
fi
echo "# bench ($SIZE) on $KERNEL: variants $variants" >&2
row pair containers - - base "$ours"
row pair hist-container - - base hist

# counted_to LO HI: the connects to ports [LO, HI] the exporter counted (successful or not).
counted_to() {
	curl -s --max-time 10 "http://127.0.0.1:$EXPORTER_PORT/metrics" | awk -v lo="$1" -v hi="$2" '
		/^tcpconnlat_connect_(duration_seconds_count|failures_total)\{/ &&
		match($0, /dport="[0-9]+"/) {
			p = substr($0, RSTART + 7, RLENGTH - 8) + 0
			if (p >= lo && p <= hi) n += $NF
		}
		END { print n + 0 }'
}

# 1. Connect-path overhead: per round and load, every variant back to back (the order turns
# each round), so that each traced run has an untraced one seconds away: this machine's
# rate drifts by tens of percent over minutes.
nv=$(echo "$variants" | wc -w)
[ "$ONLY" = cost ] && ROUNDS=0
for r in $(seq "$ROUNDS"); do
	turn=$(( (r - 1) % nv ))
	order=$(echo $variants $variants | tr ' ' '\n' | tail -n +$((turn + 1)) | head -n "$nv")
	for l in $LOADS; do
		IFS=: read -r name flags port <<<"$l"
		for v in $order; do
			[ "$v" = none ] || tracer_start "$v" "$work/out" $(tracer_cmd "$v") || die "$v did not start"
			res=$("$B/loadgen" ${flags//_/ } -n "$CONNECTS" -p "$port") || die "loadgen $name failed: $res"
			row overhead "$v" "$name" "$r" rate "$(field "$res" rate)"
			[ "$v" = none ] && continue
			hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$TRACER_PID/status")
			# The exporter prints no lines: what it counted stands for them.
			[ "$v" = exporter ] && counted=$(counted_to "$port" $((port + 63)))
			tracer_stop
			if [ "$v" = exporter ]; then
				row overhead "$v" "$name" "$r" lines "$counted"
			elif [ "$v" = hist ]; then # the histogram's count of all connects
				row overhead "$v" "$name" "$r" lines \
					"$(sed -n 's/^all: count \([0-9]*\),.*/\1/p' "$work/out" | head -1)"
			elif [ "$v" = hist-container ]; then # every container's count (the load's: -)
				row overhead "$v" "$name" "$r" lines \
					"$(sed -n 's/^container .*: count \([0-9]*\),.*/\1/p' "$work/out" | awk '{ s += $1 } END { print s + 0 }')"
			else
				row overhead "$v" "$name" "$r" lines "$(lines_to "$work/out" "$port" $((port + 63)))"
			fi
			row overhead "$v" "$name" "$r" connects "$(field "$res" connects)"
			[ "$v" = bpftrace ] || row overhead "$v" "$name" "$r" lost "$(lost_of "$work/out")"
			row rss "$v" "$name" "$r" hwm_kb "$hwm"
		done
	done
	echo "# overhead round $r/$ROUNDS done" >&2
done

# 2. In-kernel cost per connect: bpf_stats over an IPv4 load per variant, closed with a reset
# and with FINs, in a network namespace of its own (no other connect runs the programs);
# COST_ROUNDS rounds, the order of the variants turning each round (the report: medians).
ip netns del "$NETNS" 2>/dev/null
ip netns add "$NETNS" && ip -n "$NETNS" link set lo up || die "cannot make network namespace $NETNS"
sysctl -qw kernel.bpf_stats_enabled=1
traced=${variants#none }
nt=$(echo "$traced" | wc -w)
for r in $(seq "$COST_ROUNDS"); do
	turn=$(((r - 1) % nt))
	for v in $(echo $traced $traced | tr ' ' '\n' | tail -n +$((turn + 1)) | head -n "$nt"); do
		for l in v4:-p_20000 v4fin:-f_-p_20600; do
			IFS=: read -r name flags <<<"$l"
			prog_ids >"$work/before"
			tracer_start "$v" "$work/out" $(tracer_cmd "$v") || die "$v did not start"
			ip netns exec "$NETNS" "$B/loadgen" ${flags//_/ } -n "$CONNECTS" >/dev/null ||
				die "loadgen failed"
			stats_rows "$v" "$name" "$CONNECTS" "$work/before"
			tracer_stop
		done
	done
	echo "# cost round $r/$COST_ROUNDS done" >&2
done
# The cgroup tracepoints that -G, -C and the container keys attach run per cgroup made, not
# per connect: MKDIRS cgroups made and removed under a tracer with -G, ns per mkdir.
cgroot=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$cgroot" ]; then
	cg=$cgroot/tcb-bench-$$
	prog_ids >"$work/before"
	tracer_start containers "$work/out" $(tracer_cmd containers) || die "containers did not start"
	mkdir "$cg" || die "cannot make cgroup $cg"
	for i in $(seq "$MKDIRS"); do mkdir "$cg/c$i" && rmdir "$cg/c$i"; done
	rmdir "$cg"
	stats_rows cgroup-mkdir mkdir $((MKDIRS + 1)) "$work/before"
	tracer_stop
else
	row info containers - - unavailable "no cgroup2 file system mounted"
fi
# Where the nanoseconds go: bench/parts.bpf.c, one program per piece of work a connect costs.
prog_ids >"$work/before"
"$B/parts" "$B/parts.bpf.o" >"$work/parts" 2>&1 &
PARTS_PID=$!
until grep -q ready "$work/parts"; do
	kill -0 $PARTS_PID 2>/dev/null || die "parts did not start: $(cat "$work/parts")"
	sleep 0.1
done
ip netns exec "$NETNS" "$B/loadgen" -n "$CONNECTS" -p 20000 >/dev/null || die "loadgen failed"
stats_rows parts v4 "$CONNECTS" "$work/before"
kill -INT $PARTS_PID && wait $PARTS_PID
PARTS_PID=
ip netns del "$NETNS"
sysctl -qw kernel.bpf_stats_enabled=0

# 2b. What every other system call of the machine pays: the exporter's (and -x's) syscall
# trace event puts every task's syscalls on the kernel's traced path. ns per getppid(),
# untraced, printing lines, -H and the exporter, interleaved like the cost rounds.
sysv="none"
for v in "$ours" hist exporter; do grep -qw -- "$v" <<<"$variants" && sysv="$sysv $v"; done
nsys=$(echo "$sysv" | wc -w)
for r in $(seq "$COST_ROUNDS"); do
	turn=$(((r - 1) % nsys))
	for v in $(echo $sysv $sysv | tr ' ' '\n' | tail -n +$((turn + 1)) | head -n "$nsys"); do
		[ "$v" = none ] || tracer_start "$v" "$work/out" $(tracer_cmd "$v") || die "$v did not start"
		res=$("$B/syscalls" -n "$SYSCALLS") || die "syscalls failed: $res"
		row syscall "$v" getppid "$r" ns "$(field "$res" ns)"
		[ "$v" = none ] || tracer_stop
	done
done
sysctl -qw kernel.bpf_stats_enabled=1
if [ "$ONLY" = cost ]; then
	echo "# host part (cost only) done" >&2
	exit 0
fi

# 3. Lossless rate (2 threads, paced; 0 = as fast as the machine goes), with the default
# buffer and the smallest one; bpf_stats stay on for the per-event cost at each rate.
for pages in default 1; do
	for rate in $RATES; do
		opts=""
		[ "$pages" = default ] || opts="--buffer-pages $pages"
		prog_ids >"$work/before"
		tracer_start "$ours" "$work/out" $(tracer_cmd "$ours" $opts) || die "$ours did not start"
		res=$("$B/loadgen" -t 2 -r "$rate" -n "$CONNECTS" -p 20300) || die "loadgen failed: $res"
		n=$(field "$res" connects)
		stats_rows "rate-$rate" "pages-$pages" "$n" "$work/before"
		tracer_stop
		key="pages-$pages"
		row lossless "$rate" "$key" 0 rate "$(field "$res" rate)"
		row lossless "$rate" "$key" 0 connects "$n"
		row lossless "$rate" "$key" 0 lines "$(lines_to "$work/out" 20300 20301)"
		row lossless "$rate" "$key" 0 lost "$(lost_of "$work/out")"
	done
done
sysctl -qw kernel.bpf_stats_enabled=0

# Past the lossless rate: the reader stops for STALL s (a pipe nobody reads) while the load
# runs at full speed into a one-page buffer; then it reads again.
{
	"$TRACER" --backend "$ours" --buffer-pages 1 2>"$work/stall.err" &
	echo $! >"$work/stall.pid"
	wait
} | {
	IFS= read -r header
	echo "$header"
	sleep "$STALL"
	cat
} >"$work/stall" &
reader=$!
until [ -s "$work/stall" ]; do sleep 0.1; done
res=$("$B/loadgen" -t 2 -n "$CONNECTS" -p 20400)
sleep "$STALL"
pid=$(cat "$work/stall.pid")
kill -0 "$pid" 2>/dev/null && alive=1 || alive=0
"$B/loadgen" -n 10 -p 20402 >/dev/null
sleep 0.5
kill -INT "$pid"
wait "$reader"
row stall "$ours" pages-1 0 connects "$(field "$res" connects)"
row stall "$ours" pages-1 0 lines "$(lines_to "$work/stall" 20400 20401)"
row stall "$ours" pages-1 0 lost "$(sed -n 's/^tcpconnlat: \([0-9]*\) events lost in total$/\1/p' "$work/stall.err")"
row stall "$ours" pages-1 0 alive_after "$alive"
row stall "$ours" pages-1 0 lines_after "$(lines_to "$work/stall" 20402 20402)"

# 4. User-space throughput: synthetic events through the real formatting and output code.
for mode in text wide json; do
	flags=""
	[ "$mode" = wide ] && flags=-w
	[ "$mode" = json ] && flags=-j
	n=$((CONNECTS * 10))
	res=$("$B/fmtbench" -n "$n" $flags 2>&1 >/dev/null)
	row userspace "$mode" devnull 0 lines_per_s "$(field "$res" rate)"
	res=$({ "$B/fmtbench" -n "$n" $flags | cat >/dev/null; } 2>&1)
	row userspace "$mode" pipe 0 lines_per_s "$(field "$res" rate)"
done

# 4b. The exporter's scrape: rendering 1, 100 and 10,000 label sets in each format
# (expo_render(), no kernel), the median time of one scrape and its size.
[ "$SIZE" = tiny ] && SCRAPE_RUNS=3 || SCRAPE_RUNS=21
for sets in 1 100 10000; do
	for f in text openmetrics protobuf; do
		res=$("$B/scrapebench" -n "$sets" -r "$SCRAPE_RUNS" -f "$f")
		row scrape "$f" "$sets" 0 ms "$(field "$res" ms)"
		row scrape "$f" "$sets" 0 bytes "$(field "$res" bytes)"
	done
done

# 5. Start-up: exec to the header (printed once attached), and the peak RSS at that point.
for v in $variants; do
	case $v in none | hist | exporter | hist-container) continue ;; esac # they print no header
	i=0
	"$B/startup" -n "$STARTUP_RUNS" 'LAT(ms)' $(tracer_cmd "$v") 2>/dev/null | while read -r line; do
		i=$((i + 1))
		row startup "$v" - "$i" ms "$(field "$line" ms)"
		row startup "$v" - "$i" hwm_kb "$(field "$line" hwm_kb)"
	done
done

# 6. Scaling with handshakes in flight: K connects held to a port whose SYNs are dropped, in
# a namespace of the bench's own, while the IPv4 load runs there, untraced and traced.
ip netns del "$NETNS" 2>/dev/null
ip netns add "$NETNS" && ip -n "$NETNS" link set lo up || die "cannot make network namespace $NETNS"
ip netns exec "$NETNS" "$DROPSYN" -n 1000000000 20999 >"$work/drop" 2>&1 &
DROP_PID=$!
until grep -q ready "$work/drop"; do
	kill -0 $DROP_PID 2>/dev/null || die "dropsyn did not start: $(cat "$work/drop")"
	sleep 0.1
done
sysctl -qw kernel.bpf_stats_enabled=1
for k in $INFLIGHT; do
	for rep in $(seq "$IREPS"); do
		for v in none "$ours"; do
			if [ "$v" != none ]; then
				prog_ids >"$work/before"
				tracer_start "$v" "$work/out" $(tracer_cmd "$v") || die "$v did not start"
			fi
			res=$(ip netns exec "$NETNS" "$B/loadgen" -H "$k:20999" -n "$CONNECTS" -p 20500) ||
				die "loadgen failed: $res"
			row inflight "$v" "$k" "$rep" rate "$(field "$res" rate)"
			row inflight "$v" "$k" "$rep" held "$(field "$res" held)"
			row inflight "$v" "$k" "$rep" connects "$(field "$res" connects)"
			[ "$v" = none ] && continue
			stats_rows "inflight-$k" "$v" "$CONNECTS" "$work/before"
			tracer_stop
			row inflight "$v" "$k" "$rep" lines "$(lines_to "$work/out" 20500 20500)"
		done
	done
done
kill $DROP_PID 2>/dev/null
wait $DROP_PID 2>/dev/null

# 7. -N under a DNS storm: answers as fast as one sender goes (bench's own namespace), each
# through dns_ingress and the reader's parser and name cache. ns per answer in the kernel
# (bpf_stats; the rare other packets of the machine run it too), and every answer read or
# counted lost.
prog_ids >"$work/before"
tracer_start names-storm "$work/out" "$TRACER" --backend "$ours" -N -v -P 20998 ||
	die "-N did not start"
res=$(ip netns exec "$NETNS" "$DNSFLOOD" 127.0.0.79 flood "$STORM_SECS") || die "baddns failed: $res"
bpftool prog show -j | jq -r '.[] | select(.name == "dns_ingress") | "\(.id) \(.run_cnt // 0) \(.run_time_ns // 0)"' |
	while read -r id cnt ns; do
		grep -qx "$id" "$work/before" && continue
		[ "$cnt" -gt 0 ] && row names storm - - ns_per_answer $((ns / cnt))
	done
tracer_stop
report=$(grep 'names: .* DNS answers read' "$work/out.err" | tail -1)
row names storm - - sent "${res#sent }"
row names storm - - read "$(sed -n 's/.*names: \([0-9]*\) DNS answers read.*/\1/p' <<<"$report")"
row names storm - - lost "$(sed -n 's/.* \([0-9]*\) lost (buffer full).*/\1/p' <<<"$report")"
row names storm - - secs "$STORM_SECS"

# 7b. -N's other hook candidate, measured on the same loads in the same namespace: a socket
# filter on a packet socket (bench/sockdns.bpf.c). Per packet, and how many runs a connect
# and an answer cost it (loopback: a packet socket sees each packet going out and coming in).
sock_stats() { # NAME DIVISOR
	bpftool prog show -j | jq -r '.[] | select(.name == "sock_dns") | "\(.run_cnt // 0) \(.run_time_ns // 0)"' |
		while read -r cnt ns; do
			[ "$cnt" -gt 0 ] || continue
			row names "$1" - - sock_ns_per_run $((ns / cnt))
			row names "$1" - - sock_runs_per $(awk -v c="$cnt" -v n="$2" 'BEGIN { printf "%.2f", c / n }')
		done
}
ip netns exec "$NETNS" "$B/sockdns" "$B/sockdns.bpf.o" >"$work/sock" 2>&1 &
SOCK_PID=$!
until grep -q ready "$work/sock"; do
	kill -0 $SOCK_PID 2>/dev/null || die "sockdns did not start: $(cat "$work/sock")"
	sleep 0.1
done
ip netns exec "$NETNS" "$B/loadgen" -p 20000 -n "$CONNECTS" >/dev/null || die "loadgen failed"
sock_stats idle "$CONNECTS"
kill -INT $SOCK_PID
wait $SOCK_PID
ip netns exec "$NETNS" "$B/sockdns" "$B/sockdns.bpf.o" >"$work/sock" 2>&1 &
SOCK_PID=$!
until grep -q ready "$work/sock"; do sleep 0.1; done
res=$(ip netns exec "$NETNS" "$DNSFLOOD" 127.0.0.79 flood "$STORM_SECS") || die "baddns failed: $res"
sock_stats storm "${res#sent }"
kill -INT $SOCK_PID
wait $SOCK_PID
row names storm - - sock_read "$(sed -n 's/^packets=//p' "$work/sock")"
sysctl -qw kernel.bpf_stats_enabled=0
echo "# host part done" >&2
