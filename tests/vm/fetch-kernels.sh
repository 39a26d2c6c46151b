#!/usr/bin/env bash
# Downloads the newest Debian cloud kernel of each series into a cache and unpacks what the
# VM tests need: vmlinuz and the veth/sch_netem modules with their dependencies.
#   fetch-kernels.sh CACHE_DIR [DEB-ARCH]     DEB-ARCH: amd64 (the default) or arm64
# A series already unpacked in CACHE_DIR is kept. The system's apt configuration is not
# touched (cross/debs.sh).
set -euo pipefail
cache=$1
arch=${2:-amd64}
. "$(dirname "$0")/../../cross/debs.sh"
. "$(dirname "$0")/suites.sh"
SUITES=${VM_SUITES:-$(vm_suites "$arch")}
MODULES="veth sch_netem"

# Copies module NAME, uncompressed, into DEST after the modules it depends on (the .deb has
# no modules.dep: depmod makes it at install time, so ask each module with modinfo).
copy_module() {
	local root=$1 kver=$2 name=$3 dest=$4 file f dep
	grep -qx "$name.ko" "$dest/load-order" 2>/dev/null && return 0
	file=$(find "$root"/{,usr/}lib/modules/"$kver"/kernel -regex ".*/${name//_/[_-]}\.ko\(\.[a-z]+\)?" 2>/dev/null | head -1 || true)
	[ -n "$file" ] || { echo "fetch-kernels: module $name not in $kver" >&2; exit 1; }
	deps=$(modinfo -F depends "$file") || { echo "fetch-kernels: modinfo $file failed" >&2; exit 1; }
	for dep in ${deps//,/ }; do
		copy_module "$root" "$kver" "$dep" "$dest"
	done
	f=$dest/$name.ko
	case "$file" in
	*.ko.xz) xz -dc "$file" >"$f" ;;
	*.ko.zst) zstd -qdc "$file" >"$f" ;;
	*.ko.gz) gzip -dc "$file" >"$f" ;;
	*) cp "$file" "$f" ;;
	esac
	echo "$name.ko" >>"$dest/load-order"
}

mkdir -p "$cache"
for suite in $SUITES; do
	out=$cache/$suite
	# A kernel checked within the day is kept; an older one is kept only while it is still
	# the suite's newest, so the matrix follows Debian.
	[ -n "$(find "$out/done" -mmin -1440 2>/dev/null)" ] && continue
	if [ -f "$out/done" ] && ! debs_setup "$out" "$arch" "$suite"; then
		echo "fetch-kernels: $arch $suite: cannot reach the archive, keeping $(cat "$out/version")"
		continue
	fi
	[ -f "$out/done" ] || debs_setup "$out" "$arch" "$suite"
	# The metapackage names the newest ABI of the suite's cloud kernel.
	pkg=$(apt-cache "${DEBS_APT[@]}" depends "linux-image-cloud-$arch" |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "fetch-kernels: no $arch cloud kernel in $suite" >&2; exit 1; }
	kver=${pkg#linux-image-}
	if [ -f "$out/done" ] && [ "$(cat "$out/version")" = "$kver" ]; then
		touch "$out/done"
		continue
	fi
	rm -rf "$out/done" "$out/modules" "$out/root" "$out/debs"
	mkdir -p "$out/modules"
	# From sid on (7.x), linux-image-VERSION only depends on linux-binary-VERSION (the
	# kernel, in usr/lib/modules/VERSION/vmlinuz) and linux-modules-VERSION.
	pkgs=$pkg
	if apt-cache "${DEBS_APT[@]}" depends "$pkg" | grep -q "Depends: linux-binary-$kver\$"; then
		pkgs="linux-binary-$kver linux-modules-$kver"
	fi
	# shellcheck disable=SC2086
	debs_get "$out" $pkgs
	for f in "$out/root/boot/vmlinuz-$kver" "$out/root/usr/lib/modules/$kver/vmlinuz" ""; do
		[ -f "$f" ] && break
	done
	[ -n "$f" ] || { echo "fetch-kernels: no vmlinuz in $pkgs" >&2; exit 1; }
	cp "$f" "$out/vmlinuz"
	for m in $MODULES; do
		copy_module "$out/root" "$kver" "$m" "$out/modules"
	done
	echo "$kver" >"$out/version"
	rm -rf "$out/root" "$out/debs" "$out/apt/cache"
	touch "$out/done"
	echo "fetch-kernels: $arch $suite: $kver"
done
