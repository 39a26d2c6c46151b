#!/usr/bin/env bash
# Bad input, as a table, against the real binary: every option with a missing, empty,
# non-numeric, negative, out-of-range, overflowing, trailing-garbage, repeated or
# control-byte value, conflicting options, unknown options and extra arguments. Each must
# give exit 2, exactly one line on stderr that names the value (or the option, when there
# is no value), nothing on stdout, and no bpf() call at all (strace watches).
# Then -p's policy: a thread's id is refused the same way, a PID not running is accepted
# with a warning and traced.
. "$(dirname "$0")/common.sh"
require_bpf
command -v strace >/dev/null || { not_ok "strace is installed" "needed to see bpf() calls"; exit 1; }

tried=0

# run_input ARGS...: runs the tool on one input under strace; sets name, rc, lines (of
# stderr, in $WORK/bad.err; stdout in $WORK/bad.out) and calls (its bpf() calls).
run_input() {
	name="$(printf '%q ' "$@")"
	tried=$((tried + 1))
	strace -f -qq -e trace=bpf -o "$WORK/strace" "$T" "$@" >"$WORK/bad.out" 2>"$WORK/bad.err" </dev/null
	rc=$?
	lines=$(wc -l <"$WORK/bad.err")
	calls=$(grep -c 'bpf(' "$WORK/strace")
}

# bad WANT ARGS...: one case. WANT is a fixed string the error line must contain.
bad() {
	local want=$1 rc lines calls name
	shift
	run_input "$@"
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" "$WORK/bad.err" &&
		[ ! -s "$WORK/bad.out" ] && [ "$calls" = 0 ]; then
		ok "bad input: ${name% }: exit 2, one line naming it, no bpf()"
	else
		not_ok "bad input: ${name% }: exit 2, one line naming it, no bpf()" \
			"status $rc, $lines stderr line(s), $calls bpf() call(s), want '$want' in: $(head -c 300 "$WORK/bad.err" | tr '\n' '|')"
	fi
}

OUTPUT_BENCH=$(dirname "$B")/bench
OVER=99999999999999999999

# 1. The numeric options: OPT, the options it needs besides, its lowest and highest value.
#    (-p's upper bound is PID_MAX_LIMIT, -u's is 2^32-2: (uid_t)-1 is "no user".)
while read -r opt extra lo hi; do
	# shellcheck disable=SC2206 # word splitting intended (none or one extra option)
	pre=($extra)
	bad "needs a value" "${pre[@]}" "$opt"
	bad "''" "${pre[@]}" "$opt" ""
	bad "'abc'" "${pre[@]}" "$opt" abc
	bad "'-5'" "${pre[@]}" "$opt" -5
	bad "'+5'" "${pre[@]}" "$opt" +5
	bad "' 5'" "${pre[@]}" "$opt" " 5"
	bad "'0x10'" "${pre[@]}" "$opt" 0x10
	bad "'1e3'" "${pre[@]}" "$opt" 1e3
	bad "'5.0'" "${pre[@]}" "$opt" 5.0
	bad "'12x'" "${pre[@]}" "$opt" 12x
	bad "'$OVER' out of range" "${pre[@]}" "$opt" "$OVER"
	bad "'$((hi + 1))' out of range" "${pre[@]}" "$opt" $((hi + 1))
	[ "$lo" -gt 0 ] && bad "'$((lo - 1))' out of range" "${pre[@]}" "$opt" $((lo - 1))
	bad 'given twice (again as '\''2'\'')' "${pre[@]}" "$opt" 1 "$opt" 2
	bad '1\x0a2' "${pre[@]}" "$opt" $'1\n2'
	bad '\x1b[31m' "${pre[@]}" "$opt" $'\e[31m'
done <<'EOF'
-p - 1 4194304
-u - 0 4294967294
-c - 1 1000000000
-d - 1 604800
-i -H 1 86400
--buffer-pages - 1 4096
--max-series --metrics=41599 1 10240
EOF

