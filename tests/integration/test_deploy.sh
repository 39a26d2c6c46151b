#!/usr/bin/env bash
# deploy/: the DaemonSet's pod template run by podman kube play, and the image run by podman
# with the template's flags and mounts, the host's PID namespace and a private cgroup
# namespace (a Kubernetes node's on cgroup v2), both scraped by a real Prometheus (Debian's)
# of the test's own that also evaluates deploy/prometheus/rules.yml; then every query of the
# Grafana dashboard deploy/grafana/tcpconnlat.json, its variables substituted, must answer
# with data after a load of fast connects, a refused one and one whose first SYN is dropped
# (~1 s). The DaemonSet's labels (namespace, pod, container) must name a connect made in a
# cgroup laid out as containerd's under the kubelet (systemd driver), with the pod in a
# kubelet-like log directory of the test's own, one made in a real podman container, and
# one made outside containers ("-"); and a tool with no more than a container's own cgroup
# namespace and mount must not name them (why the template mounts the node's hierarchy).
# What podman 4.3 cannot take from the template is changed, and only that (see the yq below).
. "$(dirname "$0")/common.sh"
require_bpf
need_tracefs
for c in podman buildah runc prometheus curl jq yq nsenter unshare node; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done
[ -x /bin/busybox ] || { not_ok "busybox is installed" "make test-deps installs busybox-static"; exit 1; }
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$MNT" ] || { not_ok "a cgroup v2 hierarchy is mounted" "the DaemonSet's labels need one"; exit 1; }
# The test's cgroups, below one of its own: emptied (into the root) and removed at exit,
# after podman's containers (the cleanups run last registered first).
CG=$MNT/tcl-deploy-$$.slice
remove_cgroups "$CG"
private_podman
own_netns 6
top=$(cd "$(dirname "$0")/../.." && pwd)
D=$top/deploy
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
IMG=localhost/tcpconnlat:$version
# Ports of this test only: the pod's metrics, the podman run's, Prometheus's, the tool's
# without the node's cgroups; the connects' (NAMED and NAMEDREF: those whose labels count).
POD_M=43501 RUN_M=43502 PROMP=43503 NOCG_M=43504
FAST=43510 SLOW=43511 REFUSED=43512 NAMED=43513 NAMEDREF=43514
PORTS=$FAST,$SLOW,$REFUSED,$NAMED,$NAMEDREF

