#!/usr/bin/env bash
# deploy/: the DaemonSet's pod template run by podman kube play, and the image run by podman
# with the host's PID namespace, both scraped by a real Prometheus (Debian's) of the test's
# own that also evaluates deploy/prometheus/rules.yml; then every query of the Grafana
# dashboard deploy/grafana/tcpconnlat.json, its variables substituted, must answer with data
# after a load of fast connects, a refused one and one whose first SYN is dropped (~1 s).
# What podman 4.3 cannot take from the template is changed, and only that (see the yq below).
. "$(dirname "$0")/common.sh"
require_bpf
need_tracefs
for c in podman buildah runc prometheus curl jq yq nsenter node; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done
private_podman
own_netns 6
trap 'ip netns del "$NS" 2>/dev/null; podman_cleanup; cleanup' EXIT
top=$(cd "$(dirname "$0")/../.." && pwd)
D=$top/deploy
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
IMG=localhost/tcpconnlat:$version
# Ports of this test only: the pod's metrics, the podman run's, Prometheus's; the connects'.
POD_M=43501 RUN_M=43502 PROMP=43503 FAST=43510 SLOW=43511 REFUSED=43512
PORTS=$FAST,$SLOW,$REFUSED

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

# The pod template as a Pod, as podman 4.3 can run it on this machine: the host's network (no
# container network here; so no port mappings either) with the metrics on loopback and -P
# (only this test's connects count); the seccompProfile field as the annotation podman reads.
# Security context, volumes and resources are the template's. podman ignores hostPID: the
# pod has a PID namespace of its own, and the connects it must see are made in it (nsenter).
yq -y --arg listen 127.0.0.1:$POD_M --arg ports $PORTS '{
	apiVersion: "v1", kind: "Pod",
	metadata: {name: "tcpconnlat-deploy-test", labels: .spec.template.metadata.labels,
		annotations: {"seccomp.security.alpha.kubernetes.io/pod":
			(.spec.template.spec.containers[0].securityContext.seccompProfile.type | ascii_downcase)}},
	spec: (.spec.template.spec | .hostNetwork = true | .containers[0] |= (del(.ports) |
		.args = [.args[] | if . == "0.0.0.0:9190" then $listen else . end] + ["-P", $ports]))
}' "$D/kubernetes/daemonset.yaml" >"$WORK/pod.yaml"
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
	(.Mounts | map("\(.Destination):\(.RW)")), .Config.User, .HostConfig.SecurityOpt]')
expect "... with the template's security context, limit and mounts" "$got" \
	test "$got" = '[["CAP_BPF","CAP_PERFMON"],true,134217728,["/sys/kernel/tracing:false"],"0:0",["no-new-privileges"]]'
PODPID=$(podman inspect $CTR --format '{{.State.Pid}}')

# The image as `podman run` with the host's PID namespace: it sees every host process.
timeout 300 podman run --rm --name tcpconnlat-run --pid=host --network=host --read-only --cap-drop=all \
	--cap-add=BPF,PERFMON --security-opt seccomp=unconfined -v /sys/kernel/tracing:/sys/kernel/tracing:ro \
	"$IMG" --metrics 127.0.0.1:$RUN_M --by dest -P $PORTS >"$WORK/run.out" 2>"$WORK/run.err" &
BG_PIDS+=($!)
wait_for 30 scraped $RUN_M
expect "podman run $IMG --metrics: metrics served" "$(cat "$WORK/run.err")" scraped $RUN_M

start_prometheus $PROMP 127.0.0.1:$POD_M,127.0.0.1:$RUN_M "$D/prometheus/rules.yml"
expect "Prometheus (with deploy/prometheus/rules.yml) is ready" "$(tail -3 "$WORK/prom.log")" prom_ready
expect "Prometheus scrapes both (up == 1 for the pod and the podman run)" "$(prom_query up | jq -c .data.result)" \
	wait_prom 'sum(up{job="tcpconnlat"})' 2

# The load, made in the pod's PID namespace (so both see it). First one connect to each
# destination, so that each series exists (a label set appears with its first connect) and
# is scraped before the load: rate() sees the load as an increase. Then 8 fast connects,
# one whose first SYN is dropped (in the test's own network namespace), one refused; and
# 2 fast connects from the host's PID namespace, which the pod, without hostPID, must not see.
inpod() { nsenter -t "$PODPID" -p -- "$@"; }
inpod "$B/tconn" -l 127.0.0.1 $FAST >/dev/null
inpod "$B/tconn" -l 127.0.0.1 $SLOW >/dev/null
inpod "$B/tconn" 127.0.0.1 $REFUSED >/dev/null
expect "both count the first connects, and Prometheus has them" \
	"$(prom_query 'tcpconnlat_connect_duration_seconds_count' | jq -c .data.result)" \
	wait_prom "sum(tcpconnlat_connect_duration_seconds_count{dport=~\"$FAST|$SLOW\"}) + sum(tcpconnlat_connect_failures_total{dport=\"$REFUSED\",reason=\"refused\"})" 6
