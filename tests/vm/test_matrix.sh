#!/usr/bin/env bash
# Boots each Debian kernel fetched by fetch-kernels.sh under QEMU (software emulation) with
# the initramfs whose /init is guest.sh, and turns the guest's RESULT lines into test lines.
# Ends with the kernel x backend matrix and the side-by-side table with BCC's tcpconnlat.
# VM_ARCH: the guests' architecture, x86 (the default) or arm64 (test_matrix_arm64.sh).
set -u
VM_DIR=${VM_DIR:?VM_DIR is not set: run through make test-vm}
here=$(dirname "$0")
. "$here/qemu.sh"
. "$here/suites.sh"
# rawtp: the tracepoint backend's raw tracepoint programs (its fallback), main checks only.
BACKENDS="fentry kprobe tracepoint rawtp"
case $VM_ARCH in x86) debarch=amd64 ;; *) debarch=$VM_ARCH ;; esac

why=""
command -v "${VM_QEMU[0]}" >/dev/null || why="${VM_QEMU[0]} is not installed"
[ -z "$why" ] && [ ! -f "$VM_ADIR/initramfs.cpio.gz" ] && why="no $VM_ARCH initramfs: make vm-build"
if [ -n "$why" ]; then
	if [ "${CI:-}" = true ]; then
		echo "not ok - the $VM_ARCH QEMU kernel matrix can run # $why"
		exit 1
	fi
	echo "ok - the $VM_ARCH QEMU kernel matrix # SKIP $why"
	exit 0
fi

# What the guest expects a kernel to refuse, from its version: fentry on arm64 before 6.4,
# which has no BPF trampoline on kernel functions before ftrace direct calls ("arm64:
# ftrace: Add direct call support", Linux 6.4).
refused() { # KVER
	[ "$VM_ARCH" = arm64 ] || return 0
	case $1 in [0-5].* | 6.[0-3].*) echo fentry ;; esac
}

matrix=$(mktemp)
cmp=$VM_ADIR/compare.txt
: >"$cmp"
trap 'rm -f "$matrix"' EXIT

# Every series is expected: a missing kernel is a failure, not a smaller matrix.
for suite in ${VM_SUITES:-$(vm_suites $debarch)}; do
	work=$VM_ADIR/run-$suite
	refuse=$(refused "$(cat "$VM_ADIR/kernels/$suite/version" 2>/dev/null)")
	if ! vm_boot "$suite" "$work" ${refuse:+tcl.refuse=$refuse} && [ -z "$VM_KVER" ]; then
		echo "not ok - the $VM_ARCH $suite kernel was fetched # no $VM_ADIR/kernels/$suite/version: make vm-build"
		continue
	fi
	kver=$VM_KVER rc=$VM_RC secs=$VM_SECS
	echo "# $VM_ARCH $kver ($suite): guest booted and ran for ${secs}s, console in $work/console.txt"
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
		case ",$refuse," in *",$b,"*) st=refuses ;; *) st=runs ;; esac
		echo "$VM_ARCH $kver $b $p $f $st" >>"$matrix"
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

echo "# Arch x kernel x backend: tests passed/failed in the guest (refuses: the kernel cannot run"
echo "# that backend; the tests check that it is refused with a reason and auto takes the next one)"
awk -v bl="$BACKENDS" 'BEGIN { n = split(bl, bs, " "); printf "# %-6s %-28s", "arch", "kernel"; for (i = 1; i <= n; i++) printf " %-12s", bs[i]; print "" }
	{ cell[$2, $3] = ($6 == "refuses" ? "refuses " : "") $4 "/" $5; arch[$2] = $1; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } }
	END { for (j = 1; j <= k; j++) { printf "# %-6s %-28s", arch[order[j]], order[j]; for (i = 1; i <= n; i++) printf " %-12s", cell[order[j], bs[i]]; print "" } }' "$matrix"
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
