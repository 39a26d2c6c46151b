#!/usr/bin/env bash
# make image and the image under podman: built FROM scratch by buildah without downloading
# anything, for x86_64 and arm64, with the static binary alone and the OCI labels; run with
# the host's PID namespace it traces a connect made on the host (-x: a success and a refusal),
# with the least privilege that works, each part of which is shown to be needed by taking it
# away. Podman uses a store and configuration of the test's own (private_podman).
. "$(dirname "$0")/common.sh"
require_bpf
need_tracefs
for c in podman buildah runc readelf; do
	command -v $c >/dev/null || { not_ok "$c is installed" "make test-deps installs it"; exit 1; }
done
private_podman
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
IMG=localhost/tcpconnlat:$version
OK=43410 REFUSED=43411

# make_image [ARGS...]: make image in the source tree, not in the calling make's OUTPUT.
make_image() { (unset OUTPUT MAKEFLAGS MAKELEVEL MFLAGS && make -C "$top" image "$@"); }
# label IMAGE KEY: an org.opencontainers.image label.
label() { podman image inspect "$1" | jq -r ".[0].Labels[\"org.opencontainers.image.$2\"] // \"none\""; }
# files IMAGE: every path in the image's file system.
files() {
	local mnt
	mnt=$(podman image mount "$1") || return 1
	(cd "$mnt" && find . -mindepth 1 | sort | tr '\n' ' ')
	podman image unmount "$1" >/dev/null
}
# machine IMAGE: the ELF machine of its /tcpconnlat, and "static" if it has no interpreter.
machine() {
	local mnt
	mnt=$(podman image mount "$1") || return 1
	echo "$(readelf -h "$mnt/tcpconnlat" | sed -n 's/^ *Machine: *//p')" \
		"$(readelf -l "$mnt/tcpconnlat" | grep -q INTERP && echo dynamic || echo static)"
	podman image unmount "$1" >/dev/null
}

for arch in x86 arm64; do
	if [ $arch = x86 ]; then img=$IMG want=amd64 elf="Advanced Micro Devices X86-64"; else
		img=$IMG-arm64 want=arm64 elf=AArch64
	fi
	make_image ARCH=$arch >"$WORK/image-$arch.log" 2>&1
	expect "make image ARCH=$arch builds $img" "$(grep -v 'warning\|in function' "$WORK/image-$arch.log" | tail -3 | tr '\n' '|')" \
		podman image exists "$img"
	got=$(podman image inspect "$img" | jq -r '.[0] | "\(.Architecture) \(.Os) \(.Config.Entrypoint | join(","))"')
	expect "$img: $want linux, entrypoint /tcpconnlat" "$got" test "$got" = "$want linux /tcpconnlat"
	got=$(files "$img")
	expect "$img: nothing in it but /tcpconnlat (FROM scratch: no shell, no libraries)" "$got" test "$got" = "./tcpconnlat "
	got=$(machine "$img")
	expect "$img: /tcpconnlat is a static $elf binary" "$got" test "$got" = "$elf static"
	got="$(label "$img" version)|$(label "$img" licenses)|$(label "$img" source)"
	expect "$img: OCI labels version, licenses, source" "$got" \
		test "${got%|*}" = "$version|BSD-2-Clause OR GPL-2.0-only" -a "${got##*|}" != none -a -n "${got##*|}"
	size=$(podman image inspect "$img" | jq -r '.[0].Size')
	expect "$img: $size bytes (under 4 MB)" "" test "$size" -lt 4000000
done
expect "nothing was pulled: the store has only the two images built here" "$(podman images --format '{{.Repository}}:{{.Tag}}')" \
	test "$(podman images -q | wc -l)" = 2

# The least privilege: uid 0 with no capability but BPF and PERFMON, seccomp unconfined, the
# host's tracefs (read-only), the host's PID namespace; read-only root, no network of its own.
RUN=(podman run --rm --pid=host --network=host --read-only --cap-drop=all)
TRACEFS=(-v /sys/kernel/tracing:/sys/kernel/tracing:ro)
LEAST=(--cap-add=BPF,PERFMON --security-opt seccomp=unconfined "${TRACEFS[@]}")
timeout 60 "${RUN[@]}" "${LEAST[@]}" "$IMG" -x -P $OK,$REFUSED >"$WORK/run.out" 2>"$WORK/run.err" &
P_RUN=$!
BG_PIDS+=("$P_RUN")
if ! wait_for 30 grep -q 'LAT(ms)' "$WORK/run.out"; then
	not_ok "podman run $IMG -x starts tracing" "$(cat "$WORK/run.err")"
	exit 1
fi
conn -l 127.0.0.1 $OK >"$WORK/ok.conn"
conn 127.0.0.1 $REFUSED >"$WORK/refused.conn"
wait_for 5 has_line "$WORK/run.out" "\$6 == $REFUSED"
kill -INT "$P_RUN"
wait "$P_RUN"
rc=$?
expect "podman run $IMG -x: SIGINT ends it with status 0" "status $rc: $(cat "$WORK/run.err")" test $rc = 0
row=$(row_for "$WORK/run.out" 6 $OK)
expect "podman run $IMG -x: the host's connect to :$OK, row printed (tconn, ok, a latency)" "$(cat "$WORK/run.out")" \
	awk -v r="$row" 'BEGIN { n = split(r, f); exit !(n == 8 && f[2] == "tconn" && f[7] ~ /^[0-9.]+$/ && f[8] == "ok") }'
row=$(row_for "$WORK/run.out" 6 $REFUSED)
expect "podman run $IMG -x: the host's refused connect to :$REFUSED, RESULT refused" "$(cat "$WORK/run.out")" \
	awk -v r="$row" 'BEGIN { split(r, f); exit !(f[2] == "tconn" && f[8] == "refused") }'

# Each part taken away, the rest kept: it fails, and says why. (The run above is the control.)
# without NAME WANT ARGS...: the tool run with ARGS fails with a line matching WANT.
without() {
	local name=$1 want=$2 out rc
	shift 2
	out=$(timeout 60 "${RUN[@]}" "$@" "$IMG" -x -d 1 2>&1)
	rc=$?
	expect "without $name: exit 1, saying why" "status $rc: $(head -2 <<<"$out" | tr '\n' '|')" \
		test "$rc" = 1 -a -n "$(grep -E "$want" <<<"$out")"
}
without "CAP_BPF" 'not enough privileges' --cap-add=PERFMON --security-opt seccomp=unconfined "${TRACEFS[@]}"
without "CAP_PERFMON" 'not enough privileges' --cap-add=BPF --security-opt seccomp=unconfined "${TRACEFS[@]}"
without "seccomp=unconfined (podman's default profile allows bpf() with CAP_SYS_ADMIN only)" \
	'refused .*EPERM' --cap-add=BPF,PERFMON "${TRACEFS[@]}"
without "the tracefs mount (-x and --metrics need the syscalls events)" 'trace event' \
	--cap-add=BPF,PERFMON --security-opt seccomp=unconfined
without "uid 0 (a non-root user: capabilities not effective, tracefs unreadable)" 'trace event|privileges' \
	--user 65534:65534 --cap-add=BPF,PERFMON,DAC_READ_SEARCH --security-opt seccomp=unconfined "${TRACEFS[@]}"