# 2. Options with their own value syntax.
bad "not a power of two" --buffer-pages 3
bad "'0'" -P 0
bad "'65536'" -P 65536
bad "'80,,443'" -P 80,,443
bad "'80,'" -P 80,
bad "',80'" -P ,80
bad "port repeated in '80,443,80'" -P 80,443,80
bad "too many ports" -P 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17
bad "'http'" -P http
bad "needs a value" -P
bad "''" --daddr ""
bad "'1.2.3.4/33'" --daddr 1.2.3.4/33
bad "'::1/129'" --daddr ::1/129
bad "'1.2.3'" --daddr 1.2.3
bad "'1.2.3.4/'" --daddr 1.2.3.4/
bad "'1.2.3.4/-1'" --daddr 1.2.3.4/-1
bad "'10.0.0.0/8x'" --daddr 10.0.0.0/8x
bad "'localhost'" --daddr localhost
bad "'1.2.3.4 '" --daddr "1.2.3.4 "
bad "given twice (again as '::1')" --daddr 127.0.0.1 --daddr ::1
bad "''" -n ""
bad "'sixteen-bytes-xx'" -n sixteen-bytes-xx
bad "given twice (again as 'b')" -n a -n b
bad "empty --cgroup" --cgroup ""
bad "'$WORK/none'" --cgroup "$WORK/none"
bad "'/etc/hostname'" --cgroup /etc/hostname
bad "'$WORK'" --cgroup "$WORK"
bad "''" -H --by ""
bad "'port'" -H --by port
bad "'PID'" -H --by PID
bad "'dhost,dhost'" -H --by dhost,dhost
bad "'daddr,dest'" -H --by daddr,dest
bad "'dhost,'" -H --by dhost,
bad "'pod,pod'" -H --by pod,pod
bad "'container,pod,namespace,dhost,dport'" -H --by container,pod,namespace,dhost,dport
bad "use --by dhost" -N -H
bad "use --by dhost" -N --metrics 41599 --by dport
bad "''" --backend ""
bad "'magic'" --backend magic
bad "'Tracepoint'" --backend Tracepoint
bad "given twice (again as 'kprobe')" --backend fentry --backend kprobe
bad "needs a value" --metrics
bad "--metrics ''" --metrics ""
for a in 0 65536 99999999999999999999 -1 +80 " 80" 0x50 http :80 1.2.3.4: 1.2.3.4:0 1.2.3:80 \
	localhost:80 ::1:80 :: "[::1]" "[::1]80" "[::1]:" "[1.2.3.4]:80" "[::1:80" "*:80"; do
	bad "invalid --metrics '$a'" --metrics "$a"
done
bad "invalid --metrics '80\x0a'" --metrics $'80\n'
bad "given twice (again as '2')" --metrics 1 --metrics 2
bad "empty --textfile" --textfile ""
bad "'/tmp/'" --textfile /tmp/
bad "-H does not go with --metrics" --metrics 41599 -H
bad "-j does not go with --textfile" --textfile "$WORK/t.prom" -j
bad "-c does not go with --metrics" --metrics 41599 -c 1
bad "-i needs -H/--histogram or --textfile" --metrics 41599 -i 5
bad "--max-series needs --metrics or --textfile" --max-series 5
bad "--buckets needs --metrics or --textfile" --buckets 100us,10s
for a in "" 100us 100us, ,10s 100,10s 100us,10 100usx,10s 1e3us,10s -1us,10s 100us,10s,1s \
	"100us, 10s" 10h,20h .,1s; do
	bad "invalid --buckets '$a'" --metrics 41599 --buckets "$a"
done
bad "--buckets '0us,10s' out of range (1us..2147s)" --metrics 41599 --buckets 0us,10s
bad "--buckets '1us,2148s' out of range (1us..2147s)" --metrics 41599 --buckets 1us,2148s
bad "--buckets '1ms,1ms': MIN must be below MAX" --metrics 41599 --buckets 1ms,1ms
bad "--buckets '10s,100us': MIN must be below MAX" --metrics 41599 --buckets 10s,100us
bad "given twice (again as '1ms,1s')" --metrics 41599 --buckets 1us,1s --buckets 1ms,1s
bad "''" --metrics 41599 --by ""
bad "empty --btf" --btf ""
bad "given twice" --btf /a --btf /b

# 3. MIN_MS, the one positional argument.
bad "MIN_MS ''" ""
bad "'abc'" abc
bad "'-1'" -- -1
bad "'-1'" -1
bad "'1e3'" 1e3
bad "'inf'" inf
bad "'nan'" nan
bad "'0x10'" 0x10
bad "'1.5x'" 1.5x
bad "'1.2.3'" 1.2.3
bad "'.'" .
bad "'3600001' out of range" 3600001
bad "'$OVER' out of range" "$OVER"
bad "'2'" 1 2
bad "'3'" 1 -t 3