inpod "$B/tconn" -n 8 -l 127.0.0.1 $FAST >/dev/null
DROP_NETNS=$NS start_dropsyn "$WORK/drop.out" $SLOW || not_ok "dropsyn starts" "$(cat "$WORK/drop.out")"
inpod ip netns exec "$NS" "$B/tconn" -l 127.0.0.1 $SLOW >"$WORK/slow.conn"
stop_dropsyn
inpod "$B/tconn" 127.0.0.1 $REFUSED >/dev/null
conn -n 2 -l 127.0.0.1 $FAST >/dev/null

c="tcpconnlat_connect_duration_seconds_count{dport=\"$FAST\""
expect "the pod counts the 9 connects of its PID namespace, not the host's 2 (why hostPID)" \
	"$(prom_query "$c}" | jq -c .data.result)" wait_prom "$c,instance=\"127.0.0.1:$POD_M\"}" 9
expect "the podman run with --pid=host counts all 11" "$(prom_query "$c}" | jq -c .data.result)" \
	wait_prom "$c,instance=\"127.0.0.1:$RUN_M\"}" 11
expect "both count the SYN retransmission and the 2 refusals" \
	"$(prom_query 'tcpconnlat_syn_retransmits_total' | jq -c .data.result)" \
	wait_prom "sum(tcpconnlat_syn_retransmits_total{dport=\"$SLOW\"}) + sum(tcpconnlat_connect_failures_total{dport=\"$REFUSED\",reason=\"refused\"})" 6
rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$PODPID"/status)
# The peak of the container's memory cgroup (v1 here, hybrid): BPF maps are charged to it.
memcg=$(sed -n 's/^[0-9]*:memory://p' /proc/"$PODPID"/cgroup)
mem=$(cat "/sys/fs/cgroup/memory$memcg/memory.max_usage_in_bytes" 2>/dev/null)
expect "the pod's memory: RSS ${rss} kB, cgroup peak ${mem:-?} bytes, within the 32Mi request" "" \
	test "${rss:-99999}" -lt 32768 -a "${mem:-0}" -lt 33554432

# The recording rules, evaluated by Prometheus on these metrics.
expect "rules.yml: the recorded p99 for :$SLOW is in the 1 s bucket" \
	"$(prom_value "daddr_dport:tcpconnlat_connect_duration_seconds:p99_rate5m{dport=\"$SLOW\"}")" \
	wait_for 15 eval "awk -v q=\"\$(prom_value 'daddr_dport:tcpconnlat_connect_duration_seconds:p99_rate5m{dport=\"$SLOW\"}')\" 'BEGIN { exit !(q > 0.524288 && q <= 1.048576) }'"
expect "rules.yml: the recorded failure ratio for :$REFUSED is 1" \
	"$(prom_value "daddr_dport:tcpconnlat_connect_failures:ratio_rate5m{dport=\"$REFUSED\"}")" \
	wait_prom "daddr_dport:tcpconnlat_connect_failures:ratio_rate5m{dport=\"$REFUSED\"}" 1

# Every panel query of the dashboard, as Grafana sends it with "All" selected: each answers
# without error and with at least one series. The variables' own queries list values.
dash=$D/grafana/tcpconnlat.json
subst() { sed -e 's/\$__rate_interval/1m/g' -e 's/\$__range/5m/g' -e 's/\$instance/.*/g' \
	-e 's/\$daddr/.*/g' -e 's/\$container/.*/g'; }
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
for v in instance daddr; do
	def=$(jq -r --arg v $v '.templating.list[] | select(.name == $v) | .query.query' "$dash")
	got=$(label_values "$def")
	expect "dashboard variable \$$v lists values ($got)" "$def" test -n "$got"
done
expect "dashboard panels with data for the slow destination: p99 about 1 s" "" \
	awk -v q="$(prom_value "$(jq -r '.panels[1].targets[2].expr' "$dash" | subst | sed "s/daddr=~\".\*\"/dport=\"$SLOW\"/")")" \
	'BEGIN { exit !(q > 0.524288 && q <= 1.048576) }'
