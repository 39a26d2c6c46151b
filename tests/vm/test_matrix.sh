#!/usr/bin/env bash
# Boots each Debian kernel fetched by fetch-kernels.sh under QEMU (software emulation) with
# the initramfs whose /init is guest.sh, and turns the guest's RESULT lines into test lines.
# Ends with the kernel x backend matrix and the side-by-side table with BCC's tcpconnlat.
set -u
VM_DIR=${VM_DIR:?VM_DIR is not set: run through make test-vm}
. "$(dirname "$0")/qemu.sh"
BACKENDS="fentry kprobe tracepoint"

why=""
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 is not installed"
[ -z "$why" ] && [ ! -f "$VM_DIR/initramfs.cpio.gz" ] && why="no initramfs: make vm-build"
if [ -n "$why" ]; then
	if [ "${CI:-}" = true ]; then
		echo "not ok - the QEMU kernel matrix can run # $why"
		exit 1
	fi
	echo "ok - the QEMU kernel matrix # SKIP $why"
	exit 0
fi

matrix=$(mktemp)
cmp=$VM_DIR/compare.txt
: >"$cmp"
trap 'rm -f "$matrix"' EXIT

# Every series is expected: a missing kernel is a failure, not a smaller matrix.
for suite in ${VM_SUITES:-bullseye bookworm bookworm-backports}; do
	work=$VM_DIR/run-$suite
	if ! vm_boot "$suite" "$work" && [ -z "$VM_KVER" ]; then
		echo "not ok - the $suite kernel was fetched # no $VM_DIR/kernels/$suite/version: make vm-build"
		continue
	fi
	kver=$VM_KVER rc=$VM_RC secs=$VM_SECS
	echo "# $kver ($suite): guest ran ${secs}s, console in $work/console.txt"
	if ! grep -q '^BOOTED ' "$work/console.txt"; then
		echo "not ok - $kver boots # qemu status $rc; console: $(tail -c 300 "$work/console.txt" | tr '\n' ' ')"
		continue
	fi
	echo "ok - $kver boots"
	awk -v k="$kver" '
		/^RESULT / {
			b = $2; st = $3; $1 = $2 = $3 = ""
			sub(/^ +/, "")
			print (st == "ok" ? "ok" : "not ok") " - " k " " b ": " $0
		}' "$work/console.txt"
	for b in $BACKENDS; do
		p=$(grep -c "^RESULT $b ok " "$work/console.txt")
		f=$(grep -c "^RESULT $b fail " "$work/console.txt")
		echo "$kver $b $p $f" >>"$matrix"
	done
	awk -v k="$kver" '/^CMP / { print k, $2, $3, $4, $5, $6 }' "$work/console.txt" >>"$cmp"
	# Kernel warnings reach the console (loglevel=5): tracing must not provoke any.
	splat=$(grep -m1 -E 'WARNING:|BUG:|Oops|Call Trace:|double fault' "$work/console.txt")
	if [ -z "$splat" ]; then
		echo "ok - $kver logged no kernel warning, BUG or oops"
	else
		echo "not ok - $kver logged no kernel warning, BUG or oops # $splat"
	fi
	if grep -q '^DONE' "$work/console.txt"; then
		echo "ok - $kver guest finished every backend"
	else
		echo "not ok - $kver guest finished every backend # stopped early (qemu status $rc after ${secs}s): $(tail -c 300 "$work/console.txt" | tr '\n' ' ')"
	fi
done

echo "# Kernel x backend: tests passed/failed in the guest"
awk -v bl="$BACKENDS" 'BEGIN { n = split(bl, bs, " "); printf "# %-28s", "kernel"; for (i = 1; i <= n; i++) printf " %-12s", bs[i]; print "" }
	{ cell[$1, $2] = $3 "/" $4; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	END { for (j = 1; j <= k; j++) { printf "# %-28s", order[j]; for (i = 1; i <= n; i++) printf " %-12s", cell[order[j], bs[i]]; print "" } }' "$matrix"
# One row per kernel and backend; every connect is in compare.txt.
echo "# Side by side with BCC's tcpconnlat (libbpf-tools) on the same connects; every connect in $cmp"
echo "# both/only1: successful connects reported by both tools/by one; |d|: ours - reference, ms"
awk '
	{ key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
	$4 == "refused" || $4 == "timeout" { out[key, $4] = "ours " ($5 == "-" ? "none" : $5) \
		", ref " ($6 == "-" ? "none" : $6); next }
	$5 != "-" && $6 != "-" { d = $5 - $6; both[key]++; diffs[key] = diffs[key] " " (d < 0 ? -d : d) }
	$5 == "-" || $6 == "-" { one[key]++ }
	END {
		printf "# %-26s %-10s %5s %6s %8s %6s  %-22s %s\n", "kernel", "backend", "both", "only1", \
			"med|d|", "max|d|", "refused (LAT ms)", "timed out"
		for (i = 1; i <= n; i++) {
			k = order[i]
			m = split(substr(diffs[k], 2), v, " ")
			for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
			split(k, kb, " ")
			printf "# %-26s %-10s %5d %6d %8.2f %6.2f  %-22s %s\n", kb[1], kb[2], both[k], one[k], \
				m ? v[int((m + 1) / 2)] : 0, m ? v[m] : 0, out[k, "refused"], out[k, "timeout"]
		}
	}' "$cmp"
