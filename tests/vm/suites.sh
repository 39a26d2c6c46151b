# The Debian suites whose newest cloud kernel the QEMU matrix boots, per guest architecture.
# Sourced by fetch-kernels.sh and test_matrix.sh; VM_SUITES overrides the list.
#   vm_suites DEB-ARCH
# amd64: 5.10, 6.1, the backported 6.12, trixie's own 6.12 and sid's newest. arm64 starts
# at bookworm: the tool supports what Debian's arm64 cloud kernels of today's releases run.
vm_suites() {
	case $1 in
	amd64) echo "bullseye bookworm bookworm-backports trixie sid" ;;
	arm64) echo "bookworm trixie sid" ;;
	*) echo "vm_suites: no suites for '$1'" >&2; return 1 ;;
	esac
}