# A pod as the kubelet and containerd lay it out on a cgroup v2 node (systemd driver): the
# container's cgroup kubepods-QOS-podUID.slice/cri-containerd-ID.scope, and the kubelet's log
# directory NAMESPACE_POD_UID/CONTAINER/, here in a tree of the test's own that stands in
# for the node's /var/log/pods. And a cgroup outside any container, where every other
# connect of the test is made, so that its labels are "-" wherever the test runs.
PUID=5b7e1c9a-3d2f-4e8b-9c1a-2f3e4d5c6b7a
CID=$(printf 'cd%062x' 24)
KCG=$CG/kubepods-besteffort-pod${PUID//-/_}.slice/cri-containerd-$CID.scope
HCG=$CG/host.scope
mkdir -p "$KCG" "$HCG" "$WORK/pods/shop_web-1_$PUID/app" ||
	{ not_ok "the test's cgroups and pod directory are made" "mkdir failed"; exit 1; }
# in_cgroup DIR CMD...: CMD in the cgroup DIR ($$ is written in the PID namespace it runs in).
in_cgroup() { sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$@"; }

# The manifests against Kubernetes' API schemas, offline (npm's kubernetes-models, installed
# by make test-deps): every file kustomization.yaml lists, and the PodMonitor. A DaemonSet
# with a wrong type in it must be refused (the control).
K=$D/kubernetes
files=$(yq -r '.resources[]' "$K/kustomization.yaml" | sed "s|^|$K/|")
expect "kustomization.yaml lists namespace, daemonset and service (files that exist)" "$files" \
	test "$(for f in $files; do [ -f "$f" ] && basename "$f"; done | tr '\n' ' ')" = "namespace.yaml daemonset.yaml service.yaml "
validate() { node "$top/tests/deploy/validate.mjs"; }
out=$(for f in $files "$K/podmonitor.yaml"; do yq -c . "$f"; done | validate 2>&1)
expect "the manifests validate against Kubernetes' schemas (kubernetes-models)" "$(tr '\n' '|' <<<"$out")" \
	test "$(grep -c '^valid ' <<<"$out"):$(grep -vc '^valid ' <<<"$out")" = 4:0
out=$(yq -c '.spec.template.spec.containers[0].securityContext.runAsUser = "root"' "$K/daemonset.yaml" | validate 2>&1)
expect "... and a DaemonSet with runAsUser: \"root\" does not" "$out" grep -q '^invalid DaemonSet.*runAsUser' <<<"$out"

got="$(yq -r '.spec.template.spec.containers[0].image' "$K/daemonset.yaml") $(yq -r '.images[0].newTag' "$K/kustomization.yaml")"
expect "the DaemonSet and kustomization.yaml name this version's image" "$got" test "$got" = "tcpconnlat:$version $version"

(unset OUTPUT MAKEFLAGS MAKELEVEL MFLAGS && make -C "$top" image) >"$WORK/image.log" 2>&1 ||
	{ not_ok "make image" "$(tail -3 "$WORK/image.log" | tr '\n' '|')"; exit 1; }
# A container image with a shell and nc, built here FROM scratch (nothing downloaded).
mkdir -p "$WORK/img" && cp /bin/busybox "$WORK/img/" &&
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >"$WORK/img/Containerfile"
podman build -q -t tcl-busybox "$WORK/img" >"$WORK/busybox.log" 2>&1 ||
	{ not_ok "the busybox image builds" "$(tail -3 "$WORK/busybox.log")"; exit 1; }

# The template's --by list, and its args with the metrics on LISTEN and only this test's
# ports (-P); its mounts as podman run's --volume, with the test's pod tree for /var/log/pods.
DS=$K/daemonset.yaml
BY=$(yq -r '.spec.template.spec.containers[0].args as $a | $a[($a | index("--by")) + 1]' "$DS")
expect "the DaemonSet labels by namespace, pod, container and destination" "$BY" \
	test "$BY" = namespace,pod,container,dest
ds_args() {
	yq -r --arg listen "$1" '.spec.template.spec.containers[0].args[] |
		if . == "0.0.0.0:9190" then $listen else . end' "$DS"
	printf '%s\n' -P $PORTS
}
ds_volumes() {
	yq -r --arg pods "$WORK/pods" '.spec.template.spec as $s | $s.containers[0].volumeMounts[] |
		. as $m | ($s.volumes[] | select(.name == $m.name) | .hostPath.path) as $h |
		"--volume=\(if $h == "/var/log/pods" then $pods else $h end):\($m.mountPath):\(if $m.readOnly then "ro" else "rw" end)"' "$DS"
}

# The pod template as a Pod, as podman 4.3 can run it on this machine: the host's network (no
# container network here; so no port mappings either) with the metrics on loopback and -P
# (only this test's connects count); the seccompProfile field as the annotation podman reads;
# the test's pod tree for the node's /var/log/pods. Security context, the other volumes
# (the node's cgroup hierarchy and tracefs) and resources are the template's. podman ignores
# hostPID: the pod has a PID namespace of its own, and the connects it must see are made in
# it (nsenter). podman gives it the host's cgroup namespace (cgroup v1 here; kube play has
# no setting for it): the private one a node on cgroup v2 gives is the podman run's below.
yq -y --arg listen 127.0.0.1:$POD_M --arg ports $PORTS --arg pods "$WORK/pods" '{
	apiVersion: "v1", kind: "Pod",
	metadata: {name: "tcpconnlat-deploy-test", labels: .spec.template.metadata.labels,
		annotations: {"seccomp.security.alpha.kubernetes.io/pod":
			(.spec.template.spec.containers[0].securityContext.seccompProfile.type | ascii_downcase)}},
	spec: (.spec.template.spec | .hostNetwork = true | .containers[0] |= (del(.ports) |
		.args = [.args[] | if . == "0.0.0.0:9190" then $listen else . end] + ["-P", $ports]) |
		.volumes |= map(if .hostPath.path == "/var/log/pods" then .hostPath.path = $pods else . end))
}' "$DS" >"$WORK/pod.yaml"
expect "the template's args listen on 0.0.0.0:9190 (replaced by the test's port)" "$(grep -A2 'args' "$WORK/pod.yaml")" \
	grep -q "127.0.0.1:$POD_M" "$WORK/pod.yaml"
(cd "$WORK" && timeout 120 podman kube play --build=false pod.yaml) >"$WORK/play.log" 2>&1
CTR=tcpconnlat-deploy-test-tcpconnlat
scraped() { curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | grep -q '^tcpconnlat_build_info'; }
wait_for 30 scraped $POD_M
expect "podman kube play runs the DaemonSet's pod template: metrics served" \
	"$(tail -3 "$WORK/play.log" | tr '\n' '|') $(podman logs $CTR 2>&1 | tail -3 | tr '\n' '|')" scraped $POD_M
# (Unconfined seccomp is not in podman's inspect output: that the pod traces at all shows it,
# since podman's default profile refuses bpf() here, as test_image.sh shows.)
got=$(podman inspect $CTR | jq -c '.[0] | [.HostConfig.CapAdd, .HostConfig.ReadonlyRootfs, .HostConfig.Memory,
	(.Mounts | map("\(.Source)>\(.Destination):\(.RW)") | sort), .Config.User, .HostConfig.SecurityOpt]')
want=$(jq -cn --arg pods "$WORK/pods" '[["CAP_BPF","CAP_PERFMON"], true, 134217728,
	(["\($pods)>/var/log/pods:false", "/sys/fs/cgroup>/sys/fs/cgroup:false",
	  "/sys/kernel/tracing>/sys/kernel/tracing:false"] | sort), "0:0", ["no-new-privileges"]]')
expect "... with the template's security context, limit and mounts (read-only: the node's cgroups, pod logs, tracefs)" \
	"$got" test "$got" = "$want"
PODPID=$(podman inspect $CTR --format '{{.State.Pid}}')

# The image as `podman run` with the template's args and mounts, the host's PID namespace (it
# sees every host process) and a cgroup namespace of its own (as on a cgroup v2 node).
mapfile -t run_args < <(ds_args 127.0.0.1:$RUN_M)
mapfile -t run_vols < <(ds_volumes)
timeout 300 podman run --rm --name tcpconnlat-run --pid=host --cgroupns=private --network=host --read-only \
	--cap-drop=all --cap-add=BPF,PERFMON --security-opt seccomp=unconfined "${run_vols[@]}" \
	"$IMG" "${run_args[@]}" >"$WORK/run.out" 2>"$WORK/run.err" &
BG_PIDS+=($!)
wait_for 30 scraped $RUN_M
expect "podman run $IMG ${run_args[*]} ${run_vols[*]}: metrics served" "$(cat "$WORK/run.err")" scraped $RUN_M
RUNPID=$(podman inspect tcpconnlat-run --format '{{.State.Pid}}')
got="$(readlink /proc/"$RUNPID"/ns/cgroup) $(readlink /proc/self/ns/cgroup)"
expect "... in a cgroup namespace of its own, not the host's ($got)" "$got" \
	test -n "${got%% *}" -a "${got%% *}" != "${got##* }"

# The tool as a container on cgroup v2 would have it without the template's mount of the
# node's hierarchy: a cgroup namespace of its own, rooted at its own cgroup, and the cgroup2
# mount of that namespace (what runc makes). Every other cgroup is outside that mount.
# The tool in its own cgroup, in a cgroup namespace of its own (rooted there) and a mount
# namespace whose cgroup2 at $MNT is that namespace's. (Each step execs the next: $! is the
# tool's PID.)
mkdir -p "$CG/own.scope"
mapfile -t nocg_args < <(ds_args 127.0.0.1:$NOCG_M)
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG/own.scope" \
	unshare --cgroup --mount --propagation private \
	sh -c 'umount -l "$1" && mount -t cgroup2 cgroup2 "$1" && shift && exec "$@"' sh "$MNT" \
	"$T" "${nocg_args[@]}" --pod-logs "$WORK/pods" >"$WORK/nocg.out" 2>"$WORK/nocg.err" &
BG_PIDS+=($!)
wait_for 30 scraped $NOCG_M
expect "the tool in a cgroup namespace and mount of its own serves metrics" "$(cat "$WORK/nocg.err")" \
	scraped $NOCG_M

start_prometheus $PROMP 127.0.0.1:$POD_M,127.0.0.1:$RUN_M "$D/prometheus/rules.yml"
expect "Prometheus (with deploy/prometheus/rules.yml) is ready" "$(tail -3 "$WORK/prom.log")" prom_ready
expect "Prometheus scrapes both (up == 1 for the pod and the podman run)" "$(prom_query up | jq -c .data.result)" \
	wait_prom 'sum(up{job="tcpconnlat"})' 2

# The load, made in the pod's PID namespace (so both see it), in the test's cgroup outside
# containers unless said. First one connect to each destination, so that each series exists
# (a label set appears with its first connect) and is scraped before the load: rate() sees
# the load as an increase. Then 8 fast connects, one whose first SYN is dropped (in the
# test's own network namespace), one refused; and 2 fast connects from the host's PID
# namespace, which the pod, without hostPID, must not see. To NAMED (served) and NAMEDREF
# (refused): from the kubelet-like pod's cgroup one of each and again, from outside
# containers one, and from a real container (podman, a PID namespace of its own: only the
# exporters with the host's see it; podman cannot put it in the kube play pod's) one.
"$B/tconn" -s 127.0.0.1 $NAMED >"$WORK/named.srv" &
BG_PIDS+=($!)
wait_for 5 grep -qs listening "$WORK/named.srv" || not_ok "the server on :$NAMED listens" "$(cat "$WORK/named.srv")"
# inpod_cg CGROUP CMD...: CMD in the pod's PID namespace and in CGROUP; inpod: in $HCG.
inpod_cg() { nsenter -t "$PODPID" -p -- sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$@"; }
inpod() { inpod_cg "$HCG" "$@"; }
inpod "$B/tconn" -l 127.0.0.1 $FAST >/dev/null
inpod "$B/tconn" -l 127.0.0.1 $SLOW >/dev/null
inpod "$B/tconn" 127.0.0.1 $REFUSED >/dev/null
inpod_cg "$KCG" "$B/tconn" 127.0.0.1 $NAMED >"$WORK/k.conn"
inpod_cg "$KCG" "$B/tconn" 127.0.0.1 $NAMEDREF >>"$WORK/k.conn"
expect "both count the first connects, and Prometheus has them" \
	"$(prom_query 'tcpconnlat_connect_duration_seconds_count' | jq -c .data.result)" \
	wait_prom "sum(tcpconnlat_connect_duration_seconds_count{dport=~\"$FAST|$SLOW|$NAMED\"}) + sum(tcpconnlat_connect_failures_total{dport=~\"$REFUSED|$NAMEDREF\",reason=\"refused\"})" 10
inpod "$B/tconn" -n 8 -l 127.0.0.1 $FAST >/dev/null
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" $SLOW || not_ok "dropsyn starts" "$(cat "$WORK/drop.out")"
inpod ip netns exec "$NS" "$B/tconn" -l 127.0.0.1 $SLOW >"$WORK/slow.conn"
stop_dropsyn
inpod "$B/tconn" 127.0.0.1 $REFUSED >/dev/null
in_cgroup "$HCG" "$B/tconn" -n 2 -l 127.0.0.1 $FAST >/dev/null
inpod_cg "$KCG" "$B/tconn" 127.0.0.1 $NAMED >>"$WORK/k.conn"
inpod_cg "$KCG" "$B/tconn" 127.0.0.1 $NAMEDREF >>"$WORK/k.conn"
inpod "$B/tconn" 127.0.0.1 $NAMED >/dev/null
podman run --rm --network host --cidfile "$WORK/bb.cid" tcl-busybox \
	nc 127.0.0.1 $NAMED </dev/null >"$WORK/bb.log" 2>&1 ||
	not_ok "a busybox container connects" "$(cat "$WORK/bb.log")"
BB=$(cat "$WORK/bb.cid" 2>/dev/null)
expect "the pod's cgroup connects: 2 made, 2 refused" "$(cat "$WORK/k.conn")" \
	test "$(grep -c '^ok' "$WORK/k.conn"):$(grep -c '^fail.*errno=ECONNREFUSED' "$WORK/k.conn")" = 2:2

c="tcpconnlat_connect_duration_seconds_count{dport=\"$FAST\""
expect "the pod counts the 9 connects of its PID namespace, not the host's 2 (why hostPID)" \
	"$(prom_query "$c}" | jq -c .data.result)" wait_prom "sum($c,instance=\"127.0.0.1:$POD_M\"})" 9
expect "the podman run with --pid=host counts all 11" "$(prom_query "$c}" | jq -c .data.result)" \
	wait_prom "sum($c,instance=\"127.0.0.1:$RUN_M\"})" 11

