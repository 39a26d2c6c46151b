#!/usr/bin/env bash
# make bench's QEMU part at its smoke size: each Debian kernel boots into
# bench/guest-bench.sh, and every variant (our three backends, BCC's tcpconnlat, untraced)
# reports a rate, its programs' bpf_stats and a start-up time, -H and the exporter a rate and
# bpf_stats; all of ours count every connect. Rates are not judged.
set -u
VM_DIR=${VM_DIR:?VM_DIR is not set: run through make test-vm}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ ! -f "$VM_DIR/initramfs.cpio.gz" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "not ok - the QEMU benchmarks can run # no initramfs or no qemu: make vm-build"
	exit 1
fi

BENCH_OUT=$out BENCH_SIZE=tiny VM_DIR=$VM_DIR "$top/bench/vm-bench.sh" >"$out/log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	echo "ok - every guest ran the benchmarks to the end"
else
	echo "not ok - every guest ran the benchmarks to the end # status $rc: $(tail -3 "$out/log" | tr '\n' ' ')"
fi
csv=$out/results-vm.csv
for suite in ${VM_SUITES:-bullseye bookworm bookworm-backports}; do
	k=$(cat "$VM_DIR/kernels/$suite/version" 2>/dev/null)
	for v in none fentry kprobe tracepoint bcc; do
		n=$(awk -F, -v k="$k" -v v="$v" '$1 == k && $2 == "overhead" && $3 == v && $6 == "rate" && $7 > 0' "$csv" | wc -l)
		if [ "$n" -eq 2 ]; then
			echo "ok - $k: $v connect rates measured"
		else
			echo "not ok - $k: $v connect rates measured # $n of 2 rate rows"
		fi
		[ "$v" = none ] && continue
		ns=$(awk -F, -v k="$k" -v v="$v" '$1 == k && $2 == "bpf" && $3 == v && $5 == "all" { print $7 }' "$csv")
		st=$(awk -F, -v k="$k" -v v="$v" '$1 == k && $2 == "startup" && $3 == v && $6 == "ms" && $7 > 0' "$csv" | wc -l)
		if [ "${ns:-0}" -gt 0 ] && [ "$st" -eq 2 ]; then
			echo "ok - $k: $v bpf_stats and start-up measured"
		else
			echo "not ok - $k: $v bpf_stats and start-up measured # ns per connect '${ns}', $st start-up rows"
		fi
	done
	# -H and the exporter (auto): rates and bpf_stats; they print no header to time.
	for v in hist exporter; do
		n=$(awk -F, -v k="$k" -v v="$v" '$1 == k && $2 == "overhead" && $3 == v && $6 == "rate" && $7 > 0' "$csv" | wc -l)
		ns=$(awk -F, -v k="$k" -v v="$v" '$1 == k && $2 == "bpf" && $3 == v && $5 == "all" { print $7 }' "$csv")
		if [ "$n" -eq 2 ] && [ "${ns:-0}" -gt 0 ]; then
			echo "ok - $k: $v connect rates and bpf_stats measured"
		else
			echo "not ok - $k: $v connect rates and bpf_stats measured # $n of 2 rate rows, ns per connect '${ns}'"
		fi
	done
	lines=$(awk -F, -v k="$k" '$1 == k && $2 == "overhead" && $6 == "lines" && $3 != "bcc" { s += $7 } END { print s + 0 }' "$csv")
	made=$(awk -F, -v k="$k" '$1 == k && $2 == "overhead" && $6 == "connects" && $3 != "bcc" { s += $7 } END { print s + 0 }' "$csv")
	if [ "$made" -gt 0 ] && [ "$lines" -eq "$made" ]; then
		echo "ok - $k: our backends printed every connect of the rounds ($made)"
	else
		echo "not ok - $k: our backends printed every connect of the rounds # $lines lines for $made connects"
	fi
done
