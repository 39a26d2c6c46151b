#!/usr/bin/env bash
# Faults: a reader that stops reading or goes away; SIGTERM, SIGINT and kill -9 at each stage
# of a run (start-up under strace, idle, busy, blocked on a full pipe); two instances at once;
# kernel pieces missing (bad --btf files, no tracefs, and, through strace's fault injection,
# no tracepoint, no bpf(), no perf buffer). The traced processes never wait for the tool,
# every run ends quietly or with one clear line, and nothing of a run stays loaded.
. "$(dirname "$0")/common.sh"
require_bpf
LOADGEN=$(dirname "$B")/bench/loadgen
for tool in "$LOADGEN" "$B/outpeer" strace jq bpftool; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$(basename "$0") can run" "$tool is missing"
		exit 1
	fi
done

# Ports of this test's own connects; every run filters on them (-P), so connects of other
# tests on this machine do not reach it, and a run with nothing to trace stays idle.
PORT=43100

# Our BPF programs' names as the kernel keeps them (our_prog_names), as one alternation.
OUR_PROGS=$(our_prog_names | paste -sd'|')
# Program ids only grow: a program of a run of this test has a higher one than any now.
BASE_ID=$(prog_base)

# bpf_ids PID: "prog ID" and "map ID" lines for the BPF programs and maps PID holds.
bpf_ids() {
	sed -n 's/^\(prog\|map\)_id:[[:space:]]*\([0-9]*\)$/\1 \2/p' /proc/"$1"/fdinfo/* \
		2>/dev/null | sort -u
}

# loaded IDS: the "KIND ID" lines of IDS that the kernel still has.
loaded() {
	local kind id
	while read -r kind id; do
		[ -n "$kind" ] || continue
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$kind $id"
	done <<<"$1"
}

# wait_gone IDS: true once none of IDS is loaded (the kernel frees some of it after the
# process has gone: up to 5 s); otherwise prints those left.
wait_gone() {
	local i left
	for i in $(seq 50); do
		left=$(loaded "$1")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo $left
	return 1
}

# orphans: programs of ours (by name) loaded since this test started that no live process
# holds: what an ended run left behind. Concurrent instances (other tests) hold theirs.
orphans() {
	local ours
	ours=$(our_progs_since "$BASE_ID" | sort)
	[ -n "$ours" ] || return 0
	# Programs are held by their own descriptors or their links'; only those descriptors'
	# fdinfo is read (a load test's process may hold thousands of sockets).
	comm -23 <(echo "$ours") <(find /proc/[0-9]*/fd \( -lname 'anon_inode:bpf-prog' -o \
		-lname 'anon_inode:bpf_link' \) 2>/dev/null | sed 's,/fd/,/fdinfo/,' |
		xargs -r cat 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
}

# no_orphans: true once no orphan is left, within 5 s (another run that ended at the same
# moment may show one briefly); otherwise prints them.
no_orphans() {
	local i left
	for i in $(seq 25); do
		left=$(orphans)
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	echo $left
	return 1
}

# quiet_stderr FILE: only the tool's own lost-event counts, if anything.
quiet_stderr() {
	! grep -vqE '^tcpconnlat: (lost [0-9]+ events on CPU [0-9]+ \(output not read fast enough\)|[0-9]+ events lost in total)$' "$1"
}

# lines_to FILE PORT: the tool's rows (default columns: DPORT is the 6th) for PORT.
lines_to() { awk -v p="$2" 'NR > 1 && $6 == p' "$1" | wc -l; }

lost_in() { sed -n 's/^tcpconnlat: \([0-9]*\) events lost in total$/\1/p' "$1" | grep . || echo 0; }

# in_syscall PID NR: PID sits in system call NR (x86-64 numbers).
in_syscall() { [ "$(cut -d' ' -f1 /proc/"$1"/syscall 2>/dev/null)" = "$2" ]; }
# in_write PID: in write(2), blocked on a full pipe.
in_write() { in_syscall "$1" 1; }
# lines_at_least FILE PORT N: the tool has printed N rows for PORT or more.
lines_at_least() { [ "$(lines_to "$1" "$2")" -ge "$3" ]; }

