#!/usr/bin/env bash
# Builds the VM tests' initramfs: busybox, the static tracer and test helper, iproute2's ip
# and tc, bpftool, jq and BCC's tcpconnlat (as bcc-tcpconnlat) with the libraries they load, and
# tests/vm/guest.sh as /init; for make bench, its load generator and start-up timer with
# bench/guest-bench.sh and bench/lib.sh. Kernel modules come in a second archive per kernel.
#   mkinitramfs.sh OUT.cpio.gz TCPCONNLAT TCONN LOADGEN STARTUP [HELPER...]
# Each further HELPER (a static program) goes to /usr/local/bin under its own name.
set -euo pipefail
out=$1 tracer=$2 tconn=$3 loadgen=$4 startup=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# Busybox applets go to /bin; the real programs to /usr/local/bin, first in the guest's PATH.
bin=/usr/local/bin
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,lib64} "$root$bin"
cp /bin/busybox "$root/bin/busybox"
cp "$tracer" "$root$bin/tcpconnlat"
cp "$tconn" "$root$bin/tconn"
cp "$loadgen" "$root$bin/loadgen"
cp "$startup" "$root$bin/startup"
for helper in "$@"; do
	cp "$helper" "$root$bin/"
done
cp "$here/guest.sh" "$root/init"
cp "$here/../../bench/guest-bench.sh" "$root/bench-guest.sh"
cp "$here/../../bench/lib.sh" "$root/bench-lib.sh"
chmod 0755 "$root/init"

# A dynamic program and every library ldd names, at the same paths.
add_dynamic() {
	local src=$1 dst=$2 lib
	cp "$src" "$root$bin/$dst"
	for lib in $(ldd "$src" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
add_dynamic "$(command -v ip)" ip
add_dynamic "$(command -v tc)" tc
add_dynamic "$(command -v bpftool)" bpftool
add_dynamic /usr/sbin/tcpconnlat bcc-tcpconnlat
add_dynamic "$(command -v jq)" jq
# What stdbuf(1) preloads: the guest runs the reference line-buffered into a file.
stdbuf_lib=/usr/libexec/coreutils/libstdbuf.so
mkdir -p "$root$(dirname "$stdbuf_lib")"
cp "$stdbuf_lib" "$root$stdbuf_lib"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
