# husk wires virtio-mmio devices into a real Linux guest (smoke test; the
# thorough blk/net/vsock suites are t-virtio-*.sh):
# - two --disk images: the guest finds both virtio-blk devices and a
#   vsock device (--vsock cid=3) on the virtio bus, in --disk order;
#   /dev/vda's md5 matches the host's image, /dev/vdb is read-only with
#   the serial given; a sector the guest writes to vda is in the host's
#   file after the VM exits (interrupt-driven I/O both ways);
# - --init: a static program run as /init from the initramfs husk builds
#   in memory (appended after --initrd's) writes the boot marker;
# - --mem-stats prints the memory line (its figures are echoed);
# - the same devices boot with the ASan/UBSan build reports no errors.
# Builds its own tiny busybox initramfs so it depends on nothing else.
. "$(dirname "$0")/lib.sh"
husk=$top/build/husk
kernel=$HUSK_GUEST_KERNEL/vmlinux
work=$(mktemp -d /tmp/husk-devices.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -x /bin/busybox ] || cannot_run "no /bin/busybox (busybox-static)"

make_initramfs() {
	local st=$work/root
	mkdir -p "$st"/{bin,dev,proc,sys}
	cp /bin/busybox "$st/bin/busybox"
	for a in sh mount ls cat md5sum cut basename dd sync reboot echo tr head; do
		ln -s busybox "$st/bin/$a"
	done
	cat >"$st/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for d in /sys/bus/virtio/devices/*; do
	echo "HUSK-DEV: $(basename "$d") device=$(cat "$d/device")"
done
echo "HUSK-DEV: vda md5=$(md5sum /dev/vda | cut -d' ' -f1)"
echo "HUSK-DEV: vdb ro=$(cat /sys/block/vdb/ro) serial=$(cat /sys/block/vdb/serial)"
echo husk-guest-wrote-this | dd of=/dev/vda bs=512 seek=3 conv=notrunc,fsync 2>/dev/null
sync
echo "HUSK-DEV: done"
reboot -f
INIT
	chmod 755 "$st/init"
	(cd "$st" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
}

make_initramfs

# devices HUSK TAG - boot with two disks and a vsock, check what the guest saw.
devices() {
	local log=$work/$2.log rc out got md5
	head -c 1048576 /dev/urandom >"$work/a.img"
	md5=$(md5sum <"$work/a.img" | cut -c1-32)
	head -c 65536 /dev/urandom >"$work/b.img"
	timeout -k 10 120 "$1" run --kernel "$kernel" --initrd "$work/initramfs.cpio.gz" \
		--mem 256 --cpus 1 --console stdio --mem-stats \
		--disk "$work/a.img" --disk "$work/b.img,ro,serial=husk-ro" --vsock cid=3 \
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet" </dev/null >"$log" 2>&1
	rc=$?
	out=$(tr -d '\r' <"$log")
	grep -E '^(HUSK-DEV|husk|==[0-9]+==|.*runtime error)' <<<"$out" | head -20
	[ $rc = 0 ] || { tail -30 <<<"$out"; fail "$2: husk exited $rc"; }
	expect_line "$out" "HUSK-DEV: virtio0 device=0x0002"
	expect_line "$out" "HUSK-DEV: virtio1 device=0x0002"
	expect_line "$out" "HUSK-DEV: virtio2 device=0x0013"
	expect_line "$out" "HUSK-DEV: vda md5=$md5"
	expect_line "$out" "HUSK-DEV: vdb ro=1 serial=husk-ro"
	expect_line "$out" "HUSK-DEV: done"
	grep -qE '^husk: memory: rss=[0-9]+ KiB guest_resident=[0-9]+ KiB overhead=[0-9]+ KiB$' \
		<<<"$out" || fail "$2: no memory line"
	! grep -qE 'ERROR: (Address|Undefined|Leak)Sanitizer|runtime error:' <<<"$out" ||
		fail "$2: sanitizer report"
	got=$(dd if="$work/a.img" bs=512 skip=3 count=1 2>/dev/null | head -c 21)
	[ "$got" = husk-guest-wrote-this ] || fail "$2: the guest's write is not in a.img ('$got')"
	echo "--- $2 ok"
}

devices "$husk" devices
if [ -x "$top/build-asan/husk" ]; then
	devices "$top/build-asan/husk" asan-devices
else
	echo "build-asan/husk missing: ASan run skipped (make test builds it)"
fi

# --init: /init from the in-memory initramfs replaces the busybox script.
[ -x "$top/build/tests/bootmark" ] || fail "build/tests/bootmark missing (make)"
log=$work/init.log
timeout -k 10 120 "$husk" run --kernel "$kernel" --initrd "$work/initramfs.cpio.gz" \
	--init "$top/build/tests/bootmark" --mem 128 --cpus 1 --console stdio --boot-time \
	--cmdline "console=ttyS0 reboot=k panic=-1 quiet" </dev/null >"$log" 2>&1
rc=$?
out=$(tr -d '\r' <"$log")
grep -E '^husk' <<<"$out"
[ $rc = 0 ] || { tail -30 <<<"$out"; fail "init: husk exited $rc"; }
grep -q '^husk: boot time: create->boot marker ' <<<"$out" || fail "init: /init wrote no boot marker"
! grep -q '^HUSK-DEV' <<<"$out" || fail "init: the initrd's /init ran instead of --init's"
echo "--- init ok"
