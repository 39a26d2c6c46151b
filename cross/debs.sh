#!/usr/bin/env bash
# Debian packages of any architecture and suite, without touching the system's apt
# configuration: apt-get gets a private sources list, lists directory and an empty dpkg
# status, and the archive address is the one this machine's own Debian sources use.
#   debs.sh DIR DEB-ARCH SUITE PKG...   downloads PKG... into DIR/debs and unpacks them
#                                       into DIR/root (dpkg-deb -x: no scripts run)
# Sourced (fetch-kernels.sh), it only defines debs_setup and debs_get.
set -euo pipefail

debs_mirror() {
	local uri
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	[ -n "$uri" ] || { echo "debs: no Debian archive in /etc/apt" >&2; return 1; }
	echo "$uri"
}

# debs_setup DIR DEB-ARCH SUITE: sets the array DEBS_APT (options for apt-get and apt-cache)
# and fetches the suite's package lists into DIR/apt.
debs_setup() {
	local dir=$1 arch=$2 suite=$3 uri
	uri=$(debs_mirror)
	mkdir -p "$dir/apt/lists/partial"
	echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
		>"$dir/apt/sources.list"
	DEBS_APT=(-o "Dir::Etc::sourcelist=$dir/apt/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$dir/apt/lists" -o Dir::State::status=/dev/null
		-o "Dir::Cache=$dir/apt/cache" -o APT::Architectures::="$arch"
		-o APT::Architecture="$arch" -o APT::Sandbox::User=root -qq)
	mkdir -p "$dir/apt/cache/archives/partial"
	apt-get "${DEBS_APT[@]}" update
}

# debs_get DIR PKG...: downloads into DIR/debs and unpacks into DIR/root (after debs_setup).
debs_get() {
	local dir=$1 deb
	shift
	mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" && apt-get "${DEBS_APT[@]}" download "$@")
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -ge 4 ] || { echo "usage: debs.sh DIR DEB-ARCH SUITE PKG..." >&2; exit 2; }
	dir=$1 arch=$2 suite=$3
	shift 3
	debs_setup "$dir" "$arch" "$suite"
	debs_get "$dir" "$@"
fi
