#!/usr/bin/env bash
# Start markers: once the tool says tracing has started (the text header, -v's "using the ...
# backend" line, -H's "tracing; ..." line), every connect from then on is printed. Start-up
# is made slow on purpose: strace delays every perf_event_open() (the perf buffer's per-CPU
# events, and the classic tracepoints' attach) by DELAY_MS, so a marker that came before the
# perf buffer existed would leave a window of DELAY_MS per CPU in which connects are lost.
. "$(dirname "$0")/common.sh"
require_bpf
DELAY_MS=300
PORT=41810

command -v strace >/dev/null || { not_ok "strace is installed" "make test-deps"; exit 1; }
WRAP=(strace -o /dev/null -e trace=perf_event_open
	-e inject=perf_event_open:delay_enter=$((DELAY_MS * 1000)) --)
START_SECS=30

# The tool runs as strace's child: SIGINT goes to the tool itself (strace would detach).
tool_pid() {
	local p
	for _ in $(seq 100); do
		p=$(cat /proc/"$1"/task/"$1"/children 2>/dev/null)
		[ -n "$p" ] && { echo "$p"; return; }
		sleep 0.02
	done
}

# slow_case NAME MARKER-REGEX FILE LINES ARGS...: the tool under strace until MARKER shows
# in $WORK/NAME.FILE, then at once 3 connects, and the tool stopped once its stdout has
# LINES lines (0: the output comes at exit); sets LPORTS (their local ports, '|'-separated)
# and RC (the tool's exit status; 124: it did not exit within 5 s of SIGINT; "no start").
slow_case() {
	local name=$1 regex=$2 file=$3 lines=$4 pid
	shift 4
	LPORTS="" RC="no start"
	if ! start_until "$name" "$file" "$regex" -P $PORT "$@"; then
		not_ok "$name: the tool starts under strace" "$(tail -3 "$WORK/$name.err")"
		return
	fi
	LPORTS=$(conn -n 3 -l 127.0.0.1 $PORT | sed -n 's/^ok lport=//p' | paste -sd'|')
	wait_lines "$WORK/$name.out" "$lines" 5
	pid=$(tool_pid "$TRACER_PID")
	kill -INT "${pid:-$TRACER_PID}"
	# strace exits with its child's status; stop_tracer only waits, its SIGINT finds nobody
	# left.
	stop_tracer "$TRACER_PID" 5
	RC=$?
}

# The marker is the last thing the tool says before it traces: after it nothing of the
# start-up may be delayed any more (the whole start-up takes at least DELAY_MS per CPU).
# Each case prints its line whatever happened: a crash, an exit status other than 0 or a
# hang fails it.
slow_case json '^tcpconnlat: using the' err 3 -j -v
got=$(jq -r .lport "$WORK/json.out" 2>/dev/null | paste -sd'|')
expect "-j -v: 3 connects right after 'using the ... backend' are all printed, exit 0" \
	"status $RC, made $LPORTS, printed '$got'; $(grep -v '^libbpf' "$WORK/json.err" | tail -3 | tr '\n' '|')" \
	test "$RC" = 0 -a -n "$LPORTS" -a "$got" = "$LPORTS"
slow_case text 'LAT\(ms\)' out 4 -L
got=$(awk 'NR > 1 { print $5 }' "$WORK/text.out" 2>/dev/null | paste -sd'|')
expect "text: 3 connects right after the header are all printed, exit 0" \
	"status $RC, made $LPORTS, printed '$got'; $(tail -3 "$WORK/text.err" | tr '\n' '|')" \
	test "$RC" = 0 -a -n "$LPORTS" -a "$got" = "$LPORTS"
slow_case hist '^tcpconnlat: tracing' err 0 -H
expect "-H: 3 connects right after 'tracing; ...' are all counted, exit 0" \
	"status $RC; $(cat "$WORK/hist.out" "$WORK/hist.err" | tr '\n' '|')" \
	eval 'test "$RC" = 0 && grep -q "^all: count 3," "$WORK/hist.out"'
