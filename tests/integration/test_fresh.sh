#!/usr/bin/env bash
# The README's quick start on a fresh Debian 12 machine: a minimal root made by debootstrap
# (--variant=minbase, from the archive this machine's apt uses; cached in .output/fresh,
# tests/fresh/mkroot.sh), with nothing installed but what debootstrap brings and no tracefs
# mounted. In a throwaway overlay over it (tests/fresh/inroot.sh) it unpacks a git archive
# of this tree, runs the README's quick-start line for a root shell as the README has it
# (without its final ./tcpconnlat), then traces one connect with the tool it built and checks
# the row. A package missing from `make deps` makes the quick start, and so this test, fail.
#
# The tree it copies: the tracked files as they are in the working tree (git stash create),
# which is HEAD when nothing is modified (a CI clone); untracked files are left out, as a
# clone would not have them.
. "$(dirname "$0")/common.sh"
require_bpf
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FRESH_CACHE:-$top/.output/fresh}
PORT=41900 # in the trace's own network namespace: no other socket can hold it

# cannot NAME WHY: the check cannot run (no network, no git checkout): a failure under
# CI=true, a skip otherwise.
cannot() {
	if [ "${CI:-}" = true ]; then
		not_ok "$1" "$2"
		exit 1
	fi
	echo "ok - $1 # SKIP $2"
	exit 0
}

# This run's overlay upper layer (about 1.6 GB once the quick start has installed its
# packages), removed at exit; so are those of earlier runs whose test is gone (killed).
mkdir -p "$cache"
for old in "$cache"/run.*; do
	[ -d "$old" ] || continue
	kill -0 "$(cat "$old/owner" 2>/dev/null || echo none)" 2>/dev/null || rm -rf --one-file-system "$old"
done
run=$(mktemp -d "$cache/run.XXXXXX")
echo $$ >"$run/owner"
on_exit 'rm -rf --one-file-system "$run"'
begin=$SECONDS

start=$SECONDS
root=$("$top/tests/fresh/mkroot.sh" "$cache" 2>"$WORK/mkroot.err")
case $? in
0)
	how=cached
	grep -q debootstrap "$WORK/mkroot.err" && how="built by debootstrap in $((SECONDS - start)) s"
	ok "a minimal Debian 12 root is there ($how)"
	;;
3) cannot "a minimal Debian 12 root is there" "$(tail -1 "$WORK/mkroot.err")" ;;
*)
	not_ok "a minimal Debian 12 root is there" "$(tr '\n' ' ' <"$WORK/mkroot.err")"
	exit 1
	;;
esac
# A rebuild of the cache (mkroot.sh's exclusive lock) waits until this run is over.
exec {CACHE_FD}<"$cache/lock"
flock -s "$CACHE_FD"

# The cache is the root debootstrap made, not one something was installed into.
present=""
for f in usr/bin/make usr/bin/gcc usr/bin/clang usr/sbin/bpftool usr/include/bpf/libbpf.h \
	usr/include/event2/event.h usr/bin/python3 usr/bin/git; do
	[ -e "$root/$f" ] && present="$present /$f"
done
expect "the cached root has nothing of the build installed" "it has:$present" [ -z "$present" ]

if ! rev=$(git -C "$top" stash create 2>"$WORK/git.err"); then
	cannot "a git archive of the tree" "not a git checkout: $(head -1 "$WORK/git.err")"
fi
if [ -n "$rev" ]; then
	echo "# the working tree's tracked files, with uncommitted changes to: $(git -C "$top" diff --name-only HEAD | tr '\n' ' ')"
else
	rev=HEAD
	echo "# HEAD $(git -C "$top" rev-parse --short HEAD), nothing uncommitted"
fi
git -C "$top" archive -o "$run/src.tar" "$rev"

# The line, from the archive's README: the Quick start's first code block, the line for a
# root shell (the one without sudo).
line=$(tar -xOf "$run/src.tar" README.md |
	awk '/^## / { q = ($0 == "## Quick start") } q && /^```/ { n++ } q && n == 1 && /^apt-get / { print; exit }')