# The labels. Both exporters name the pod's connects by its log directory (namespace shop,
# pod web-1, its only container app) and the connect outside containers "-"; the podman
# run's names the podman container's by its id (12 hex digits: no container API in it, as on
# a containerd node).
named() { prom_query "tcpconnlat_connect_duration_seconds_count{dport=\"$NAMED\"}" | jq -c .data.result; }
for m in $POD_M $RUN_M; do
	at="instance=\"127.0.0.1:$m\",daddr=\"127.0.0.1\""
	k="namespace=\"shop\",pod=\"web-1\",container=\"app\",$at"
	expect "$m: the pod's connects are namespace shop, pod web-1, container app: 2 made" "$(named)" \
		wait_prom "tcpconnlat_connect_duration_seconds_count{$k,dport=\"$NAMED\"}" 2
	expect "$m: ... and 2 refused" \
		"$(prom_query "tcpconnlat_connect_failures_total{dport=\"$NAMEDREF\"}" | jq -c .data.result)" \
		wait_prom "tcpconnlat_connect_failures_total{$k,dport=\"$NAMEDREF\",reason=\"refused\"}" 2
	expect "$m: the connect outside containers is namespace, pod and container -" "$(named)" \
		wait_prom "tcpconnlat_connect_duration_seconds_count{namespace=\"-\",pod=\"-\",container=\"-\",$at,dport=\"$NAMED\"}" 1
done
bb="tcpconnlat_connect_duration_seconds_count{namespace=\"-\",pod=\"-\",container=\"${BB:0:12}\",daddr=\"127.0.0.1\",dport=\"$NAMED\""
expect "the podman run: the podman container's connect is container ${BB:0:12}, pod and namespace -" "$(named)" \
	wait_prom "$bb,instance=\"127.0.0.1:$RUN_M\"}" 1
expect "the pod does not see it (a PID namespace it does not see)" "$(named)" \
	prom_answers "$bb,instance=\"127.0.0.1:$POD_M\"}" none
# Without the node's hierarchy, a cgroup that was there before the tool started has no path:
# the pod's connects are "-" like the one outside containers (all 3 in one series). Only a
# cgroup made later is named, from the kernel's cgroup_mkdir record (its path from the
# hierarchy's root): the podman container's. (A DaemonSet's pod starts after most of the
# node's pods: all of them, when it is updated.)
nocg=$(curl -s --max-time 5 "http://127.0.0.1:$NOCG_M/metrics" |
	sed -n "s/^tcpconnlat_connect_duration_seconds_count{\(.*\),daddr=\"127.0.0.1\",dport=\"$NAMED\"} /\1 /p" | sort)
want=$(printf '%s\n' 'namespace="-",pod="-",container="-" 3' "namespace=\"-\",pod=\"-\",container=\"${BB:0:12}\" 1" | sort)
expect "without the node's cgroup hierarchy the pod's connects are not named (why the template mounts it)" \
	"$nocg" test "$nocg" = "$want"
expect "both count the SYN retransmission and the 2 refusals" \
	"$(prom_query 'tcpconnlat_syn_retransmits_total' | jq -c .data.result)" \
	wait_prom "sum(tcpconnlat_syn_retransmits_total{dport=\"$SLOW\"}) + sum(tcpconnlat_connect_failures_total{dport=\"$REFUSED\",reason=\"refused\"})" 6
# The container's memory cgroup, which BPF maps are charged to: after the load within the
# 32Mi request; its peak, at start, within half the 128Mi limit (the kernel's verifier
# memory is charged to it too, for every backend auto tries: where fentry and kprobe fail
# first, as on this machine, it peaks about 10 MB higher than with --backend tracepoint).
rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$PODPID"/status)
memcg=$(sed -n 's/^[0-9]*:memory://p' /proc/"$PODPID"/cgroup)
if [ -n "$memcg" ]; then # cgroup v1's memory controller (hybrid)
	now=$(cat "/sys/fs/cgroup/memory$memcg/memory.usage_in_bytes")
	peak=$(cat "/sys/fs/cgroup/memory$memcg/memory.max_usage_in_bytes")
else # cgroup v2 (memory.peak: Linux 5.19)
	memcg=$MNT$(sed -n 's/^0:://p' /proc/"$PODPID"/cgroup)
	now=$(cat "$memcg/memory.current")
	peak=$(cat "$memcg/memory.peak")
fi
expect "the pod's memory: RSS ${rss:-?} kB; its cgroup ${now:-?} bytes after the load (32Mi requested), at most ${peak:-?} (128Mi limit)" \
	"" test "${rss:-99999}" -lt 32768 -a "${now:-99999999999}" -lt 33554432 -a "${peak:-99999999999}" -lt 67108864

# The recording rules, evaluated by Prometheus on these metrics.
expect "rules.yml: the recorded p99 for :$SLOW is in the 1 s bucket" \
	"$(prom_value "daddr_dport:tcpconnlat_connect_duration_seconds:p99_rate5m{dport=\"$SLOW\"}")" \
	wait_for 15 eval "awk -v q=\"\$(prom_value 'daddr_dport:tcpconnlat_connect_duration_seconds:p99_rate5m{dport=\"$SLOW\"}')\" 'BEGIN { exit !(q > 0.524288 && q <= 1.048576) }'"
expect "rules.yml: the recorded failure ratio for :$REFUSED is 1" \
	"$(prom_value "daddr_dport:tcpconnlat_connect_failures:ratio_rate5m{dport=\"$REFUSED\"}")" \
	wait_prom "daddr_dport:tcpconnlat_connect_failures:ratio_rate5m{dport=\"$REFUSED\"}" 1
# Half of the pod's connects after its first two were refused: about 0.5 (the rates of two
# series, each extrapolated from its own samples).
r='namespace_pod_container:tcpconnlat_connect_failures:ratio_rate5m{namespace="shop",pod="web-1",container="app"}'
near() { awk -v q="$(prom_value "$1")" -v w="$2" 'BEGIN { exit !(q > w * 0.8 && q < w * 1.2) }'; }
expect "rules.yml: the recorded failure ratio of shop/web-1's container app is about 0.5" \
	"$(prom_value "$r")" wait_for 15 near "$r" 0.5

# Every panel query of the dashboard, as Grafana sends it with "All" selected: each answers
# without error and with at least one series. The variables' own queries list values.
dash=$D/grafana/tcpconnlat.json
# Every variable of the dashboard as "All" (.*), the intervals as Grafana fills them in.
subst() {
	sed -e 's/\$__rate_interval/1m/g' -e 's/\$__range/5m/g' \
		-e "$(jq -r '.templating.list[] | select(.includeAll) | "s/\\$\(.name)\\b/.*/g"' "$dash")"
}
n=0 bad=""
while IFS= read -r expr; do
	n=$((n + 1))
	ans=$(prom_query "$(subst <<<"$expr")")
	if [ "$(jq -r '.status' <<<"$ans")" != success ]; then
		bad="$bad [error: $expr: $(jq -r .error <<<"$ans")]"
	elif [ "$(jq '.data.result | length' <<<"$ans")" = 0 ]; then
		bad="$bad [no series: $expr]"
	elif [ "$(jq '[.data.result[] | select(.value[1] != "NaN")] | length' <<<"$ans")" = 0 ]; then
		bad="$bad [only NaN: $expr]"
	fi
done < <(jq -r '.panels[] | (., .panels[]?) | .targets[]? | .expr' "$dash")
expect "the dashboard's $n panel queries all answer with data (a series with a number)" "$bad" test "$n" -ge 10 -a -z "$bad"
# label_values(METRIC{...}, LABEL): the values of LABEL in METRIC's series.
label_values() {
	local m l
	m=$(sed -n 's/^label_values(\(.*\), *\([a-z_]*\))$/\1/p' <<<"$1" | subst)
	l=$(sed -n 's/^label_values(\(.*\), *\([a-z_]*\))$/\2/p' <<<"$1")
	curl -s "http://127.0.0.1:$PROM/api/v1/series" --data-urlencode "match[]=$m" |
		jq -r --arg l "$l" '[.data[][$l] // empty] | unique | join(",")'
}
# Each variable lists (at least) the values of this test's connects.
for want in "instance 127.0.0.1:$POD_M 127.0.0.1:$RUN_M" "namespace shop -" "pod web-1 -" \
	"container app ${BB:0:12} -" "daddr 127.0.0.1"; do
	set -- $want
	def=$(jq -r --arg v $1 '.templating.list[] | select(.name == $v) | .query.query' "$dash")
	got=$(label_values "$def")
	missing=$(for w in "${@:2}"; do tr ',' '\n' <<<"$got" | grep -qx -- "$w" || echo "$w"; done)
	expect "dashboard variable \$$1 lists ${*:2} ($got)" "$def; missing: $missing" \
		test -n "$def" -a -z "$missing"
done
# The per-container panels are by container: the pod's container, with its pod and namespace.
for title in "Connect latency p99 per container" "Failure ratio per container" \
	"Slowest: p99 per container and destination"; do
	expr=$(jq -r --arg t "$title" '.panels[] | select(.title == $t) | .targets[0].expr' "$dash")
	got=$(prom_query "$(subst <<<"$expr")" | jq '[.data.result[].metric |
		select(.namespace == "shop" and .pod == "web-1" and .container == "app")] | length')
	expect "dashboard panel \"$title\": a series of shop/web-1's container app" "$expr" \
		test "${got:-0}" -ge 1
done
expect "dashboard panels with data for the slow destination: p99 about 1 s" "" \
	awk -v q="$(prom_value "$(jq -r '.panels[1].targets[2].expr' "$dash" | subst | sed "s/daddr=~\".\*\"/dport=\"$SLOW\"/")")" \
	'BEGIN { exit !(q > 0.524288 && q <= 1.048576) }'
