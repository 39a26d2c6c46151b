#!/usr/bin/env bash
# Short-lived cgroups and real containers.
#  - A process in a cgroup made and removed within 50 ms, connecting once, is named by the
#    cgroup's path in -G, -j and -H --by cgroup (learnt from cgroup:cgroup_mkdir), not id:N.
#  - Real podman containers (runc, a private containers.conf and private storage in $WORK, an
#    image built here FROM scratch with Debian's static busybox): a long-lived one and a
#    --rm one each connect once; -G shows both cgroup paths, -C both ids (12 hex digits),
#    -j both container_id keys; -H --by container counts each apart from the host's connects.
. "$(dirname "$0")/common.sh"
require_bpf
PORT=42301 # served on loopback: every client of this test connects here

"$B/tconn" -s 127.0.0.1 $PORT >"$WORK/srv" &
BG_PIDS+=($!)
wait_for 5 grep -qs listening "$WORK/srv" || not_ok "the server listens" "$(cat "$WORK/srv")"

# ---- a cgroup that lives 50 ms ----
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
CG=tcl-podman-$$
GHOST_ID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
remove_cgroups "$MNT/$CG"
mkdir -p "$MNT/$CG/long"
start_tracer cg -G -L -P $PORT || not_ok "-G tracer starts" "$(cat "$WORK/cg.err")"
cg_tracer=$TRACER_PID
start_quiet_tracer js -j -v -P $PORT || not_ok "-j tracer starts" "$(cat "$WORK/js.err")"
js_tracer=$TRACER_PID
start_quiet_tracer hist -H --by cgroup -P $PORT || not_ok "-H tracer starts" "$(cat "$WORK/hist.err")"
hist_tracer=$TRACER_PID

# Positive control: a cgroup that stays for the whole run.
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -c longcli 127.0.0.1 "$3"' sh \
	"$MNT/$CG/long" "$B/tconn" $PORT >"$WORK/long.conn"
