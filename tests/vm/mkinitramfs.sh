#!/usr/bin/env bash
# Builds the VM tests' initramfs: busybox, the static tracer and test helper, iproute2's ip
# and tc, bpftool, jq and BCC's tcpconnlat (as bcc-tcpconnlat) with the libraries they load, and
# tests/vm/guest.sh as /init; for make bench, its load generator and start-up timer with
# bench/guest-bench.sh and bench/lib.sh. Kernel modules come in a second archive per kernel.
#   mkinitramfs.sh OUT.cpio.gz TCPCONNLAT TCONN LOADGEN STARTUP [HELPER...]
# LOADGEN and STARTUP may be '' (no benchmarks in that guest). Each further HELPER (a static
# program) goes to /usr/local/bin under its own name. The programs and libraries come from
# SYSROOT (default /, this machine's): for a guest of another architecture, a directory the
# Debian packages of that architecture are unpacked in.
set -euo pipefail
out=$1 tracer=$2 tconn=$3 loadgen=$4 startup=$5
shift 5
sysroot=${SYSROOT:-/}
sysroot=${sysroot%/}
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# Busybox applets go to /bin; the real programs to /usr/local/bin, first in the guest's PATH.
bin=/usr/local/bin
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,lib64} "$root$bin"
# PATH (inside the sysroot) with its symbolic links followed inside the sysroot too: an
# absolute link (/sbin/ip -> /bin/ip) must not lead to this machine's file.
in_root() {
	local p=$sysroot$1 t n=0
	while [ -L "$p" ] && [ $n -lt 20 ]; do
		t=$(readlink "$p")
		case $t in /*) p=$sysroot$t ;; *) p=$(dirname "$p")/$t ;; esac
		n=$((n + 1))
	done
	echo "$p"
}
# A program of the sysroot, wherever its package put it.
prog() {
	local d
	for d in usr/sbin usr/bin sbin bin; do
		[ -f "$(in_root "/$d/$1")" ] && { in_root "/$d/$1"; return 0; }
	done
	echo "mkinitramfs: no $1 in ${sysroot:-/}" >&2
	return 1
}
cp "$(prog busybox)" "$root/bin/busybox"
cp "$tracer" "$root$bin/tcpconnlat"
cp "$tconn" "$root$bin/tconn"
[ -z "$loadgen" ] || cp "$loadgen" "$root$bin/loadgen"
[ -z "$startup" ] || cp "$startup" "$root$bin/startup"
for helper in "$@"; do
	cp "$helper" "$root$bin/"
done
cp "$here/guest.sh" "$root/init"
cp "$here/../../bench/guest-bench.sh" "$root/bench-guest.sh"
cp "$here/../../bench/lib.sh" "$root/bench-lib.sh"
chmod 0755 "$root/init"

# Copies FILE of the sysroot to the same path in the initramfs, with its ELF interpreter and
# every library it needs, recursively (readelf, not ldd: it works for any architecture).
triplet=""
add_libs() {
	local file=$1 lib dir found
	if [ -z "$triplet" ]; then
		case $(readelf -h "$file" | sed -n 's/^ *Machine: *//p') in
		AArch64) triplet=aarch64-linux-gnu ;;
		*X86-64*) triplet=x86_64-linux-gnu ;;
		*) echo "mkinitramfs: $file: unknown machine" >&2; return 1 ;;
		esac
	fi
	lib=$(readelf -l "$file" | sed -n 's/.*program interpreter: \(.*\)]/\1/p')
	if [ -n "$lib" ] && [ ! -e "$root$lib" ]; then
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$(in_root "$lib")" "$root$lib"
	fi
	for lib in $(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		found=""
		for dir in /lib/$triplet /usr/lib/$triplet /lib /usr/lib; do
			[ -e "$sysroot$dir/$lib" ] && { found=$dir/$lib; break; }
		done
		[ -n "$found" ] || { echo "mkinitramfs: $lib (for $file) not in ${sysroot:-/}" >&2; return 1; }
		[ -e "$root$found" ] && continue
		mkdir -p "$root$(dirname "$found")"
		cp -L "$(in_root "$found")" "$root$found"
		add_libs "$(in_root "$found")"
	done
}
# A dynamic program and every library it needs.
add_dynamic() {
	local src
	src=$(prog "$1")
	cp "$src" "$root$bin/$2"
	add_libs "$src"
}
add_dynamic ip ip
add_dynamic tc tc
add_dynamic bpftool bpftool
add_dynamic tcpconnlat bcc-tcpconnlat
add_dynamic jq jq
# What stdbuf(1) preloads: the guest runs the reference line-buffered into a file.
stdbuf_lib=/usr/libexec/coreutils/libstdbuf.so
mkdir -p "$root$(dirname "$stdbuf_lib")"
cp "$sysroot$stdbuf_lib" "$root$stdbuf_lib"
add_libs "$sysroot$stdbuf_lib"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
