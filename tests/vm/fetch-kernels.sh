#!/usr/bin/env bash
# Downloads the newest Debian cloud kernel of each series into a cache and unpacks what the
# VM tests need: vmlinuz and the veth/sch_netem modules with their dependencies.
#   fetch-kernels.sh CACHE_DIR
# A series already unpacked in CACHE_DIR is kept. The system's apt configuration is not
# touched: apt-get gets a private sources list and lists directory, whose archive address
# is the one this machine's own Debian sources use.
set -euo pipefail
cache=$1
SUITES=${VM_SUITES:-"bullseye bookworm bookworm-backports"}
MODULES="veth sch_netem"

mirror() {
	local uri
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	[ -n "$uri" ] || { echo "fetch-kernels: no Debian archive in /etc/apt" >&2; exit 1; }
	echo "$uri"
}

# Copies module NAME, uncompressed, into DEST after the modules it depends on (the .deb has
# no modules.dep: depmod makes it at install time, so ask each module with modinfo).
copy_module() {
	local root=$1 kver=$2 name=$3 dest=$4 file f dep
	grep -qx "$name.ko" "$dest/load-order" 2>/dev/null && return 0
	file=$(find "$root/lib/modules/$kver/kernel" -regex ".*/${name//_/[_-]}\.ko\(\.[a-z]+\)?" | head -1)
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
uri=$(mirror)
for suite in $SUITES; do
	out=$cache/$suite
	[ -f "$out/done" ] && continue
	rm -rf "$out"
	mkdir -p "$out/apt/lists/partial" "$out/debs" "$out/modules"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
		>"$out/apt/sources.list"
	apt_opts=(-o "Dir::Etc::sourcelist=$out/apt/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$out/apt/lists" -o Dir::State::status=/dev/null
		-o APT::Sandbox::User=root -qq)
	apt-get "${apt_opts[@]}" update
	# The metapackage names the newest ABI of the suite's cloud kernel.
	pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-cloud-amd64 |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "fetch-kernels: no cloud kernel in $suite" >&2; exit 1; }
	(cd "$out/debs" && apt-get "${apt_opts[@]}" download "$pkg")
	dpkg-deb -x "$out"/debs/*.deb "$out/root"
	kver=${pkg#linux-image-}
	cp "$out/root/boot/vmlinuz-$kver" "$out/vmlinuz"
	for m in $MODULES; do
		copy_module "$out/root" "$kver" "$m" "$out/modules"
	done
	echo "$kver" >"$out/version"
	rm -rf "$out/root" "$out/debs"
	touch "$out/done"
	echo "fetch-kernels: $suite: $kver"
done
