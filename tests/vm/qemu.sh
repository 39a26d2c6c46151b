# Boots a Debian kernel fetched by fetch-kernels.sh under QEMU (software emulation) with the
# shared initramfs plus that kernel's modules. Sourced by test_matrix.sh and bench/vm-bench.sh.
#   VM_DIR (required), VM_ARCH, VM_TIMEOUT, VM_SMP, VM_CPU: see below.
# VM_ARCH: the guest's architecture, x86 (the default) or arm64. Guests of this machine's
# architecture have their initramfs and kernels in VM_DIR, the others in VM_DIR/ARCH
# (tests/vm/vm.mk).
VM_ARCH=${VM_ARCH:-x86}
case $(uname -m) in x86_64) vm_host=x86 ;; aarch64) vm_host=arm64 ;; *) vm_host=$(uname -m) ;; esac
if [ "$VM_ARCH" = "$vm_host" ]; then VM_ADIR=$VM_DIR; else VM_ADIR=$VM_DIR/$VM_ARCH; fi
# A guest runs every backend in 80-120 s here (arm64's the slowest); a CI machine was seen
# half as fast again (an arm64 6.12 guest cut off at 180 s, in its last backend): the limit
# leaves room for a host twice as slow.
VM_TIMEOUT=${VM_TIMEOUT:-300}
# One vCPU: with two, QEMU's two vCPU threads and its I/O thread share the host's two cores,
# and a vCPU descheduled for a host time slice (about 3 ms) between the two tools' probes
# on the same function shows up as a difference between their latencies.
VM_SMP=${VM_SMP:-1}
# No CMPXCHG16B. Measured here with QEMU 7.2: the 6.12 kernel crashed in 5 of 8 boots with
# the default CPU model (double faults and NULL dereferences, all in slab and VMA
# allocation, some before /init ran), and in none of 5 without CX16, where SLUB stops
# using the emulated 16-byte compare-exchange on its per-CPU freelists.
# arm64: the -M virt board with the CPU model that has every feature QEMU emulates; the
# pointer authentication QEMU computes is its own cheap one (pauth-impdef), not the
# architected QARMA cipher, which costs much emulation time and makes no difference to us.
case $VM_ARCH in
x86)
	VM_CPU=${VM_CPU:-qemu64,-cx16}
	VM_QEMU=(qemu-system-x86_64 -cpu "$VM_CPU")
	VM_CONSOLE=ttyS0
	;;
arm64)
	VM_CPU=${VM_CPU:-max,pauth-impdef=on}
	VM_QEMU=(qemu-system-aarch64 -M virt -cpu "$VM_CPU")
	VM_CONSOLE=ttyAMA0
	;;
*)
	echo "qemu.sh: no QEMU guest for VM_ARCH '$VM_ARCH'" >&2
	return 1
	;;
esac

# vm_boot SUITE WORK [KERNEL-ARGS]: boots SUITE's kernel, the console (plain text) in
# WORK/console.txt. Sets VM_KVER, VM_RC (qemu's status) and VM_SECS. Returns non-zero if
# the guest never reached /init (no "BOOTED" line) or the kernel is missing (VM_KVER empty).
vm_boot() {
	local suite=$1 work=$2 args=${3:-} kdir=$VM_ADIR/kernels/$1 try start
	VM_KVER="" VM_RC=0 VM_SECS=0
	[ -f "$kdir/version" ] || return 1
	VM_KVER=$(cat "$kdir/version")
	rm -rf "$work"
	mkdir -p "$work/root/modules"
	cp "$kdir"/modules/* "$work/root/modules/"
	# The kernel unpacks concatenated archives in turn: the shared one, then the modules.
	(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/modules.cpio.gz"
	cat "$VM_ADIR/initramfs.cpio.gz" "$work/modules.cpio.gz" >"$work/initrd"
	# A boot that dies before /init runs has not reached any code under test: it is retried
	# once, and said so. What runs after /init is never rerun.
	for try in 1 2; do
		start=$(date +%s)
		timeout "$VM_TIMEOUT" "${VM_QEMU[@]}" -m 1024 -smp "$VM_SMP" \
			-nographic -no-reboot -nic none -kernel "$kdir/vmlinuz" -initrd "$work/initrd" \
			-append "console=$VM_CONSOLE panic=-1 loglevel=5 $args" </dev/null >"$work/console" 2>&1
		VM_RC=$?
		VM_SECS=$(($(date +%s) - start))
		# Plain lines: no carriage returns, no terminal control from the firmware.
		tr -d '\r' <"$work/console" |
			sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1b[a-zA-Z]//g' >"$work/console.txt"
		grep -q '^BOOTED ' "$work/console.txt" && return 0
		echo "# $VM_KVER: boot $try did not reach /init (qemu status $VM_RC)"
	done
	return 1
}