# wait_exit PID SECS: true if PID (a child) exits within SECS; its status in RC, the time
# from the call in MS. Kills it otherwise.
wait_exit() {
	local i s
	s=$(date +%s%N)
	for i in $(seq $(($2 * 50))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	MS=$((($(date +%s%N) - s) / 1000000))
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1" 2>/dev/null
		RC=timeout
		return 1
	fi
	RC=0
	wait "$1" 2>/dev/null || RC=$?
}

# start_stalled NAME PORTS: the tool (-P PORTS, a one-page buffer) writing into a fifo whose
# reader (cat, into $WORK/NAME.out) is stopped once the header has arrived. Sets STALL_TOOL
# and STALL_READER.
start_stalled() {
	mkfifo "$WORK/$1.fifo"
	"$T" -P "$2" --buffer-pages 1 >"$WORK/$1.fifo" 2>"$WORK/$1.err" &
	STALL_TOOL=$!
	BG_PIDS+=("$STALL_TOOL")
	cat "$WORK/$1.fifo" >"$WORK/$1.out" &
	STALL_READER=$!
	BG_PIDS+=("$STALL_READER")
	wait_for 10 grep -qs 'LAT(ms)' "$WORK/$1.out"
	kill -STOP "$STALL_READER"
}

# 1. The reader stops reading (SIGSTOP) while a load runs into a one-page buffer: the load
#    is not held up, the samples the pipe cannot take are dropped and counted, and the output
#    goes on once the reader reads again.
N=20000
res0=$("$LOADGEN" -n $N -p $PORT)
start_stalled stall $PORT,$((PORT + 1))
tpid=$STALL_TOOL rpid=$STALL_READER
res1=$("$LOADGEN" -n $N -p $PORT)
# The tool waits for the pipe, not the traced processes for the tool.
wait_for 5 in_write "$tpid"
blocked=$(cut -d' ' -f1 /proc/"$tpid"/syscall 2>/dev/null)
kill -CONT "$rpid"
# The tool has caught up (the pipe and its one page drained: back in epoll_wait, call 232)
# before the later connects: otherwise they fill the page still full of the old ones.
wait_for 5 in_syscall "$tpid" 232
res2=$("$LOADGEN" -n 10 -p $((PORT + 1)))
wait_for 5 lines_at_least "$WORK/stall.out" $((PORT + 1)) 10
stop_tracer "$tpid"
rc=$?
wait "$rpid"
t0=$(field "$res0" secs) t1=$(field "$res1" secs)
c1=$(field "$res1" connects) c2=$(field "$res2" connects)
l1=$(lines_to "$WORK/stall.out" $PORT) l2=$(lines_to "$WORK/stall.out" $((PORT + 1)))
lost=$(lost_in "$WORK/stall.err")
ratio=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.2f", a / b }')
echo "# stalled reader: $N connects in ${t0}s untraced, ${t1}s traced (x$ratio);" \
	"$l1 printed + $lost lost of $c1; $l2 of $c2 after the reader resumed"
expect "stopped reader: the tool waits in write(), the load is not held up (<= 3x + 1 s)" \
	"syscall '$blocked', untraced ${t0}s, traced ${t1}s" \
	awk -v a="$t1" -v b="$t0" -v w="$blocked" 'BEGIN { exit !(w == 1 && a <= 3 * b + 1) }'
expect "stopped reader: samples were dropped and counted" "lost $lost" test "$lost" -gt 0
expect "stopped reader: output resumes with the reader (every later connect shows)" \
	"$l2 of $c2 lines" test "$l2" = "$c2" -a "$c2" = 10
expect "stopped reader: printed + lost = connects, exit 0, stderr only the lost counts" \
	"status $rc, $l1 + $l2 + $lost vs $c1 + $c2, stderr: $(head -3 "$WORK/stall.err")" \
	eval "test $rc = 0 -a $((l1 + l2 + lost)) = $((c1 + c2)) && quiet_stderr '$WORK/stall.err'"

# 2. The reader goes away while nothing is traced: the tool notices without a write (pipe:
#    POLLERR, socket: POLLHUP) and exits 0 within 1 s, quietly, its programs gone. With -H
#    too: the histograms would have nowhere to go. (A text run into a pipe: test_run.sh.)
# reader_leaves NAME MODE FILE REGEX ARGS...: tool ARGS under outpeer (MODE -s: a socket, -p:
# a pipe); once $WORK/NAME.FILE matches REGEX (tracing has started), the reader leaves.
reader_leaves() {
	local name=$1 mode=$2 file=$3 re=$4 kind=pipe peer go pid ids st ms rest left
	shift 4
	mkfifo "$WORK/$name.go"
	if [ "$mode" = -s ]; then kind=socket; else mode=; fi
	"$B/outpeer" $mode "$T" "$@" <"$WORK/$name.go" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	peer=$!
	BG_PIDS+=("$peer")
	exec {go}>"$WORK/$name.go"
	wait_for 10 grep -qsE "$re" "$WORK/$name.$file"
	pid=$(sed -n 's/^pid=//p' "$WORK/$name.out")
	ids=$(bpf_ids "$pid")
	echo go >&"$go"
	exec {go}>&-
	wait "$peer"
	st=$(sed -n 's/^status=\([^ ]*\) .*/\1/p' "$WORK/$name.out")
	ms=$(sed -n 's/^status=.* ms=//p' "$WORK/$name.out")
	# Nothing on stderr but the line that said tracing had started.
	if [ "$file" = err ]; then
		rest=$(sed "0,/$re/d" "$WORK/$name.err")
	else
		rest=$(cat "$WORK/$name.err")
	fi
	left=$(wait_gone "$ids")
	echo "# reader of '$*' ($kind) gone: exit $st after $ms ms"
	expect "reader of '$*' on a $kind leaves: exit 0 within 1 s, quiet, programs gone" \
		"status '$st' after '$ms' ms, stderr '$rest', ids '$(echo $ids)', left '$left'" \
		test "$st" = 0 -a "${ms:-9999}" -lt 1000 -a -z "$rest" -a -n "$ids" -a -z "$left"
}
P=$((PORT + 20))
reader_leaves jpipe -p err '^tcpconnlat: using the' -j -v -P $P
reader_leaves hpipe -p err '^tcpconnlat: tracing' -H -P $P
reader_leaves hipipe -p err '^tcpconnlat: tracing' -H -i 1 -P $P
reader_leaves tsock -s out 'LAT\(ms\)' -P $P
reader_leaves jsock -s err '^tcpconnlat: using the' -j -v -P $P
reader_leaves hsock -s err '^tcpconnlat: tracing' -H --by dport -P $P

# The reader leaves a busy run: the same, and no "events lost in total" for the events that
# pile up while the run ends (a reader that left could take none of them).
P=$((PORT + 25))
mkfifo "$WORK/busyleave.go"
"$B/outpeer" "$T" -P $P <"$WORK/busyleave.go" >"$WORK/busyleave.out" 2>"$WORK/busyleave.err" &
peer=$!
BG_PIDS+=("$peer")
exec {go}>"$WORK/busyleave.go"
wait_for 10 grep -qs 'LAT(ms)' "$WORK/busyleave.out"
"$LOADGEN" -s 1 -p $P >/dev/null &
lpid=$!
BG_PIDS+=("$lpid")
# Busy: the load's rows are coming.
wait_for 5 lines_at_least "$WORK/busyleave.out" $P 100
echo go >&"$go"
exec {go}>&-
wait "$peer"
wait "$lpid"
st=$(sed -n 's/^status=\([^ ]*\) .*/\1/p' "$WORK/busyleave.out")
ms=$(sed -n 's/^status=.* ms=//p' "$WORK/busyleave.out")
n=$(lines_to "$WORK/busyleave.out" $P)
echo "# reader of a busy run gone after $n lines: exit $st after $ms ms"
expect "reader of a busy run leaves: exit 0 within 1 s, no 'events lost in total'" \
	"status '$st' after '$ms' ms, $n lines, stderr: $(head -3 "$WORK/busyleave.err")" \
	eval "test '$st' = 0 -a '${ms:-9999}' -lt 1000 -a $n -gt 0 &&
	! grep -q 'lost in total' '$WORK/busyleave.err'"

# 3. SIGTERM and SIGINT at each stage of start-up, injected by strace at one system call: the
#    first bpf() (nothing loaded yet), the load of the programs that will run (the verifier
#    sees the signal: EAGAIN, libbpf loads again), their attach, the perf buffer's set-up.
#    The start-up completes, the run ends at once: exit 0, nothing on stderr, nothing left.
P=$((PORT + 30))
strace -f -q -o "$WORK/dry" -e trace=bpf,perf_event_open "$T" -d 1 -P $P >/dev/null 2>&1
grep 'bpf(' "$WORK/dry" >"$WORK/dry.bpf"
attach=$(grep -nm1 -E 'BPF_RAW_TRACEPOINT_OPEN|BPF_LINK_CREATE' "$WORK/dry.bpf" | cut -d: -f1)
load=$(head -n "${attach:-0}" "$WORK/dry.bpf" | grep -n 'BPF_PROG_LOAD' |
	grep -E "prog_name=\"($OUR_PROGS)\"" | tail -1 | cut -d: -f1)
pbuf=$(grep 'perf_event_open(' "$WORK/dry" | grep -nm1 PERF_COUNT_SW_BPF_OUTPUT | cut -d: -f1)
expect "strace shows the stages of start-up (load, attach, perf buffer)" \
	"bpf() calls: $(wc -l <"$WORK/dry.bpf"), load '$load', attach '$attach', buffer '$pbuf'" \
	test -n "$load" -a -n "$attach" -a -n "$pbuf"
for stage in "first-bpf bpf 1" "load bpf ${load:-1}" "attach bpf ${attach:-1}" \
	"perf-buffer perf_event_open ${pbuf:-1}"; do
	read -r sname call nth <<<"$stage"
	for sig in TERM INT; do
		name=st-$sname-$sig
		strace -f -q -ttt -o "$WORK/$name.st" -e trace=bpf,perf_event_open \
			-e inject="$call:signal=SIG$sig:when=$nth" "$T" -P $P \
			>"$WORK/$name.out" 2>"$WORK/$name.err" &
		spid=$!
		BG_PIDS+=("$spid")
		wait_exit "$spid" 15
		# From the signal's delivery to the exit, by strace's clock.
		ms=$(awk -v s="SIG$sig" '$3 == "---" && $4 == s { a = $2 } $3 == "+++" { b = $2 }
			END { if (a && b) printf "%d", (b - a) * 1000; else print "none" }' "$WORK/$name.st")
		left=$(no_orphans)
		echo "# SIG$sig at $sname: exit $RC, $ms ms after the signal"
		expect "SIG$sig at $sname: exit 0 within 2 s of the signal, quiet, nothing left" \
			"status $RC, ms '$ms', stderr '$(head -3 "$WORK/$name.err")', left '$left'" \
			test "$RC" = 0 -a "$ms" != none -a "${ms/none/9999}" -lt 2000 \
			-a ! -s "$WORK/$name.err" -a -z "$left"
	done
done

# 3b. ... and while busy: printing a load's connects to a file, and blocked writing to a
#     reader that stopped reading (a full pipe; the signal ends the write: no error).
P=$((PORT + 40))
for sig in TERM INT; do
	start_tracer busy$sig -P $P
	pid=$TRACER_PID
	"$LOADGEN" -s 1 -p $P >"$WORK/busy$sig.load" &
	lpid=$!
	BG_PIDS+=("$lpid")
	wait_for 5 lines_at_least "$WORK/busy$sig.out" $P 100
	ids=$(bpf_ids "$pid")
	n=$(lines_to "$WORK/busy$sig.out" $P)
	kill -$sig "$pid"
	wait_exit "$pid" 5
	left=$(wait_gone "$ids")
	wait "$lpid"
	echo "# SIG$sig while busy ($n lines so far): exit $RC after $MS ms"
	expect "SIG$sig while busy: exit 0 within 2 s, stderr only lost counts, programs gone" \
		"status $RC after $MS ms, $n lines, ids '$(echo $ids)', left '$left'" eval \
		"test $RC = 0 -a $MS -lt 2000 -a $n -gt 0 -a -n '$ids' -a -z '$left' &&
		quiet_stderr '$WORK/busy$sig.err'"

	start_stalled full$sig $P
	pid=$STALL_TOOL rpid=$STALL_READER
	"$LOADGEN" -n 5000 -p $P >/dev/null
	wait_for 5 in_write "$pid"
	blocked=$(cut -d' ' -f1 /proc/"$pid"/syscall 2>/dev/null)
	ids=$(bpf_ids "$pid")
	kill -$sig "$pid"
	wait_exit "$pid" 5
	kill -CONT "$rpid"
	wait "$rpid"
	left=$(wait_gone "$ids")
	echo "# SIG$sig while blocked on a full pipe: exit $RC after $MS ms"
	expect "SIG$sig while blocked writing to a stopped reader: exit 0 within 2 s, no error" \
		"syscall '$blocked', status $RC after $MS ms, stderr: $(grep -v lost "$WORK/full$sig.err")" \
		eval "test '$blocked' = 1 -a $RC = 0 -a $MS -lt 2000 -a -n '$ids' -a -z '$left' &&
		quiet_stderr '$WORK/full$sig.err'"
done

# 4. kill -9 at each stage: paused by strace at the load of the programs that will run, or
#    at the perf buffer's set-up (loaded, not attached yet); after the header; while busy. All the programs
#    and maps the process held (read from its fdinfo while it lived) are gone, bpftool perf
#    shows nothing for it, and no program of ours is left without an owner.
P=$((PORT + 50))
# paused_at PID NR [ARG0]: true once PID sits in system call NR (x86-64 numbers), with first
# argument ARG0 if given, for 3 looks in a row: not a call that passes, the one strace holds.
paused_at() {
	local i n=0 f=1 want=$2
	[ -n "${3:-}" ] && f=1,2 want="$2 $3"
	for i in $(seq 300); do
		if [ "$(cut -d' ' -f$f /proc/"$1"/syscall 2>/dev/null)" = "$want" ]; then
			n=$((n + 1))
			[ $n -ge 3 ] && return 0
		else
			n=0
		fi
		sleep 0.03
	done
	return 1
}
# kill9 NAME PID [STRACE-PID]: kill -9 of a tracer; checks that what it held is gone.
kill9() {
	local name=$1 pid=$2 ids nperf before left perf
	ids=$(bpf_ids "$pid")
	before=$(loaded "$ids" | grep -c '^prog')
	nperf=$(bpftool perf 2>/dev/null | grep -c "^pid $pid ")
	kill -9 "$pid"
	# strace, if it holds the tool, would only notice at the end of its delay.
	[ -n "${3:-}" ] && kill -9 "$3"
	# (2>/dev/null: bash's notice of a job killed by a signal.)
	wait_exit "${3:-$pid}" 5 2>/dev/null
	left=$(wait_gone "$ids")
	perf=$(bpftool perf 2>/dev/null | grep -c "^pid $pid ")
	echo "# kill -9 $name: $before programs, $(grep -c '^map' <<<"$ids") maps, $nperf perf" \
		"entries before; left: '$left', $perf perf entries"
	expect "kill -9 $name: its programs and maps are gone, bpftool perf shows none" \
		"ids '$(echo $ids)', left '$left', perf entries $nperf before, $perf after, orphans '$(orphans)'" \
		eval "test -n '$ids' -a -z '$left' -a $perf = 0 && no_orphans >/dev/null"
}
for stage in "load bpf ${load:-1} 321 0x5" "perf-buffer perf_event_open ${pbuf:-1} 298"; do
	read -r sname call nth nr arg0 <<<"$stage"
	strace -f -q -o /dev/null -e trace=bpf,perf_event_open \
		-e inject="$call:delay_enter=3s:when=$nth" "$T" -P $P >/dev/null 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	pid=
	for i in $(seq 100); do pid=$(pgrep -P "$spid") && break; sleep 0.02; done
	if [ -n "$pid" ] && paused_at "$pid" "$nr" "${arg0:-}"; then
		kill9 "at $sname" "$pid" "$spid"
	else
		not_ok "kill -9 at $sname" "the tool did not stop there (pid '$pid')"
		kill -9 "$spid" "$pid" 2>/dev/null
	fi
done
if start_tracer k9idle -P $P; then
	kill9 "after the header" "$TRACER_PID"
else
	not_ok "kill -9 after the header" "no header: $(cat "$WORK/k9idle.err")"
fi
if start_tracer k9busy -P $P; then
	"$LOADGEN" -s 1 -p $P >/dev/null &
	lpid=$!
	BG_PIDS+=("$lpid")
	wait_for 5 lines_at_least "$WORK/k9busy.out" $P 100
	kill9 "while busy" "$TRACER_PID"
	wait "$lpid"
else
	not_ok "kill -9 while busy" "no header: $(cat "$WORK/k9busy.err")"
fi

# 5. Two instances at once, one text, one JSON: both see the same connect, both end with
#    exit 0 on SIGINT, and neither leaves anything loaded.
P=$((PORT + 60))
start_tracer two1 -L -P $P
pid1=$TRACER_PID
start_quiet_tracer two2 -j -v -P $P
pid2=$TRACER_PID
ids1=$(bpf_ids "$pid1") ids2=$(bpf_ids "$pid2")
lport=$(lport_of "$(conn -l 127.0.0.1 $P)")
wait_line "$WORK/two1.out" "\$5 == ${lport:-x}"
wait_for 2 grep -qs "\"lport\":${lport:-x}," "$WORK/two2.out"
stop_tracer "$pid1"
rc1=$?
stop_tracer "$pid2"
rc2=$?
left=$(wait_gone "$ids1
$ids2")
expect "two instances: each has programs of its own" "ids '$ids1' and '$ids2'" \
	test -n "$ids1" -a -n "$ids2" -a -z "$(comm -12 <(echo "$ids1") <(echo "$ids2"))"
expect "two instances: both see the connect (lport ${lport:-?})" \
	"text: $(row_for "$WORK/two1.out" 5 "${lport:-x}"), json: $(grep -c lport "$WORK/two2.out")" \
	eval "test -n '$(row_for "$WORK/two1.out" 5 "${lport:-x}")' &&
	grep -q '\"lport\":${lport:-x},' '$WORK/two2.out'"
expect "two instances: both exit 0 on SIGINT, nothing left" "status $rc1 $rc2, left '$left'" \
	test "$rc1:$rc2" = 0:0 -a -z "$left"

# 6. Kernel pieces missing. A --btf that is no usable BTF: one line naming it, exit 1, and
#    not one bpf() call. (A missing file and a non-BTF text file: test_run.sh.)
mkdir "$WORK/btfdir"
: >"$WORK/empty.btf"
head -c 100000 /sys/kernel/btf/vmlinux >"$WORK/trunc.btf"
{ printf x && head -c 65536 /dev/urandom; } >"$WORK/random.btf"
for c in "btfdir:Is a directory" "empty.btf:it holds no BTF" \
	"trunc.btf:its BTF is truncated or corrupt" "random.btf:it holds no BTF"; do
	f=${c%%:*} why=${c#*:}
	strace -f -qq -o "$WORK/btf.st" -e trace=bpf "$T" --btf "$WORK/$f" >/dev/null 2>"$WORK/btf.err"
	rc=$?
	expect "--btf $f: exit 1, one line: $why; no bpf() call" \
		"status $rc, stderr: $(cat "$WORK/btf.err"), bpf calls: $(grep -c 'bpf(' "$WORK/btf.st")" \
		eval "test $rc = 1 -a \"\$(wc -l <'$WORK/btf.err')\" = 1 &&
		grep -qxF \"tcpconnlat: cannot use BTF file '$WORK/$f': $why\" '$WORK/btf.err' &&
		! grep -q 'bpf(' '$WORK/btf.st'"
done

# tracefs and debugfs hidden (empty tmpfs over them, in a mount namespace of its own): the
# raw tracepoints need neither, so the default run still traces. (-x: test_failed.sh.)
cat >"$WORK/notracefs" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs none /sys/kernel/tracing && mount -t tmpfs none /sys/kernel/debug && exec "\$0" "\$@"' "$T" "\$@"
EOF
chmod +x "$WORK/notracefs"
P=$((PORT + 70))
lport=
if T=$WORK/notracefs start_tracer notr -L -P $P; then
	lport=$(lport_of "$(conn -l 127.0.0.1 $P)")
	wait_line "$WORK/notr.out" "\$5 == ${lport:-x}"
	stop_tracer "$TRACER_PID"
fi
expect "tracefs and debugfs hidden: the default run still traces a connect" \
	"$(cat "$WORK/notr.out" "$WORK/notr.err")" test -n "$(row_for "$WORK/notr.out" 5 "${lport:-x}")"

# Faults injected by strace into the calls that would fail on such kernels: the tracepoint
# missing at attach (ENOENT; injected into the raw tracepoint programs' attach, the last the
# backend tries), no bpf() at all (ENOSYS), the perf buffer refused before the attach
# (EMFILE). One line naming the cause, exit 1, and what was loaded is gone.
strace -f -q -o "$WORK/dry2" -e trace=bpf,perf_event_open "$T" --backend=tracepoint -d 1 -P $P \
	>/dev/null 2>&1
TCPCONNLAT_RAW_TRACEPOINTS=1 strace -f -q -o "$WORK/dry3" -e trace=bpf "$T" --backend=tracepoint \
	-d 1 -P $P >/dev/null 2>&1
# libbpf attaches BTF tracepoint programs with BPF_LINK_CREATE where the kernel has it.
btfattach=$(grep 'bpf(' "$WORK/dry2" | grep -nEm1 'BPF_RAW_TRACEPOINT_OPEN|BPF_LINK_CREATE' | cut -d: -f1)
tattach=$(grep 'bpf(' "$WORK/dry3" | grep -nm1 BPF_RAW_TRACEPOINT_OPEN | cut -d: -f1)
tpbuf=$(grep 'perf_event_open(' "$WORK/dry2" | grep -nm1 PERF_COUNT_SW_BPF_OUTPUT | cut -d: -f1)
for c in "bpf:error=ENOENT:when=${tattach:-1}|the tracepoint backend cannot run here: tracepoint sock:inet_sock_set_state" \
	"bpf:error=ENOSYS:when=1+|the tracepoint backend cannot run here: this kernel has no bpf() system call" \
	"perf_event_open:error=EMFILE:when=${tpbuf:-1}|cannot open the perf buffer: Too many open files"; do
	inj=${c%%|*} why=${c#*|}
	raw=""
	[[ $why == *sock:inet_sock_set_state* ]] && raw=1
	TCPCONNLAT_RAW_TRACEPOINTS=$raw strace -f -qq -o /dev/null -e trace=bpf,perf_event_open \
		-e inject="$inj" "$T" --backend=tracepoint -P $P >/dev/null 2>"$WORK/inj.err"
	rc=$?
	left=$(no_orphans)
	expect "injected ${inj%%:when*}: exit 1, one line: $why..., nothing left" \
		"status $rc, stderr: $(cat "$WORK/inj.err"), left '$left'" \
		eval "test $rc = 1 -a -z '$left' -a \"\$(wc -l <'$WORK/inj.err')\" = 1 &&
		grep -qF 'tcpconnlat: $why' '$WORK/inj.err'"
done

# The BTF tracepoint programs' attach refused (ENOENT): the backend falls back to its raw
# tracepoint programs, says so with -v, and traces.
strace -f -qq -o /dev/null -e trace=bpf -e inject="bpf:error=ENOENT:when=${btfattach:-0}" \
	"$T" -v --backend=tracepoint -d 1 -P $P >/dev/null 2>"$WORK/fallback.err"
rc=$?
expect "BTF tracepoints not attached: the raw ones run (-v says why), exit 0" \
	"status $rc: $(grep -v '^libbpf' "$WORK/fallback.err" | tr '\n' '|')" \
	eval "test $rc = 0 && grep -q '^tcpconnlat: BTF tracepoints failed: tracepoint sock:inet_sock_set_state .* (trying raw tracepoints)' '$WORK/fallback.err' &&
	grep -qx 'tcpconnlat: using the tracepoint backend' '$WORK/fallback.err'"

# 7. After all of it: no program of ours without an owner.
left=$(no_orphans)
expect "no program of ours is left loaded without an owner" "left: '$left'" test -z "$left"
# The check's control: one of our programs pinned in a bpffs of the test's own (loaded, no
# process holding it) is seen as left without an owner.
mkdir "$WORK/bpffs"
if mount -t bpf bpf "$WORK/bpffs"; then
	kept=$("$B/keepprog" "$BPF_OBJ" btf_destroy_sock "$WORK/bpffs/kept" 2>&1)
	expect "the no-owner check sees a program of ours left pinned" \
		"keepprog: '$kept', orphans: '$(orphans | tr '\n' ' ')'" \
		eval '[[ $kept == id=* ]] && orphans | grep -qx "${kept#id=}"'
	rm -f "$WORK/bpffs/kept"
	umount "$WORK/bpffs"
else
	not_ok "the no-owner check sees a program of ours left pinned" "mount -t bpf failed"
fi