# Made, entered, one connect, left and removed: timed from mkdir to rmdir.
t0=${EPOCHREALTIME//[!0-9]/}
mkdir "$MNT/$CG/short" &&
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -c shortcli 127.0.0.1 "$3"' sh \
		"$MNT/$CG/short" "$B/tconn" $PORT >"$WORK/short.conn" &&
	rmdir "$MNT/$CG/short"
t1=${EPOCHREALTIME//[!0-9]/}
short_ms=$(((t1 - t0) / 1000))
long_lp=$(lport_of "$(grep '^ok' "$WORK/long.conn")")
short_lp=$(lport_of "$(grep '^ok' "$WORK/short.conn")")
expect "the short-lived cgroup lived under 50 ms (${short_ms} ms) and is gone" \
	"$(cat "$WORK/short.conn")" [ -n "$short_lp" -a "$short_ms" -lt 50 -a ! -d "$MNT/$CG/short" ]
for t in $cg_tracer $js_tracer; do stop_tracer $t; done
kill -INT $hist_tracer
wait $hist_tracer

row() { awk -v p="${2:-none}" 'NR > 1 && $5 == p' "$1"; }
cgroup_of() { row "$1" "$2" | awk '{ print $NF }'; }
expect "-G: the long-lived cgroup's connect shows /$CG/long" "$(row "$WORK/cg.out" "$long_lp")" \
	[ "$(cgroup_of "$WORK/cg.out" "$long_lp")" = "/$CG/long" ]
expect "-G: the 50 ms cgroup's connect shows /$CG/short, not id:N" \
	"$(row "$WORK/cg.out" "$short_lp")" [ "$(cgroup_of "$WORK/cg.out" "$short_lp")" = "/$CG/short" ]
expect "-j: its cgroup key is /$CG/short" "$(grep -F "\"lport\":$short_lp," "$WORK/js.out")" \
	[ "$(jq -r --argjson p "${short_lp:-0}" 'select(.lport == $p) | .cgroup' "$WORK/js.out")" = "/$CG/short" ]
expect "-H --by cgroup: /$CG/short and /$CG/long count 1 each" "$(cat "$WORK/hist.out")" \
	[ "$(grep -c "^cgroup /$CG/short: count 1," "$WORK/hist.out")" = 1 -a \
	"$(grep -c "^cgroup /$CG/long: count 1," "$WORK/hist.out")" = 1 ]

# ---- real containers (podman) ----
if ! command -v podman >/dev/null || [ ! -x /bin/busybox ]; then
	if [ "${CI:-}" = true ]; then
		not_ok "podman and busybox-static are installed" "install podman, runc, busybox-static"
		exit 1
	fi
	echo "ok - podman containers # SKIP podman or busybox-static missing"
	exit 0
fi
export CONTAINERS_CONF=$WORK/containers.conf
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n' \
	>"$CONTAINERS_CONF"
PM=(podman --root "$WORK/pm-root" --runroot "$WORK/pm-run" --cgroup-manager cgroupfs)
mkdir -p "$WORK/img"
cp /bin/busybox "$WORK/img/"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >"$WORK/img/Containerfile"
"${PM[@]}" build -q -t tcl-busybox "$WORK/img" >"$WORK/build.log" 2>&1 ||
	not_ok "the busybox image builds" "$(tail -3 "$WORK/build.log")"
# Storage and containers of the test's own, gone at exit (podman's processes are ended by
# podman itself: rm -f of the containers this test started).
on_exit '"${PM[@]}" rm -af -t 0 >/dev/null 2>&1; "${PM[@]}" image umount -af >/dev/null 2>&1
awk -v w="$WORK/" "index(\$5, w) == 1 { print \$5 }" /proc/self/mountinfo | sort -r |
	while read -r m; do umount -l "$m"; done 2>/dev/null'

# No container API here (a socket path that does not exist): ids only, and -v says why once.
NOAPI=(--container-api "$WORK/absent.sock")
start_tracer pm -G -C -v "${NOAPI[@]}" -P $PORT || not_ok "-G -C tracer starts" "$(cat "$WORK/pm.err")"
pm_tracer=$TRACER_PID
start_quiet_tracer pmj -j -v "${NOAPI[@]}" -P $PORT || not_ok "-j tracer starts" "$(cat "$WORK/pmj.err")"
pmj_tracer=$TRACER_PID
start_quiet_tracer pmh -H --by container "${NOAPI[@]}" -P $PORT || not_ok "-H tracer starts" "$(cat "$WORK/pmh.err")"
pmh_tracer=$TRACER_PID
# The long-lived one connects, then stays; the --rm one connects and is gone.
"${PM[@]}" run -d --network host --name tcl-long --cidfile "$WORK/long.cid" tcl-busybox sh -c \
	"nc 127.0.0.1 $PORT </dev/null; echo connected; sleep 600" >/dev/null 2>"$WORK/long.err" ||
	not_ok "the long-lived container starts" "$(cat "$WORK/long.err")"
long_done() { "${PM[@]}" logs tcl-long 2>/dev/null | grep -q connected; }
wait_for 20 long_done || not_ok "the long-lived container connected" "$("${PM[@]}" logs tcl-long 2>&1)"
"${PM[@]}" run --rm --network host --cidfile "$WORK/short.cid" tcl-busybox \
	nc 127.0.0.1 $PORT </dev/null >"$WORK/short.log" 2>&1 ||
	not_ok "the --rm container runs" "$(cat "$WORK/short.log")"
"$B/tconn" -c hostcli 127.0.0.1 $PORT >/dev/null
long_cid=$(cat "$WORK/long.cid")
short_cid=$(cat "$WORK/short.cid")
for t in $pm_tracer $pmj_tracer; do stop_tracer $t; done
kill -INT $pmh_tracer
wait $pmh_tracer

# rows_of CID: the -G -C rows of that container (its cgroup path, last).
rows_of() { awk -v c="/libpod_parent/libpod-$1" 'NR > 1 && $NF == c' "$WORK/pm.out"; }
for which in long short; do
	cid=${which}_cid
	cid=${!cid}
	expect "-G: the $which-lived container's connect shows /libpod_parent/libpod-${cid:0:12}..." \
		"$(cat "$WORK/pm.out")" [ ${#cid} = 64 -a "$(rows_of "$cid" | wc -l)" = 1 ]
	expect "-C: its CONTAINER column is ${cid:0:12}" "$(rows_of "$cid")" \
		[ "$(rows_of "$cid" | awk '{ print $(NF - 1) }')" = "${cid:0:12}" ]
	expect "-j: no API, so its container key is null" "$(grep -F "$cid" "$WORK/pmj.out")" \
		[ "$(jq -r --arg c "$cid" 'select(.container_id == $c) | .container' "$WORK/pmj.out")" = null ]
	expect "-j: its container_id is the full id" "$(grep -F "$cid" "$WORK/pmj.out")" \
		[ "$(jq -r --arg c "$cid" 'select(.container_id == $c) | .cgroup' "$WORK/pmj.out")" = \
		"/libpod_parent/libpod-$cid" ]
	expect "-H --by container: ${cid:0:12} counts 1" "$(cat "$WORK/pmh.out")" \
		[ "$(grep -c "^container ${cid:0:12}: count 1," "$WORK/pmh.out")" = 1 ]
done
expect "-C: the host's connect shows - in CONTAINER" "$(grep hostcli "$WORK/pm.out")" \
	[ "$(awk '$2 == "hostcli" { print $(NF - 1) }' "$WORK/pm.out")" = - ]
expect "-H --by container: the host's connects count under -" "$(cat "$WORK/pmh.out")" \
	grep -q "^container -: count [1-9]" "$WORK/pmh.out"
expect "-v: the missing API said once, with its path" "$(cat "$WORK/pm.err")" \
	[ "$(grep -c "container names unknown: cannot connect to --container-api $WORK/absent.sock: No such file" "$WORK/pm.err")" = 1 ]

# ---- names from podman's Docker-compatible API ----
# The service of this test's own store, on a socket in $WORK.
"${PM[@]}" system service --time=0 "unix://$WORK/pm.sock" >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
BG_PIDS+=($SERVICE_PID)
wait_for 20 test -S "$WORK/pm.sock" || not_ok "podman's API service starts" "$(cat "$WORK/service.log")"
API=(--container-api "$WORK/pm.sock")
MPORT=42302 PROMPORT=42303
start_tracer nm -C -G -v "${API[@]}" -P $PORT || not_ok "-C tracer with the API starts" "$(cat "$WORK/nm.err")"
nm_tracer=$TRACER_PID
start_quiet_tracer nmj -j -v "${API[@]}" -P $PORT || not_ok "-j tracer with the API starts" "$(cat "$WORK/nmj.err")"
nmj_tracer=$TRACER_PID
start_quiet_tracer nmh -H --by container "${API[@]}" -P $PORT ||
	not_ok "-H --by container tracer starts" "$(cat "$WORK/nmh.err")"
nmh_tracer=$TRACER_PID
start_quiet_tracer nmm --metrics 127.0.0.1:$MPORT --by container "${API[@]}" -P $PORT ||
	not_ok "--metrics --by container starts" "$(cat "$WORK/nmm.err")"
start_prometheus $PROMPORT 127.0.0.1:$MPORT || not_ok "Prometheus starts" "$(cat "$WORK/prom.log")"
# Kubernetes's labels, as a CRI runtime over the Docker API sets them. It waits a second
# before its connect: its start event has come by then, and the row names it.
"${PM[@]}" run -d --network host --name tcl-k8s --cidfile "$WORK/k8s.cid" \
	--label io.kubernetes.pod.name=web-0 --label io.kubernetes.pod.namespace=shop \
	--label io.kubernetes.container.name=app tcl-busybox sh -c \
	"sleep 1; nc 127.0.0.1 $PORT </dev/null; echo connected; sleep 600" >/dev/null 2>"$WORK/k8s.err" ||
	not_ok "the labelled container starts" "$(cat "$WORK/k8s.err")"
k8s_done() { "${PM[@]}" logs tcl-k8s 2>/dev/null | grep -q connected; }
wait_for 20 k8s_done || not_ok "the labelled container connected" "$("${PM[@]}" logs tcl-k8s 2>&1)"
# A container of a few ms: gone (and its cgroup) long before anything could ask about it.
t0=${EPOCHREALTIME//[!0-9]/}
"${PM[@]}" run --rm --network host --name tcl-brief --cidfile "$WORK/brief.cid" tcl-busybox \
	nc 127.0.0.1 $PORT </dev/null >"$WORK/brief.log" 2>&1 ||
	not_ok "the --rm container runs" "$(cat "$WORK/brief.log")"
t1=${EPOCHREALTIME//[!0-9]/}
brief_cid=$(cat "$WORK/brief.cid")
k8s_cid=$(cat "$WORK/k8s.cid")
# A container's cgroup the API never knew (as one that ended before it was asked): the API's
# 404 is no failure of the API; the row shows the id.
mkdir "$MNT/$CG/libpod-$GHOST_ID" &&
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -c ghostcli 127.0.0.1 "$3"' sh \
		"$MNT/$CG/libpod-$GHOST_ID" "$B/tconn" $PORT >"$WORK/ghost.conn" &&
	rmdir "$MNT/$CG/libpod-$GHOST_ID" || not_ok "the ghost container's cgroup connects" "$(cat "$WORK/ghost.conn")"
wait_line "$WORK/nm.out" '$2 == "ghostcli"'
expect "the --rm container is gone (podman run took $(((t1 - t0) / 1000)) ms)" \
	"$("${PM[@]}" ps -a)" sh -c "! ${PM[*]} container exists tcl-brief"
# Prometheus scrapes every second: the --rm container's series, by its name.
expect "Prometheus: --metrics --by container counts tcl-brief's connect by name" \
	"$(prom_query 'tcpconnlat_connect_duration_seconds_count' | jq -c .data.result)" \
	wait_prom 'sum(tcpconnlat_connect_duration_seconds_count{container="tcl-brief"})' 1
expect "Prometheus: and the labelled one's by io.kubernetes.container.name" \
	"$(prom_query 'tcpconnlat_connect_duration_seconds_count' | jq -c .data.result)" \
	wait_prom 'sum(tcpconnlat_connect_duration_seconds_count{container="app"})' 1
for t in $nm_tracer $nmj_tracer; do stop_tracer $t; done
kill -INT $nmh_tracer
wait $nmh_tracer

rows_of() { awk -v c="/libpod_parent/libpod-$1" 'NR > 1 && $NF == c' "$WORK/nm.out"; }
expect "-C: the labelled container's row is named app" "$(cat "$WORK/nm.out")" \
	[ "$(rows_of "$k8s_cid" | awk '{ print $(NF - 1) }')" = app ]
expect "-j: its container, pod and namespace are app, web-0, shop" "$(grep -F "$k8s_cid" "$WORK/nmj.out")" \
	[ "$(jq -r --arg c "$k8s_cid" 'select(.container_id == $c) | "\(.container) \(.pod) \(.namespace)"' \
	"$WORK/nmj.out")" = "app web-0 shop" ]
# The --rm one's row may have been formatted before its start event came (rows are not held
# back for names): its id or its name, nothing else.
brief_col=$(rows_of "$brief_cid" | awk '{ print $(NF - 1) }')
expect "-C: the --rm container's row shows tcl-brief or ${brief_cid:0:12}" "$(cat "$WORK/nm.out")" \
	[ -n "$brief_cid" -a \( "$brief_col" = tcl-brief -o "$brief_col" = "${brief_cid:0:12}" \) ]
expect "-H --by container: tcl-brief and app count 1 each, by name" "$(cat "$WORK/nmh.out")" \
	[ "$(grep -c "^container tcl-brief: count 1," "$WORK/nmh.out")" = 1 -a \
	"$(grep -c "^container app: count 1," "$WORK/nmh.out")" = 1 ]
expect "-C: a container the API does not know shows its id, ${GHOST_ID:0:12}" "$(grep ghostcli "$WORK/nm.out")" \
	[ "$(awk '$2 == "ghostcli" { print $(NF - 1) }' "$WORK/nm.out")" = "${GHOST_ID:0:12}" ]
expect "-v: nothing went wrong with the API (its 404 for an unknown container is none)" "$(cat "$WORK/nm.err")" \
	[ "$(grep -c "container names unknown\|container API failed" "$WORK/nm.err")" = 0 ]
expect "-v: the exit report counts the containers that had ended before they were asked" \
	"$(cat "$WORK/nm.err")" grep -Eq "containers the container API no longer knew when asked their names \(ended first\): [1-9]" "$WORK/nm.err"
# Ended here, before the store is removed: it holds the store's mounts too.
kill $SERVICE_PID
wait $SERVICE_PID 2>/dev/null

# ---- the tool itself in a container with a cgroup namespace of its own ----
# Podman's default on a cgroup v2 host (--cgroupns=private): the container's cgroup2 mount
# shows its own part of the tree only. The tool runs in a container (the host's PID
# namespace, so it traces the host's connects) in three ways: with that mount alone, with the
# host's cgroup2 mount given to it too (a volume), and with --cgroupns=host. Each time four
# connects, one per port: the host's, a container's started before the tool, a container's
# started after it (--rm), and the tool's own container's (podman exec).
HOSTP=42320 PREP=42321 NEWP=42322 OWNP=42323
for p in $HOSTP $PREP $NEWP $OWNP; do
	"$B/tconn" -s 127.0.0.1 $p >"$WORK/srv$p" &
	BG_PIDS+=($!)
	wait_for 5 grep -qs listening "$WORK/srv$p" || not_ok "the server on $p listens" "$(cat "$WORK/srv$p")"
done
# The tool (this build: its shared libraries copied along) on the busybox image.
mkdir -p "$WORK/toolimg/cg" "$WORK/toolimg/cg2" "$WORK/trig"
cp "$T" "$WORK/toolimg/tcpconnlat"
ldd "$T" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do cp -L --parents "$lib" "$WORK/toolimg/"; done
printf 'FROM localhost/tcl-busybox\nCOPY . /\n' >"$WORK/toolimg/Containerfile"
"${PM[@]}" build -q -t tcl-tool "$WORK/toolimg" >"$WORK/toolbuild.log" 2>&1 ||
	not_ok "the tool's image builds" "$(tail -3 "$WORK/toolbuild.log")"
# Started before the tools: it connects each time the test asks it (a file in /trig).
"${PM[@]}" run -d --network host --name tcl-pre --cidfile "$WORK/pre.cid" -v "$WORK/trig:/trig" \
	tcl-busybox sh -c "while :; do [ -e /trig/go ] && rm /trig/go && nc 127.0.0.1 $PREP </dev/null; sleep 0.05; done" \
	>/dev/null 2>"$WORK/pre.err" || not_ok "the container started before the tool runs" "$(cat "$WORK/pre.err")"
pre_cid=$(cat "$WORK/pre.cid")
host_cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
# In the container: a cgroup2 mount of its namespace's where podman made none (a hybrid
# host), first; the host's (MODE host-mount), moved after it, so that the tool must pick it
# over the first one.
TOOLSH='grep -Eq "^([^ ]+ ){4}/sys/fs/cgroup[^ ]* .* - cgroup2 " /proc/self/mountinfo || mount -t cgroup2 none /cg || exit 9
if [ -d /host-cgroup ]; then mount -o bind /host-cgroup /cg2 && umount /host-cgroup || exit 9; fi
exec /tcpconnlat -G -C --container-api /nonexistent -P '"$HOSTP,$PREP,$NEWP,$OWNP"
# run_tool MODE PODMAN-OPTIONS...: the tool's container in MODE, the four connects; its rows
# in $WORK/MODE.out, its stderr in $WORK/MODE.err; NEW_CID the --rm container's id, OWN_CID
# the tool's.
run_tool() {
	local mode=$1 pid
	shift
	"${PM[@]}" run --rm --privileged --pid=host --network=host --name tcl-tool-$mode \
		--cidfile "$WORK/$mode.cid" "$@" --entrypoint /bin/busybox tcl-tool sh -c "$TOOLSH" \
		>"$WORK/$mode.out" 2>"$WORK/$mode.err" &
	pid=$!
	BG_PIDS+=($pid)
	wait_for 30 grep -qs 'LAT(ms)' "$WORK/$mode.out" ||
		not_ok "$mode: the tool starts in its container" "$(cat "$WORK/$mode.err")"
	OWN_CID=$(cat "$WORK/$mode.cid")
	"$B/tconn" -c hostcli 127.0.0.1 $HOSTP >/dev/null
	touch "$WORK/trig/go"
	wait_for 5 test ! -e "$WORK/trig/go"
	"${PM[@]}" run --rm --network host --cidfile "$WORK/$mode-new.cid" tcl-busybox \
		nc 127.0.0.1 $NEWP </dev/null >/dev/null 2>&1
	NEW_CID=$(cat "$WORK/$mode-new.cid")
	"${PM[@]}" exec tcl-tool-$mode /bin/busybox nc 127.0.0.1 $OWNP </dev/null >/dev/null 2>&1
	for p in $HOSTP $PREP $NEWP $OWNP; do wait_for 3 has_line "$WORK/$mode.out" "\$6 == $p"; done
	kill -INT $pid
	wait $pid
}
# cols MODE PORT: CONTAINER and CGROUP of that port's row.
cols() { row_for "$WORK/$1.out" 6 "$2" | awk '{ print $8, $9 }'; }

run_tool private --cgroupns=private
expect "own cgroup namespace: the host's connect shows id:N, CONTAINER -" "$(cat "$WORK/private.out")" \
	eval '[[ "$(cols private $HOSTP)" =~ ^-\ id:[0-9]+$ ]]'
expect "own cgroup namespace: a container started before the tool: id:N, no container" \
	"$(cat "$WORK/private.out")" eval '[[ "$(cols private $PREP)" =~ ^-\ id:[0-9]+$ ]]'
expect "own cgroup namespace: a container started after it: its path from the tree's root, its id" \
	"$(cat "$WORK/private.out")" \
	eval '[[ "$(cols private $NEWP)" =~ ^${NEW_CID:0:12}\ /.*libpod-$NEW_CID ]]'
expect "own cgroup namespace: the tool's own container: / (its namespace's root), CONTAINER -" \
	"$(cat "$WORK/private.out")" [ "$(cols private $OWNP)" = "- /" ]
expect "own cgroup namespace: a warning says so, once, and how to run it" "$(cat "$WORK/private.err")" \
	[ "$(grep -c "warning: the cgroup2 mount .* shows a part of the cgroup tree .*--cgroupns=host" "$WORK/private.err")" = 1 ]

# whole_tree MODE: the host's cgroups by their paths, every container by its id, no warning.
whole_tree() {
	local mode=$1 what=$2
	expect "$what: the host's connect shows its cgroup, $host_cg" "$(cat "$WORK/$mode.out")" \
		[ "$(cols $mode $HOSTP)" = "- $host_cg" ]
	expect "$what: a container started before the tool: its path and id" "$(cat "$WORK/$mode.out")" \
		eval '[[ "$(cols $mode $PREP)" =~ ^${pre_cid:0:12}\ /.*libpod-$pre_cid ]]'
	expect "$what: a container started after it: its path and id" "$(cat "$WORK/$mode.out")" \
		eval '[[ "$(cols $mode $NEWP)" =~ ^${NEW_CID:0:12}\ /.*libpod-$NEW_CID ]]'
	expect "$what: the tool's own container: its path and id" "$(cat "$WORK/$mode.out")" \
		eval '[[ "$(cols $mode $OWNP)" =~ ^${OWN_CID:0:12}\ /.*libpod-$OWN_CID ]]'
	expect "$what: no warning" "$(cat "$WORK/$mode.err")" [ "$(grep -c warning "$WORK/$mode.err")" = 0 ]
}
run_tool hostmount --cgroupns=private -v "$MNT:/host-cgroup:ro"
whole_tree hostmount "own cgroup namespace, the host's cgroup2 mount given"
run_tool hostns --cgroupns=host
whole_tree hostns "--cgroupns=host"
