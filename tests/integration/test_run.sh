#!/usr/bin/env bash
# Running the tool: pipes, signals, backend choice, and every start-up failure's message.
. "$(dirname "$0")/common.sh"
require_bpf

# Programs of ours loaded after this (our_progs_since) are this test's runs'.
BASE_ID=$(prog_base)

# 1. Lines reach a pipe as they happen: flushed per poll batch, at least every 100 ms, not at
#    exit. Five connects one after another, each line timed by the reader from its connect:
#    each within 300 ms (100 ms, and slack for a loaded 2-core machine). A flush every 500 ms
#    would miss that for some of the five.
# Through a fifo, so that the tool's own PID is known (stopped by it, not by name).
mkfifo "$WORK/pipe.fifo"
while IFS= read -r line; do
	echo "$(date +%s.%N) $line"
done <"$WORK/pipe.fifo" >"$WORK/pipe.out" &
BG_PIDS+=($!)
"$T" -P 41200 >"$WORK/pipe.fifo" &
pipe_tool=$!
BG_PIDS+=("$pipe_tool")
wait_for 10 grep -qs 'LAT(ms)' "$WORK/pipe.out"
delays=""
for i in 1 2 3 4 5; do
	t0=$(date +%s.%N)
	conn -l 127.0.0.1 41200 >/dev/null
	wait_lines "$WORK/pipe.out" $((i + 1)) 3
	delays="$delays $(awk -v n=$((i + 1)) -v b="$t0" 'NR == n { printf "%.3f", $1 - b }' "$WORK/pipe.out")"
done
kill -INT "$pipe_tool"
expect "5 lines each reach a pipe within 300 ms of their connect" "delays (s):$delays" \
	awk -v d="$delays" 'BEGIN { n = split(d, a, " "); for (i = 1; i <= n; i++) if (a[i] >= 0.3) bad = 1
		exit !(n == 5 && !bad) }'

# 2. SIGINT and SIGTERM: exit status 0 within 1 s, nothing printed on stderr.
for sig in INT TERM; do
	start_tracer sig$sig
	expect_prompt_exit "SIG$sig" sig$sig "$TRACER_PID" $sig
done

# 3. A reader that goes away (| head -1 takes the header and leaves) ends the tool quietly,
#    even with no event to write.
s=$(date +%s%N)
timeout 5 bash -c "'$T' 2>'$WORK/head.err' | head -1 >'$WORK/head.out'; exit \${PIPESTATUS[0]}"
rc=$?
ms=$((($(date +%s%N) - s) / 1000000))
expect "a closed reader ends the tool: exit 0, no error text, within 1 s" \
	"status $rc after $ms ms, stderr: $(cat "$WORK/head.err")" \
	test "$rc" = 0 -a ! -s "$WORK/head.err" -a "$ms" -lt 1000

# 4. Backends. auto says which one runs; one that cannot run here fails with its reason in
#    one line and exit 1; one that can must trace a connect.
start_tracer auto -v
stop_tracer "$TRACER_PID"
running=$(sed -n 's/^tcpconnlat: using the \([a-z]*\) backend$/\1/p' "$WORK/auto.err")
expect "--backend=auto -v says which backend runs" "stderr: $(cat "$WORK/auto.err")" \
	test -n "$running"

# What this kernel must do with each backend, from its configuration: the tracepoint
# backend must trace; kprobe traces exactly when CONFIG_KPROBES is set; fentry cannot
# without CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, and with it may still be refused (EPERM:
# lockdown, or a sandbox like this project's CI machine), which must then be said so.
config=$(zcat /proc/config.gz 2>/dev/null)
want_tracepoint=trace want_kprobe=either want_fentry=either
if [ -n "$config" ]; then
	grep -q '^CONFIG_KPROBES=y' <<<"$config" && want_kprobe=trace || want_kprobe=refuse
	grep -q '^CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y' <<<"$config" || want_fentry=refuse
fi
for b in fentry kprobe tracepoint; do
	want=want_$b
	want=${!want}
	if start_tracer be$b -L --backend=$b; then
		lport=$(lport_of "$(conn -l 127.0.0.1 41210)")
		wait_line "$WORK/be$b.out" "\$5 == $lport"
		stop_tracer "$TRACER_PID"
		expect "--backend=$b traces a connect here, as this kernel must (expected: $want)" \
			"$(tr '\n' '|' <"$WORK/be$b.out")" \
			test -n "$(row_for "$WORK/be$b.out" 5 "$lport")" -a "$want" != refuse
	else
		wait "$TRACER_PID"
		rc=$?
		msg=$(cat "$WORK/be$b.err")
		expect "--backend=$b refuses here, as this kernel must (expected: $want): exit 1, one line naming the backend and why" \
			"status $rc, stderr: $msg" eval "test $want != trace && test $rc = 1 &&
			test \"\$(wc -l <'$WORK/be$b.err')\" = 1 &&
			grep -q '^tcpconnlat: the $b backend cannot run here: [a-z]' '$WORK/be$b.err'"
	fi
