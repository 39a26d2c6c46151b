#!/usr/bin/env bash
# Makes sure CACHE/SUITE-minbase is a complete minimal Debian root (debootstrap
# --variant=minbase), built from the archive this machine's apt uses, and prints its path.
#   mkroot.sh CACHE [SUITE]   (SUITE: bookworm, Debian 12, by default)
# Exit status 3: the archive cannot be reached (no network), so no root can be checked.
#
# Built once: the root is made in a temporary directory and renamed when debootstrap has
# finished, so an interrupted build is never taken for a cached root (its leftovers are
# removed by the next build). It is built again when the archive's Release file is newer
# than the one the root's apt lists came from: a fresh machine's lists are current, and a
# stale root's would name package versions the archive no longer has. debootstrap mounts
# /proc and /sys inside the new root: it runs in a private mount namespace, so nothing it
# mounts can stay mounted on the host.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=$1 suite=${2:-bookworm}
root=$cache/$suite-minbase

mkdir -p "$cache"
# One builder at a time: the leftovers removed below are never a running build's.
exec 9>"$cache/lock"
flock 9
for old in "$cache"/tmp.*; do
	[ -e "$old" ] && rm -rf --one-file-system "$old"
done

mirror=$(bash -c '. "$1" && debs_mirror' _ "$top/cross/debs.sh")
release_date() { sed -n 's/^Date: //p'; }
if ! now=$(curl -fsS --max-time 30 "$mirror/dists/$suite/InRelease" | release_date) ||
	[ -z "$now" ]; then
	echo "mkroot: cannot fetch $mirror/dists/$suite/InRelease (no network?)" >&2
	exit 3
fi
if [ -d "$root" ]; then
	was=$(cat "$root"/var/lib/apt/lists/*_dists_"$suite"_InRelease 2>/dev/null | release_date)
	if [ "$was" = "$now" ]; then
		echo "$root"
		exit 0
	fi
	echo "# the cached $suite root's apt lists are of '$was', the archive's of '$now': rebuilt" >&2
fi

tmp=$(mktemp -d "$cache/tmp.XXXXXX")
echo "# debootstrap --variant=minbase $suite from $mirror" >&2
if ! unshare -m --propagation private \
	debootstrap --variant=minbase "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1; then
	echo "mkroot: debootstrap failed:" >&2
	tail -5 "$tmp/log" >&2
	exit 1
fi
# The old root (if any) goes aside under tmp., so the next build removes it if this one
# is interrupted here; the new one is in place in one rename.
[ -d "$root" ] && mv "$root" "$tmp/old"
mv "$tmp/root" "$root"
rm -rf --one-file-system "$tmp"
echo "$root"