# 4. Conflicts, unknown options, values for flags.
bad "-4 and -6" -4 -6
bad "-4 and -6" -6 --ipv4
bad "'::1' is not IPv4" -4 --daddr ::1
bad "'127.0.0.1' is not IPv6" -6 --daddr 127.0.0.1
bad "-i needs -H" -i 5
bad "--by needs -H" --by pid
bad "does not go with -H" -H -c 5
bad "'-Z'" -Z
bad "'-Z'" -tLZ
bad "'--frobnicate'" --frobnicate
bad "'--pidx'" --pidx 5
bad "'--b'" --b
bad "'--ipv4=1'" --ipv4=1
bad "'--json=yes'" --json=yes
bad "'---'" ---

# 4b. Resources that cannot be had: exit 1, one line naming them, still before any bpf().
cannot() {
	local want=$1 rc lines calls name
	shift
	run_input "$@"
	if [ "$rc" = 1 ] && [ "$lines" = 1 ] && [ "$calls" = 0 ] && grep -qF -- "$want" "$WORK/bad.err"; then
		ok "cannot: ${name% }: exit 1, one line naming it, no bpf()"
	else
		not_ok "cannot: ${name% }: exit 1, one line naming it, no bpf()" \
			"status $rc, $lines stderr line(s), $calls bpf() call(s), want '$want' in: $(head -c 300 "$WORK/bad.err" | tr '\n' '|')"
	fi
}
"$B/tconn" -s 127.0.0.1 41598 >"$WORK/held" &
HOLD=$!
BG_PIDS+=("$HOLD")
wait_for 5 grep -qs listening "$WORK/held"
cannot "cannot listen on --metrics '41598': Address already in use" --metrics 41598
cannot "cannot listen on --metrics '127.0.0.1:41598': Address already in use" --metrics 127.0.0.1:41598
kill "$HOLD"
cannot "cannot listen on --metrics '192.0.2.1:41598': Cannot assign requested address" --metrics 192.0.2.1:41598
cannot "cannot write --textfile '$WORK/none/t.prom': No such file or directory" --textfile "$WORK/none/t.prom"
cannot "cannot write --textfile '$WORK': Is a directory" --textfile "$WORK"

# 5. -p with a thread's id: refused, naming the process (events carry process ids).
"$OUTPUT_BENCH/loadgen" -t 2 -s 20 >/dev/null 2>&1 &
LG=$!
BG_PIDS+=("$LG")
tid=""
# thread_of: sets tid to a task of loadgen that is not its main thread, once there is one.
thread_of() { tid=$(ls /proc/"$LG"/task 2>/dev/null | grep -vx "$LG" | head -1); [ -n "$tid" ]; }
wait_for 3 thread_of
if [ -n "$tid" ]; then
	bad "PID $tid is a thread of process $LG" -p "$tid"
else
	not_ok "a thread to try -p on" "loadgen -t 2 showed no second task"
fi
kill "$LG" 2>/dev/null

# 6. -p with a PID nobody has: one warning line, then it traces (the PID may appear later).
free=4194304
while kill -0 "$free" 2>/dev/null || [ -d /proc/$free ]; do free=$((free - 1)); done
if start_tracer nopid -p "$free"; then
	stop_tracer "$TRACER_PID"
	rc=$?
else
	rc="did not start"
fi
expect "-p $free (not running): one warning line naming it, traces, exit 0" \
	"status $rc, stderr: $(cat "$WORK/nopid.err")" \
	eval "test '$rc' = 0 && test \"\$(wc -l <'$WORK/nopid.err')\" = 1 &&
	grep -qF 'warning: no process $free is running now' '$WORK/nopid.err'"

echo "# $tried bad inputs tried"
# The docs give the count this test runs.
top=$(cd "$(dirname "$0")/../.." && pwd)
expect "docs/testing.md and docs/reliability.md say $tried bad inputs, as run here" \
	"$(grep -ho '[0-9]* bad inputs\|[0-9]* inputs:' "$top/docs/testing.md" "$top/docs/reliability.md" | tr '\n' ' ')" \
	eval 'grep -q "\`test_badinput.sh\`: $tried bad inputs," "$top/docs/testing.md" &&
		grep -q "(\`test_badinput.sh\`) | $tried inputs:" "$top/docs/reliability.md"'