done
# auto keeps the first backend, in the documented order, that starts when named.
first=""
for b in fentry kprobe tracepoint; do
	[ -z "$first" ] && grep -qs 'LAT(ms)' "$WORK/be$b.out" && first=$b
done
expect "--backend=auto runs the first backend that starts when named ($first)" \
	"auto says '$running'" test -n "$first" -a "$running" = "$first"
if [ "$want_kprobe" = refuse ]; then
	expect "without CONFIG_KPROBES the kprobe backend says so" "$(cat "$WORK/bekprobe.err")" \
		grep -q 'kprobes are not available (kernel built without CONFIG_KPROBES' \
		"$WORK/bekprobe.err"
fi
if [ -s "$WORK/befentry.err" ] && [ "$want_fentry" = either ]; then
	expect "fentry refused on a kernel that has it: the reason names the refusal (EPERM)" \
		"$(cat "$WORK/befentry.err")" grep -q 'refused to load fentry programs (EPERM' \
		"$WORK/befentry.err"
fi
if grep -q 'fentry backend failed' "$WORK/auto.err"; then
	expect "auto -v gives the fentry backend's reason in one line" "$(cat "$WORK/auto.err")" \
		grep -q '^tcpconnlat: fentry backend failed: .*fentry' "$WORK/auto.err"
fi

# 5. Missing privileges, BTF: exit 1 and one line naming the cause.
# run_fail NAME PATTERN COMMAND...: exit 1 and exactly one stderr line matching PATTERN.
run_fail() {
	local name=$1 pat=$2 rc
	shift 2
	"$@" >"$WORK/fail.out" 2>"$WORK/fail.err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <"$WORK/fail.err")" = 1 ] &&
		grep -qF -- "$pat" "$WORK/fail.err"; then
		ok "$name"
	else
		not_ok "$name" "status $rc, stderr: $(cat "$WORK/fail.err")"
	fi
}
run_fail "not root: exit 1 naming the privileges" "not enough privileges: run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$T"
run_fail "root without CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN: exit 1 naming them" \
	"needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN" \
	setpriv --inh-caps=-all --bounding-set=-bpf,-perfmon,-sys_admin "$T"
run_fail "no kernel BTF: exit 1 naming it" \
	"no kernel BTF: /sys/kernel/btf/vmlinux is missing" \
	unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0"' "$T"
run_fail "--btf with a missing file: exit 1 naming the file" \
	"cannot use BTF file '$WORK/nope'" "$T" --btf "$WORK/nope"
run_fail "--btf with a file that holds no BTF: exit 1 naming the file" \
	"cannot use BTF file '/etc/hostname': it holds no BTF" "$T" --btf /etc/hostname

# 6. --btf with the kernel's own BTF as a file works like the default.
cp /sys/kernel/btf/vmlinux "$WORK/vmlinux.btf"
if start_tracer btf -L --btf "$WORK/vmlinux.btf"; then
	lport=$(lport_of "$(conn -l 127.0.0.1 41220)")
	wait_line "$WORK/btf.out" "\$5 == $lport"
	stop_tracer "$TRACER_PID"
fi
expect "--btf FILE with a valid BTF traces" "$(cat "$WORK/btf.out" "$WORK/btf.err")" \
	test -n "$(row_for "$WORK/btf.out" 5 "${lport:-x}")"

# 7. (Usage errors: test_badinput.sh.) Nothing of ours stays loaded once every run above has ended.
# The kernel frees a program after its last holder has gone, not always at once.
none_left() { [ -z "$(our_progs_since "$BASE_ID")" ]; }
wait_for 5 none_left
expect "no tcpconnlat BPF program is left loaded" "left: $(our_progs_since "$BASE_ID" | tr '\n' ' ')" \
	none_left
# The check's control: one of our programs held by a helper is seen as left loaded.
mkfifo "$WORK/keep.in"
"$B/keepprog" "$BPF_OBJ" btf_destroy_sock <"$WORK/keep.in" >"$WORK/keep.out" 2>&1 &
BG_PIDS+=($!)
exec {KEEP_FD}>"$WORK/keep.in"
wait_for 5 grep -qs '^id=' "$WORK/keep.out"
kept=$(sed -n 's/^id=//p' "$WORK/keep.out")
expect "the left-loaded check sees a program of ours a helper keeps" \
	"kept '$kept' ($(cat "$WORK/keep.out")), seen: $(our_progs_since "$BASE_ID" | tr '\n' ' ')" \
	eval '[ -n "$kept" ] && our_progs_since "$BASE_ID" | grep -qx "$kept"'
exec {KEEP_FD}>&-
