#!/usr/bin/env bash
# deploy/prometheus/rules.yml: promtool check rules, and promtool test rules with
# tests/deploy/rules_test.yml (recorded p99 and failure ratio per destination and per
# container, with the DaemonSet's labels; each alert firing when it should and not before).
# The unit tests must be able to fail: copies of the rules with the latency threshold raised,
# with the per-container alert taking in processes outside pods, or with the per-container
# records not by container, must each fail them. (test_deploy.sh has a real Prometheus
# evaluate the same rules on real metrics.) Needs no root.
. "$(dirname "$0")/common.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$WORK
command -v promtool >/dev/null || { not_ok "promtool is installed" "make test-deps installs prometheus"; exit 1; }

out=$(promtool check rules "$top/deploy/prometheus/rules.yml" 2>&1)
expect "promtool check rules deploy/prometheus/rules.yml" "$out" grep -q 'SUCCESS: 14 rules found' <<<"$out"
out=$(cd "$top/tests/deploy" && promtool test rules rules_test.yml 2>&1)
expect "promtool test rules tests/deploy/rules_test.yml" "$(tr '\n' '|' <<<"$out")" grep -q SUCCESS <<<"$out"

# mutant SED NAME: the unit tests against a copy of the rules changed by SED (which must
# change them): their output, in $out.
mutant() {
	mkdir -p "$work/$2/deploy/prometheus" "$work/$2/tests/deploy"
	sed "$1" "$top/deploy/prometheus/rules.yml" >"$work/$2/deploy/prometheus/rules.yml"
	cp "$top/tests/deploy/rules_test.yml" "$work/$2/tests/deploy/"
	if cmp -s "$top/deploy/prometheus/rules.yml" "$work/$2/deploy/prometheus/rules.yml"; then
		out="the sed '$1' changed nothing"
	else
		out=$(cd "$work/$2/tests/deploy" && promtool test rules rules_test.yml 2>&1)
	fi
}
# The p99 threshold at 5 s: the alert no longer fires.
mutant 's/p99_rate5m > 0.5$/p99_rate5m > 5/' threshold
expect "... and they fail for rules whose p99 threshold is 5 s (TCPConnectLatencyHigh missing)" \
	"$(tr '\n' '|' <<<"$out")" test "$(grep -c 'alertname: TCPConnectLatencyHigh' <<<"$out"):$(grep -c SUCCESS <<<"$out")" = 1:0
# The per-container alert without its container!="-": it fires for processes outside pods too.
mutant 's/{container!="-"}//' outside
expect "... for rules whose per-container alert takes in processes outside pods (container \"-\")" \
	"$(tr '\n' '|' <<<"$out")" test "$(grep -c 'alertname: TCPConnectFailureRatioHighInContainer' <<<"$out"):$(grep -c 'container="-", namespace="-", pod="-", severity' <<<"$out"):$(grep -c SUCCESS <<<"$out")" = 1:1:0
# The per-container latency records by namespace and pod only: no container label.
mutant 's/by (namespace, pod, container, le)/by (namespace, pod, le)/' bypod
expect "... for rules whose per-container latency is not by container" \
	"$(tr '\n' '|' <<<"$out")" test "$(grep -c 'expr: "namespace_pod_container:tcpconnlat_connect_duration_seconds:p99_rate5m"' <<<"$out"):$(grep -c SUCCESS <<<"$out")" = 1:0
