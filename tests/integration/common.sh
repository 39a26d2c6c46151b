# Sourced by the integration tests. Needs TCPCONNLAT (the binary) and TEST_BIN (helpers),
# as tests/run.sh exports them. Every case prints "ok - NAME" or "not ok - NAME # why".
set -u
T=${TCPCONNLAT:?TCPCONNLAT is not set: run through make test}
B=${TEST_BIN:?TEST_BIN is not set: run through make test}
WORK=$(mktemp -d)
BG_PIDS=()
EXIT_CMDS=()

# on_exit COMMAND: COMMAND (a string, evaluated then) runs when the test exits, however it
# exits: the last registered first, after the background processes of BG_PIDS are ended and
# reaped (so that cgroups are empty of them and mounts are free), before $WORK goes. The one
# EXIT trap is this file's: a test never sets one of its own, so that no helper's cleanup
# (own_netns, private_podman) replaces another's.
on_exit() { EXIT_CMDS+=("$1"); }

cleanup() {
	local p i
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	# Each in a subshell: a failing or unset-variable command must not stop the others.
	for ((i = ${#EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		(eval "${EXIT_CMDS[i]}")
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1 # $2"; }

# expect NAME WHY-IF-FALSE COMMAND...: one case from a command's status.
expect() {
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi
}

# Root and BPF are needed; under CI=true their absence is a failure, never a skip.
require_bpf() {
	local why=""
	[ "$(id -u)" = 0 ] || why="not root"
	[ -z "$why" ] && [ ! -r /sys/kernel/btf/vmlinux ] && why="no kernel BTF"
	[ -z "$why" ] && return 0
	if [ "${CI:-}" = true ]; then
		not_ok "$(basename "$0") can run" "$why: these tests need root and BPF"
		exit 1
	fi
	echo "ok - $(basename "$0") # SKIP $why"
	exit 0
}

# start_until NAME FILE REGEX ARGS...: runs the tool in the background, stdout in
# $WORK/NAME.out and stderr in $WORK/NAME.err, until $WORK/NAME.FILE has a line matching
# the extended REGEX (tracing has started). Sets TRACER_PID. Fails if the tool exits or
# nothing comes within START_SECS (default 10) seconds. The array WRAP, if set, is the
# command the tool runs under (valgrind, say).
WRAP=()
start_until() {
	local name=$1 file=$2 regex=$3 i
	shift 3
	"${WRAP[@]}" "$T" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	TRACER_PID=$!
	BG_PIDS+=("$TRACER_PID")
	for i in $(seq $((${START_SECS:-10} * 20))); do
		grep -qE "$regex" "$WORK/$name.$file" 2>/dev/null && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_tracer NAME ARGS...: until the header is out.
start_tracer() { start_until "$1" out 'LAT\(ms\)' "${@:2}"; }

# start_quiet_tracer NAME ARGS...: for output without a header (-j, -H), until the tool's
# stderr says tracing has started (-v's "using the ... backend", or -H's "tracing; ...").
start_quiet_tracer() { start_until "$1" err '^tcpconnlat: (using the|tracing)' "${@:2}"; }

# start_dropsyn OUT ARGS...: dropsyn (in $DROP_NETNS if set) in the background, its output
# in OUT; waits until it is attached. Sets DROP_PID; stop_dropsyn ends it.
start_dropsyn() {
	local out=$1 prefix=()
	shift
	[ -n "${DROP_NETNS:-}" ] && prefix=(ip netns exec "$DROP_NETNS")
	"${prefix[@]}" "$B/dropsyn" "$@" >"$out" 2>&1 &
	DROP_PID=$!
	BG_PIDS+=("$DROP_PID")
	wait_for 5 grep -qs ready "$out"
}

stop_dropsyn() {
	kill -TERM "$DROP_PID"
	wait "$DROP_PID"
}

# stop_tracer PID [SECS]: SIGINT, then the exit status (124 if it did not exit within SECS,
# default 2). The tool detaches and then drains its buffers: everything the kernel emitted
# before the signal is printed (or counted lost). So a connect whose client has returned
# needs no wait before stop_tracer, not even for a check that it is NOT printed; wait (with
# wait_for) only for what comes later: a timeout, a periodic report, a -v line.
stop_tracer() {
	local pid=$1 i
	kill -INT "$pid" 2>/dev/null
	for i in $(seq $((${2:-2} * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

# conn ARGS...: one tconn run; prints its lines ("ok lport=N" / "fail lport=N errno=E").
conn() { "$B/tconn" "$@"; }

# lport_of LINE: the N of "... lport=N ...".
lport_of() { sed -n 's/.*lport=\([0-9]*\).*/\1/p' <<<"$1"; }

# row_for FILE FIELD VALUE: the tool's line whose awk field FIELD equals VALUE.
row_for() { awk -v f="$2" -v v="$3" 'NR > 1 && $f == v' "$1"; }

# Background tconn that waits for "go": sets CONN_PID; its output goes to $WORK/NAME.conn.
# With CONN_NETNS set it runs in that network namespace (ip netns exec keeps the PID).
start_waiting_conn() {
	local name=$1 prefix=()
	shift
	[ -n "${CONN_NETNS:-}" ] && prefix=(ip netns exec "$CONN_NETNS")
	mkfifo "$WORK/$name.go"
	"${prefix[@]}" "$B/tconn" -w "$@" <"$WORK/$name.go" >"$WORK/$name.conn" &
	CONN_PID=$!
	BG_PIDS+=("$CONN_PID")
	exec {GO_FD}>"$WORK/$name.go"
	wait_for 2 grep -qs '^pid=' "$WORK/$name.conn"
}

# release_conn: lets the waiting tconn connect, and waits for it to finish.
release_conn() {
	echo go >&"$GO_FD"
	exec {GO_FD}>&-
	wait "$CONN_PID"
}

# wait_for SECS COMMAND...: true as soon as COMMAND succeeds (tried every 50 ms); false once
# SECS (whole) seconds have passed, saying on stderr what did not come, so that the case
# that then fails is explained. The tests wait for what they await with it, never with a
# fixed sleep; a sleep that stays says why time itself is needed.
wait_for() {
	local end=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000))
	shift
	until "$@"; do
		if [ "${EPOCHREALTIME//[!0-9]/}" -ge "$end" ]; then
			echo "# gave up waiting for: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# gone PID: no process PID any more (a child that has exited counts until waited for).
gone() { ! kill -0 "$1" 2>/dev/null || grep -qs '^State:.*Z' /proc/"$1"/status; }

# has_lines FILE N: FILE exists and has at least N lines.
has_lines() {
	local n
	n=$(wc -l 2>/dev/null <"$1")
	[ "${n:-0}" -ge "$2" ]
}

# wait_lines FILE N [SECS]: until FILE has N lines or more (a header counts); default 10 s.
wait_lines() { wait_for "${3:-10}" has_lines "$1" "$2"; }

# has_line FILE COND: a line after the header matches the awk condition COND.
has_line() { awk "NR > 1 && ($2) { found = 1 } END { exit !found }" "$1" 2>/dev/null; }

# wait_line FILE COND: until FILE has a line after the header matching COND; at most 2 s.
wait_line() { wait_for 2 has_line "$1" "$2"; }

# map_entries PID NAME: how many entries the BPF map NAME held by process PID has (its
# descriptors' fdinfo names the map ids; bpftool reads them).
map_entries() {
	local id
	for id in $(sed -n 's/^map_id:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null); do
		bpftool map show id "$id" 2>/dev/null | grep -q " name $2 " || continue
		# JSON: one raw "key":[bytes] per entry (the plain format depends on BTF and on a
		# terminal; with BTF each entry also has a "formatted" copy with a "key" of its own).
		bpftool -j map dump id "$id" | grep -o '"key":\[' | wc -l
		return
	done
	echo "no map $2"
}

# need_tracefs: tracefs mounted in the test's mount namespace (tests/run.sh gives each test
# one without it). Only for what runs the tool where it cannot mount tracefs itself (a
# container given the host's tracefs); every other test leaves the mount to the tool, so the
# fresh-machine path is taken on every run.
need_tracefs() {
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing ||
		not_ok "tracefs is mounted" "mount -t tracefs failed"
}

# own_netns RETRIES: a network namespace of the test's own in $NS, lo up, its SYNs given up
# after RETRIES retransmissions (net.ipv4.tcp_syn_retries is per namespace); deleted at exit.
own_netns() {
	NS=tcl-$(basename "$0" .sh)-$$
	on_exit 'ip netns del "$NS" 2>/dev/null'
	ip netns add "$NS" && ip -n "$NS" link set lo up &&
		ip netns exec "$NS" sh -c "echo $1 >/proc/sys/net/ipv4/tcp_syn_retries" ||
		{ not_ok "test namespace set up" "ip netns failed"; exit 1; }
}

# The BPF object the tool was built from (the skeleton embeds it).
BPF_OBJ=$(dirname "$B")/tcpconnlat.bpf.o

# our_prog_names: the names of the tool's BPF programs: the object's program functions (global
# functions in program sections), whole and cut to 15 characters. The kernel keeps 15; bpftool
# shows the whole name where the program's BTF gives it, strace the kernel's.
our_prog_names() {
	readelf -sW "$BPF_OBJ" | awk '$4 == "FUNC" && $5 == "GLOBAL" && $7 ~ /^[0-9]+$/ {
		print $8; print substr($8, 1, 15) }' | sort -u
}

# prog_base: the highest BPF program id now (ids only grow: a program loaded later has a
# higher one).
prog_base() { bpftool -j prog show 2>/dev/null | jq 'map(.id) | max // 0'; }

# our_progs_since BASE: the ids of programs of ours (by exact name) loaded since prog_base
# returned BASE and loaded still.
our_progs_since() {
	bpftool -j prog show 2>/dev/null | jq -r --argjson b "$1" --arg n "$(our_prog_names)" \
		'($n | split("\n")) as $names | .[] | select(.id > $b and (.name | IN($names[]))) | .id'
}

# start_prometheus PORT TARGETS [RULES]: a Prometheus of the test's own on 127.0.0.1:PORT,
# scraping each of TARGETS (comma-separated host:port) every second as job tcpconnlat, with
# the rule file RULES evaluated every second; waits until it is ready (GET /-/ready). Sets
# PROM (its port) and PROM_PID.
start_prometheus() {
	local targets="'${2//,/\', \'}'"
	mkdir -p "$WORK/prom.data"
	cat >"$WORK/prom.yml" <<-EOC
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	  evaluation_interval: 1s
	rule_files: [${3:+'$3'}]
	scrape_configs:
	  - job_name: tcpconnlat
	    static_configs:
	      - targets: [$targets]
	EOC
	PROM=$1
	prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/prom.data" \
		--web.listen-address=127.0.0.1:$PROM --log.level=warn >"$WORK/prom.log" 2>&1 &
	PROM_PID=$!
	BG_PIDS+=("$PROM_PID")
	wait_for 60 prom_ready
}
prom_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROM/-/ready")" = 200 ]; }

# prom_query PROMQL: Prometheus's whole JSON answer to an instant query.
prom_query() { curl -s --max-time 5 "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=$1"; }
# prom_value PROMQL: the first result's value, or "none".
prom_value() { prom_query "$1" | jq -r '.data.result[0].value[1] // "none"'; }
prom_answers() { [ "$(prom_value "$1")" = "$2" ]; }
# wait_prom PROMQL WANT [SECS]: until Prometheus answers WANT (default 15 s).
wait_prom() { wait_for "${3:-15}" prom_answers "$1" "$2"; }

# private_podman: podman and buildah with a store and a configuration of the test's own
# (below $WORK), so that the test neither needs nor touches the machine's images and
# containers: the runc runtime and ulimits within the hard limit (see docs/testing.md).
# Containers still running at exit are removed with the store.
private_podman() {
	mkdir -p "$WORK/containers"
	cat >"$WORK/containers/containers.conf" <<-EOC
	[containers]
	default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
	[engine]
	runtime = "runc"
	tmp_dir = "$WORK/containers/tmp"
	EOC
	cat >"$WORK/containers/storage.conf" <<-EOC
	[storage]
	driver = "overlay"
	graphroot = "$WORK/containers/graph"
	runroot = "$WORK/containers/run"
	EOC
	export CONTAINERS_CONF=$WORK/containers/containers.conf
	export CONTAINERS_STORAGE_CONF=$WORK/containers/storage.conf
	on_exit podman_cleanup
}
# Ends this store's pods and containers (only what the test started), then unmounts what
# the store still has mounted below $WORK, so that $WORK can go.
podman_cleanup() {
	podman pod rm -af -t 0 >/dev/null 2>&1
	podman rm -af -t 0 >/dev/null 2>&1
	podman image umount -af >/dev/null 2>&1
	awk -v w="$WORK/containers/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount "$m" 2>/dev/null; done
}

# remove_cgroups DIR...: at exit, each DIR (a cgroup v2 directory the test made) and every
# cgroup below it, deepest first, each emptied into the root cgroup before it is removed.
remove_cgroups() {
	local d
	for d in "$@"; do
		on_exit "remove_cgroup_tree $(printf '%q' "$d")"
	done
}
remove_cgroup_tree() {
	local root d p
	[ -d "$1" ] || return 0
	root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	find "$1" -depth -type d | while IFS= read -r d; do
		while read -r p; do echo "$p" >"$root/cgroup.procs"; done <"$d/cgroup.procs"
		rmdir "$d"
	done 2>/dev/null
}

# field LINE NAME: the value of NAME=... in a line of NAME=VALUE words (loadgen's report).
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# private_loadgen NAME: a copy of bench/loadgen as $WORK/NAME: its name (COMM) lets the tools'
# -n keep its connects and no other process's.
private_loadgen() {
	cp "$(dirname "$B")/bench/loadgen" "$WORK/$1" ||
		{ not_ok "bench/loadgen is built" "not in $(dirname "$B")/bench: make test-build"; exit 1; }
}

# Handshakes held in flight: a private loadgen in $NS connects to a port whose SYNs the test
# drops (start_dropsyn with DROP_NETNS=$NS) and keeps the sockets open.
# hold_handshakes VAR LG LOADGEN-ARGS...: starts $WORK/LG in $NS with LOADGEN-ARGS (-H N:PORT
# and the rest), its report in $WORK/hold.lg; the PID goes in the variable named VAR.
hold_handshakes() {
	local -n pid_var=$1
	ip netns exec "$NS" "$WORK/$2" "${@:3}" >"$WORK/hold.lg" 2>&1 &
	pid_var=$!
	BG_PIDS+=("$pid_var")
}
# syn_sent PORT: how many sockets of $NS are in SYN_SENT to PORT.
syn_sent() { ip netns exec "$NS" ss -Htn state syn-sent "( dport = :$1 )" | wc -l; }
# all_held PORT N: N or more of them.
all_held() { [ "$(syn_sent "$1")" -ge "$2" ]; }
# held_paced: how many paced connects the loadgen of hold_handshakes made (its report's).
held_paced() { field "$(cat "$WORK/hold.lg")" connects; }
# expect_held NAME PID N: one case: loadgen PID (from hold_handshakes) exits 0 having held N
# handshakes and made paced connects meanwhile (its -p), which NAME's text is given.
expect_held() {
	local rc res loop
	wait "$2"
	rc=$?
	res=$(cat "$WORK/hold.lg")
	loop=$(held_paced)
	expect "${1}loadgen held $3 and made $loop paced connects meanwhile" "status $rc: $res" \
		test "$rc:$(field "$res" held)" = "0:$3" -a "${loop:-0}" -gt 0
}

# expect_prompt_exit CASE NAME PID SIG [MS]: one case: the tool NAME (started with start_until
# as NAME, PID) exits with status 0 within MS (default 1000) ms of SIG. Killed if it has not
# exited a second after that, so that the test goes on.
expect_prompt_exit() {
	local pid=$3 max=${5:-1000} start rc ms
	start=${EPOCHREALTIME//[!0-9]/}
	kill -"$4" "$pid"
	wait_for $((max / 1000 + 1)) gone "$pid" || kill -9 "$pid"
	wait "$pid"
	rc=$?
	ms=$(((${EPOCHREALTIME//[!0-9]/} - start) / 1000))
	expect "$1: exit 0 within $max ms (took $ms ms)" \
		"status $rc; $(tail -2 "$WORK/$2.err" | tr '\n' '|')" test "$rc" = 0 -a "$ms" -lt "$max"
}
