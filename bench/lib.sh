# Shared by bench/bench.sh (the host, bash) and bench/guest-bench.sh (the QEMU guests,
# busybox sh): running a tracer around a load, and reading bpf_stats. Sourced; the caller
# sets KERNEL and CSV.

# row SECTION VARIANT LOAD ROUND METRIC VALUE: one CSV row (the caller's KERNEL first).
row() { echo "$KERNEL,$1,$2,$3,$4,$5,$6" >>"$CSV"; }

# The ids of the BPF programs loaded now, one per line.
prog_ids() { bpftool prog show -j 2>/dev/null | jq -r '.[].id' | sort -n; }

# tracer_start NAME OUTFILE COMMAND...: starts a tracer, waits (up to 120 s) for its header
# (or, for output without one, its "tracing" line on stderr).
# Sets TRACER_PID; returns non-zero (and stops it) if no header came.
tracer_start() {
	local name=$1 out=$2 i=0
	shift 2
	# Emptied here, not by the redirection below: that happens in the child, and until it
	# does the previous run's header would pass for this one's.
	: >"$out"
	"$@" >"$out" 2>"$out.err" &
	TRACER_PID=$!
	until grep -q 'LAT(ms)' "$out" 2>/dev/null || grep -q '^tcpconnlat: tracing' "$out.err" 2>/dev/null; do
		if ! kill -0 "$TRACER_PID" 2>/dev/null || [ $i -ge 1200 ]; then
			echo "# $name did not start: $(head -c 300 "$out.err" | tr '\n' ' ')" >&2
			tracer_stop
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

tracer_stop() {
	kill -INT "$TRACER_PID" 2>/dev/null
	wait "$TRACER_PID" 2>/dev/null
}

# Lines of a tracer's OUTFILE for connects to ports [LO, HI] (DPORT is the 6th column of
# the default output of every tracer here: PID COMM IP SADDR DADDR DPORT LAT(ms)).
lines_to() { awk -v lo="$2" -v hi="$3" '$6 >= lo && $6 <= hi' "$1" | wc -l; }

# What our tool reported lost, from its stderr ("N events lost in total").
lost_of() { sed -n 's/^tcpconnlat: \([0-9]*\) events lost in total$/\1/p' "$1.err" | tail -1 | grep . || echo 0; }

# A field of loadgen's output line: field LINE NAME.
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# stats_rows VARIANT LOAD CONNECTS BEFORE-IDS: bpf_stats of the programs loaded since
# BEFORE-IDS (a file), as rows: ns per run of each program, all of them per connect, and the
# part of that spent in the syscall tracepoints' programs (sys_*: the exporter's and -x's).
stats_rows() {
	bpftool prog show -j | jq -r '.[] | "\(.id) \(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"' |
		{
			total=0 sys=0
			while read -r id name cnt ns; do
				grep -qx "$id" "$4" && continue
				[ "$cnt" -gt 0 ] || continue
				row bpf "$1" "$2" "$name" ns_per_run $((ns / cnt))
				row bpf "$1" "$2" "$name" runs_per_connect \
					"$(awk -v c="$cnt" -v n="$3" 'BEGIN { printf "%.2f", c / n }')"
				total=$((total + ns))
				case $name in sys_*) sys=$((sys + ns)) ;; esac
			done
			row bpf "$1" "$2" all ns_per_connect $((total / $3))
			row bpf "$1" "$2" syscalls ns_per_connect $((sys / $3))
		}
}
