#!/usr/bin/env bash
# The build system: the architecture guard, header dependencies that really rebuild, the
# arm64 cross build, install with DESTDIR/prefix, and clean. Works on a copy of the tree in
# a temporary dir.
. "$(dirname "$0")/common.sh"
# The copy builds into its own .output: nothing from the calling make may leak in.
unset OUTPUT MAKEFLAGS MAKELEVEL MFLAGS
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$WORK/tree
mkdir "$work"

# The files make needs, as they are in the working tree.
(cd "$top" && tar -cf - Makefile systemd src vmlinux libbpf bpftool cross docs completion tests/tests.mk tests/vm/vm.mk tests/fuzz/fuzz.mk bench/bench.mk) | tar -xf - -C "$work"
cd "$work" || exit 1

out=$(make ARCH=riscv 2>&1)
if [ $? -ne 0 ] && grep -q "unsupported architecture 'riscv'" <<<"$out"; then
	ok "make refuses an unsupported architecture by name"
else
	not_ok "make refuses an unsupported architecture by name" "got: $out"
fi

if ! make -j2 >build.log 2>&1 || [ ! -x tcpconnlat ]; then
	not_ok "make builds the tool" "$(tail -3 build.log | tr '\n' ' ')"
	exit 1
fi
ok "make builds the tool"

out=$(make 2>&1)
if grep -q "Nothing to be done" <<<"$out"; then
	ok "a second make does nothing"
else
	not_ok "a second make does nothing" "rebuilt: $out"
fi

# The shared event header: both the BPF object (and so the skeleton) and the user-space
# modules that include it must rebuild.
sleep 1 # time itself: with whole-second file times the header must be a second newer
touch src/tcpconnlat.h
out=$(make 2>&1)
missing=""
for want in tcpconnlat.bpf.o tcpconnlat.skel.h format.o backend.o main.o "BINARY"; do
	grep -q "$want" <<<"$out" || missing="$missing $want"
done
if [ -z "$missing" ]; then
	ok "touching src/tcpconnlat.h rebuilds the BPF object, skeleton and its users"
else
	not_ok "touching src/tcpconnlat.h rebuilds the BPF object, skeleton and its users" \
		"not rebuilt:$missing"
fi

sleep 1 # as above
touch src/format.h
out=$(make 2>&1)
if grep -q "format.o" <<<"$out" && grep -q "main.o" <<<"$out" &&
	! grep -q "args.o\|bpf.o" <<<"$out"; then
	ok "touching src/format.h rebuilds exactly its users"
else
	not_ok "touching src/format.h rebuilds exactly its users" "got: $(tr '\n' ' ' <<<"$out")"
fi

# Cross build: a static aarch64 ./tcpconnlat (Debian's arm64 libraries are downloaded into
# .output/arm64/sysroot), then the native one is back with a plain make.
elf() { readelf -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p'; }
if make ARCH=arm64 STATIC=1 >cross.log 2>&1 && [ "$(elf tcpconnlat)" = AArch64 ] &&
	! readelf -l tcpconnlat | grep -q 'program interpreter'; then
	ok "make ARCH=arm64 STATIC=1 builds a static aarch64 ./tcpconnlat"
else
	not_ok "make ARCH=arm64 STATIC=1 builds a static aarch64 ./tcpconnlat" \
		"machine '$(elf tcpconnlat)': $(tail -3 cross.log | tr '\n' ' ')"
fi
out=$(make 2>&1)
if [ "$(elf tcpconnlat)" = "$(elf .output/tcpconnlat)" ] && [ -n "$(elf tcpconnlat)" ] &&
	! grep -q "BINARY\|CC" <<<"$out"; then
	ok "make after a cross build puts the native ./tcpconnlat back without recompiling"
else
	not_ok "make after a cross build puts the native ./tcpconnlat back without recompiling" \
		"machine '$(elf tcpconnlat)': $(tr '\n' ' ' <<<"$out")"
fi

make install DESTDIR="$work/dest" prefix=/opt/t >/dev/null 2>&1
if [ -x "$work/dest/opt/t/sbin/tcpconnlat" ] && "$work/dest/opt/t/sbin/tcpconnlat" -V | grep -q '^tcpconnlat '; then
	ok "make install honours DESTDIR and prefix"
else
	not_ok "make install honours DESTDIR and prefix" "no runnable dest/opt/t/sbin/tcpconnlat"
fi
man=$work/dest/opt/t/share/man/man8/tcpconnlat.8
comp=$work/dest/opt/t/share/bash-completion/completions/tcpconnlat
if cmp -s "$man" docs/tcpconnlat.8 && cmp -s "$comp" completion/tcpconnlat; then
	ok "make install installs the man page and the bash completion"
else
	not_ok "make install installs the man page and the bash completion" \
		"$(ls -R "$work/dest" | tr '\n' ' ')"
fi
unit=dest/opt/t/lib/systemd/system/tcpconnlat-exporter.service
if [ -f "$unit" ] && grep -qx 'ExecStart=/opt/t/sbin/tcpconnlat --metrics 9190 --by dest' "$unit"; then
	ok "make install installs the exporter's systemd unit, for the prefix's binary"
else
	not_ok "make install installs the exporter's systemd unit, for the prefix's binary" \
		"$(grep ExecStart "$unit" 2>&1)"
fi

# systemd-analyze verify needs the binary where the unit says: a real prefix, no DESTDIR.
make install prefix="$work/inst" >/dev/null 2>&1
unit=$work/inst/lib/systemd/system/tcpconnlat-exporter.service
if ! command -v systemd-analyze >/dev/null; then
	not_ok "systemd-analyze verify accepts the unit" "systemd-analyze missing (make test-deps)"
elif out=$(systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify accepts the unit"
else
	not_ok "systemd-analyze verify accepts the unit" "$(tr '\n' '|' <<<"$out")"
fi
# Least privilege: only the capabilities BPF needs, and systemd's exposure score "OK" (<= 3).
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ "$caps" = "CAP_BPF CAP_PERFMON CAP_DAC_READ_SEARCH" ] && grep -qx NoNewPrivileges=yes "$unit" &&
	grep -qx ProtectSystem=strict "$unit" && awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.0) }'; then
	ok "the unit runs with CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH only; exposure $score"
else
	not_ok "the unit runs with CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH only" "caps '$caps', exposure '$score'"
fi
make uninstall DESTDIR="$work/dest" prefix=/opt/t >/dev/null 2>&1
if [ -z "$(find "$work/dest" -type f)" ]; then
	ok "make uninstall removes all make install installed (binary, man page, completion, unit)"
else
	not_ok "make uninstall removes all make install installed" "left: $(find "$work/dest" -type f)"
fi

make clean >/dev/null 2>&1
if [ ! -e .output ] && [ ! -e tcpconnlat ]; then
	ok "make clean removes the build"
else
	not_ok "make clean removes the build" "left: $(ls -d .output tcpconnlat 2>/dev/null)"
fi
