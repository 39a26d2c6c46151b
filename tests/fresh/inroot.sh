#!/usr/bin/env bash
# Runs a command as root in a throwaway copy of a cached root: an overlayfs whose lower layer
# is the cached root (never written) and whose upper layer is RUNDIR/upper (kept between
# calls, so that a second call sees what the first installed and built).
#   inroot.sh [--net-own] [--listen PORT] LOWER RUNDIR SRC.TAR COMMAND
# Everything is mounted in a private mount namespace of its own (unshare -m
# --propagation private), so no mount is seen by, or left behind on, the host: the overlay,
# and /proc, /sys and /dev bound into it. The binds are not recursive: no tracefs, debugfs
# or cgroup file system comes along, as on a machine that mounted none. The host's
# resolv.conf is copied in for apt. SRC.TAR is unpacked into /root/tcpconnlat (the first time)
# and COMMAND runs there under bash with a clean environment.
#   --net-own      in a network namespace of its own, lo up (nothing outside can connect)
#   --listen PORT  with a listener on 127.0.0.1:PORT (tests/helpers' tconn -s, from the host
#                  build in TEST_BIN, outside the root: the root gets nothing installed)
set -u
netown="" listen=""
while [ $# -gt 0 ]; do
	case $1 in
	--net-own) netown=1 ;;
	--listen) listen=${2:-}; shift ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 4 ] || { echo "usage: inroot.sh [--net-own] [--listen PORT] LOWER RUNDIR SRC.TAR COMMAND" >&2; exit 2; }
if [ -z "${INROOT_NS:-}" ]; then
	INROOT_NS=1 exec unshare -m ${netown:+-n} --propagation private bash "$0" \
		${netown:+--net-own} ${listen:+--listen "$listen"} "$@"
fi
lower=$1 run=$2 src=$3 cmd=$4
m=$run/merged

set -e
mkdir -p "$run/upper" "$run/work" "$m"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$run/upper,workdir=$run/work" "$m"
for d in proc sys dev; do
	mount --bind "/$d" "$m/$d"
done
rm -f "$m/etc/resolv.conf"
cp -L /etc/resolv.conf "$m/etc/resolv.conf"
if [ ! -d "$m/root/tcpconnlat" ]; then
	mkdir "$m/root/tcpconnlat"
	tar -xf "$src" -C "$m/root/tcpconnlat"
fi
[ -z "$netown" ] || ip link set lo up
pid=""
if [ -n "$listen" ]; then
	"${TEST_BIN:?}/tconn" -s 127.0.0.1 "$listen" >"$run/listener.out" &
	pid=$!
	for _ in $(seq 100); do
		grep -qs listening "$run/listener.out" && break
		sleep 0.05
	done
fi
set +e
chroot "$m" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root bash -c "cd /root/tcpconnlat && $cmd" </dev/null
rc=$?
[ -z "$pid" ] || { kill "$pid"; wait "$pid" 2>/dev/null; }
exit "$rc"