cmd=${line% && ./tcpconnlat}
if [ -z "$line" ] || [ "$cmd" = "$line" ]; then
	not_ok "the README's quick start has a line for a root shell ending in ./tcpconnlat" "found '$line'"
	exit 1
fi
echo "# quick start: $cmd"

start=$SECONDS
# A fresh cloud or container image may come without apt's package lists (Debian's container
# images have none); debootstrap leaves them. Removed in the overlay, so the line must fetch
# them itself.
"$top/tests/fresh/inroot.sh" "$root" "$run" "$run/src.tar" \
	"rm -rf /var/lib/apt/lists/* && $cmd" >"$run/quickstart.log" 2>&1
rc=$?
cp "$run/quickstart.log" "$cache/quickstart.log"
if [ "$rc" -eq 0 ] && [ -x "$run/upper/root/tcpconnlat/tcpconnlat" ]; then
	ok "the README's quick-start line installs what it needs and builds in the fresh root ($((SECONDS - start)) s)"
else
	not_ok "the README's quick-start line installs what it needs and builds in the fresh root" \
		"exit $rc; the end of its output (all: $cache/quickstart.log): $(tail -4 "$run/quickstart.log" | tr '\n' '|')"
	exit 1
fi

# One connect from a program of the fresh root (its bash, copied to another name so that
# COMM tells it apart) to a listener in a network namespace of the trace's own, traced by
# the tool just built, in the fresh root, with no tracefs mounted (recorded before the tool
# starts).
cat >"$run/trace.sh" <<EOF
mountpoint -q /sys/kernel/tracing && echo mounted >/tmp/fresh.tracefs
./tcpconnlat -P $PORT -c 1 >/tmp/fresh.out 2>/tmp/fresh.err &
t=\$!
for i in \$(seq 200); do
	grep -q 'LAT(ms)' /tmp/fresh.out && break
	kill -0 \$t 2>/dev/null || break
	sleep 0.05
done
cp /bin/bash /tmp/freshconn
/tmp/freshconn -c 'echo \$\$ >/tmp/fresh.pid; exec 3<>/dev/tcp/127.0.0.1/$PORT' && echo connected >/tmp/fresh.conn
timeout 10 tail --pid=\$t -f /dev/null || kill -9 \$t
wait \$t
echo \$? >/tmp/fresh.rc
EOF
TEST_BIN=$B "$top/tests/fresh/inroot.sh" --net-own --listen "$PORT" "$root" "$run" "$run/src.tar" \
	"$(cat "$run/trace.sh")" >"$run/trace.log" 2>&1
tmp=$run/upper/tmp
expect "no tracefs is mounted in the fresh root" "it is mounted" [ ! -e "$tmp/fresh.tracefs" ]
expect "the fresh root's client connected" "$(cat "$run/trace.log")" [ -e "$tmp/fresh.conn" ]
pid=$(cat "$tmp/fresh.pid" 2>/dev/null)
out=$(cat "$tmp/fresh.out" 2>/dev/null)
header=$(head -1 <<<"$out")
row=$(awk -v p="${pid:-none}" 'NR > 1 && $1 == p' <<<"$out")
if [ "$(cat "$tmp/fresh.rc" 2>/dev/null)" = 0 ] && [ "$(wc -l <<<"$out")" -eq 2 ] &&
	[ "$(awk '{ $1 = $1; print }' <<<"$header")" = "PID COMM IP SADDR DADDR DPORT LAT(ms)" ] &&
	awk -v port="$PORT" '$2 == "freshconn" && $3 == 4 && $4 == "127.0.0.1" && $5 == "127.0.0.1" &&
		$6 == port && $7 ~ /^[0-9]+\.[0-9]+$/ { found = 1 } END { exit !found }' <<<"$row"; then
	ok "the tool built in the fresh root traces the connect: $row"
else
	not_ok "the tool built in the fresh root traces the connect (pid ${pid:-?}, freshconn, 127.0.0.1 -> :$PORT)" \
		"exit $(cat "$tmp/fresh.rc" 2>/dev/null); out: $(tr '\n' '|' <<<"$out"); err: $(tr '\n' '|' <"$tmp/fresh.err" 2>/dev/null)"
fi
echo "# the fresh-machine check took $((SECONDS - begin)) s"
