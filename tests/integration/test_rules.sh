#!/usr/bin/env bash
# deploy/prometheus/rules.yml: promtool check rules, and promtool test rules with
# tests/deploy/rules_test.yml (recorded p99 and failure ratio, each alert firing when it
# should and not before). The unit tests must be able to fail: a copy of the rules with the
# latency threshold raised must fail them. (test_deploy.sh has a real Prometheus evaluate
# the same rules on real metrics.) Needs no root.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1 # $2"; }
expect() {
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi
}
command -v promtool >/dev/null || { not_ok "promtool is installed" "make test-deps installs prometheus"; exit 1; }

out=$(promtool check rules "$top/deploy/prometheus/rules.yml" 2>&1)
expect "promtool check rules deploy/prometheus/rules.yml" "$out" grep -q 'SUCCESS: 8 rules found' <<<"$out"
out=$(cd "$top/tests/deploy" && promtool test rules rules_test.yml 2>&1)
expect "promtool test rules tests/deploy/rules_test.yml" "$(tr '\n' '|' <<<"$out")" grep -q SUCCESS <<<"$out"

# The same tests against rules with the p99 threshold at 5 s: the alert no longer fires.
mkdir -p "$work/deploy/prometheus" "$work/tests/deploy"
sed 's/p99_rate5m > 0.5$/p99_rate5m > 5/' "$top/deploy/prometheus/rules.yml" >"$work/deploy/prometheus/rules.yml"
cp "$top/tests/deploy/rules_test.yml" "$work/tests/deploy/"
out=$(cd "$work/tests/deploy" && promtool test rules rules_test.yml 2>&1)
expect "... and they fail for rules whose p99 threshold is 5 s (TCPConnectLatencyHigh missing)" \
	"$(tr '\n' '|' <<<"$out")" test "$(grep -c 'alertname: TCPConnectLatencyHigh' <<<"$out"):$(grep -c SUCCESS <<<"$out")" = 1:0 \
	-a "$(cmp -s "$top/deploy/prometheus/rules.yml" "$work/deploy/prometheus/rules.yml"; echo $?)" = 1
