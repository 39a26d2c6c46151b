#!/usr/bin/env bash
# The QEMU kernel matrix on arm64 guests (qemu-system-aarch64 -M virt): test_matrix.sh with
# Debian's arm64 cloud kernels and an initramfs of arm64 programs (make vm-build).
VM_ARCH=arm64 exec bash "$(dirname "$0")/test_matrix.sh"
