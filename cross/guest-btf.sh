#!/usr/bin/env bash
# The BTF of a Debian cloud kernel of another architecture, which only the booted kernel
# has (/sys/kernel/btf/vmlinux): boots it under QEMU with a busybox initramfs whose /init
# prints the BTF in base64 on the serial console, and decodes it here.
#   guest-btf.sh ARCH SUITE WORK OUT      ARCH: the kernel's name (arm64); OUT: the raw BTF
# make vmlinux ARCH=arm64 runs it, then bpftool btf dump file OUT format c.
set -euo pipefail
arch=$1 suite=$2 work=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
case $arch in
arm64) debarch=arm64 qemu=(qemu-system-aarch64 -M virt -cpu max) console=ttyAMA0 ;;
x86) debarch=amd64 qemu=(qemu-system-x86_64 -cpu qemu64,-cx16) console=ttyS0 ;;
*) echo "guest-btf: no QEMU guest for '$arch'" >&2; exit 2 ;;
esac
mkdir -p "$work"
VM_SUITES=$suite "$here/../tests/vm/fetch-kernels.sh" "$work/kernels" "$debarch"
[ -f "$work/busybox/done" ] || {
	rm -rf "$work/busybox"
	"$here/debs.sh" "$work/busybox" "$debarch" bookworm busybox-static
	touch "$work/busybox/done"
}

root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys}
cp "$work/busybox/root/bin/busybox" "$root/bin/busybox"
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "BTF-SHA256 $(sha256sum </sys/kernel/btf/vmlinux | cut -d' ' -f1)"
echo BTF-BEGIN
base64 </sys/kernel/btf/vmlinux
echo BTF-END
poweroff -f
EOF
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd"

echo "guest-btf: booting $arch $suite $(cat "$work/kernels/$suite/version")"
timeout 600 "${qemu[@]}" -m 1024 -nographic -no-reboot -nic none \
	-kernel "$work/kernels/$suite/vmlinuz" -initrd "$work/initrd" \
	-append "console=$console quiet panic=-1" </dev/null | tr -d '\r' >"$work/console"
want=$(sed -n 's/^BTF-SHA256 //p' "$work/console")
sed -n '/^BTF-BEGIN$/,/^BTF-END$/p' "$work/console" | sed '1d;$d' | base64 -d >"$out.tmp"
got=$(sha256sum <"$out.tmp" | cut -d' ' -f1)
if [ -z "$want" ] || [ "$want" != "$got" ]; then
	echo "guest-btf: the BTF did not arrive intact (sha256 '$want' in the guest, '$got' here); console in $work/console" >&2
	exit 1
fi
mv "$out.tmp" "$out"
echo "guest-btf: $out ($(stat -c %s "$out") bytes)"
