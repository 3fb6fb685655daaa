# virtio-blk under husk (and QEMU microvm as the reference), guest case
# "blk" of tests/lib/mkinitramfs-tools, four disks found by serial:
# - in: 8 MiB the host wrote; the guest's md5 of the whole disk matches
#   and its size is right;
# - out: the guest writes 8 MiB of a seeded stream at 1 MiB (buffered, fsync)
#   and 4 MiB of another at 10 MiB (O_DIRECT) and syncs; after the VM exits
#   the host finds exactly those, byte for byte, and zeros around them;
# - ro (--disk ...,ro): the guest sees the disk read-only, its writes are
#   refused, the host's file is unchanged;
# - fs: ext4 made by mkfs.ext4 on the host with a file in it: the guest
#   mounts it, reads the file, writes another and syncs (no unmount); a
#   second boot (case "blk2") mounts it, reads that file back and unmounts;
#   the host then finds the file with debugfs and e2fsck finds no errors.
# With husk, disks appear in --disk order (vda, vdb, ...).
. "$(dirname "$0")/virtio-lib.sh"
virtio_setup
MiB=1048576
seed=4242 bytes=$((8 * MiB)) seed2=777 bytes2=$((3 * MiB + 12345))
work=$(mktemp -d /tmp/virtio-blk.XXXXXX)

make_images() {
	head -c $((8 * MiB)) /dev/urandom >"$work/in.img"
	truncate -s $((16 * MiB)) "$work/out.img"
	head -c $((4 * MiB)) /dev/urandom >"$work/ro.img"
	rm -rf "$work/fsroot" "$work/fs.img" && mkdir "$work/fsroot"
	head -c $((2 * MiB + 99)) /dev/urandom >"$work/fsroot/host-file"
	mkfs.ext4 -q -F -d "$work/fsroot" "$work/fs.img" 64M || fail "mkfs.ext4 failed"
	md5_in=$(md5sum <"$work/in.img" | cut -c1-32)
	md5_ro=$(md5sum <"$work/ro.img" | cut -c1-32)
	md5_host=$(md5sum <"$work/fsroot/host-file" | cut -c1-32)
	md5_gen=$("$hio" gen $bytes $seed | md5sum | cut -c1-32)
	md5_gen2=$("$hio" gen $bytes2 $seed2 | md5sum | cut -c1-32)
}

# region IMG OFF LEN FILE - "same" if LEN bytes of IMG at OFF equal FILE's first LEN.
region() {
	cmp -s -n "$3" -i "$2:0" "$1" "$4" && echo same || echo different
}

# The out disk: zeros, the first stream at 1 MiB, zeros, the second at
# 10 MiB, zeros.
check_out_image() {
	local img=$work/out.img
	check "host: out.img 0-1 MiB zero" same "$(region "$img" 0 $MiB /dev/zero)"
	check "host: out.img stream at 1 MiB" same "$(region "$img" $MiB $bytes <("$hio" gen $bytes $seed))"
	check "host: out.img 9-10 MiB zero" same "$(region "$img" $((9 * MiB)) $MiB /dev/zero)"
	check "host: out.img O_DIRECT stream at 10 MiB" same \
		"$(region "$img" $((10 * MiB)) $((4 * MiB)) <("$hio" gen $((4 * MiB)) $((seed + 1))))"
	check "host: out.img 14-16 MiB zero" same "$(region "$img" $((14 * MiB)) $((2 * MiB)) /dev/zero)"
	check "host: out.img size" $((16 * MiB)) "$(stat -c %s "$img")"
}

blk_case() {
	local vmm=$1 log=$work/$1 order
	[ "$vmm" = husk ] && husk_require --disk
	make_images
	vm_disks=("$work/in.img,serial=in" "$work/out.img,serial=out"
		"$work/ro.img,ro,serial=ro" "$work/fs.img,serial=fs")
	vm_args="husk.test=blk husk.bytes=$bytes husk.seed=$seed husk.bytes2=$bytes2 husk.seed2=$seed2"
	vm_boot "$vmm" "$log-1"
	grep '^HUSK-TEST' "$log-1.txt"
	order=$(grep -m1 '^HUSK-TEST: disks' "$log-1.txt" | cut -d' ' -f3-)
	[ "$vmm" = husk ] && check "disks in --disk order" "in=vda out=vdb ro=vdc fs=vdd" "$order"
	check "guest: in size" $((8 * MiB)) "$(field "$log-1" in-size= in-size)"
	check "guest: in md5" "$md5_in" "$(field "$log-1" in-md5= in-md5)"
	check "guest: out write" "rc=0" "$(field "$log-1" out-write rc | sed 's/^/rc=/')"
	check "guest: out O_DIRECT write" "rc=0" "$(field "$log-1" out-direct-write rc | sed 's/^/rc=/')"
	check "guest: out read back md5" "$md5_gen" "$(field "$log-1" out-read-md5= out-read-md5)"
	check "guest: ro disk flagged read-only" 1 "$(field "$log-1" ro-flag= ro-flag)"
	check "guest: ro buffered write" refused "$(grep -c 'ro-write conv=fsync accepted' "$log-1.txt" |
		sed 's/^0$/refused/;s/^1$/accepted/')"
	check "guest: ro direct write" refused "$(grep -c 'ro-write oflag=direct accepted' "$log-1.txt" |
		sed 's/^0$/refused/;s/^1$/accepted/')"
	check "guest: ro md5 unchanged" "$md5_ro" "$(field "$log-1" ro-md5= ro-md5)"
	check "guest: ext4 mount" 1 "$(grep -c '^HUSK-TEST: fs-mount ok' "$log-1.txt")"
	check "guest: host-file md5" "$md5_host" "$(field "$log-1" fs-host-md5= fs-host-md5)"
	check "guest: guest-file md5" "$md5_gen2" "$(field "$log-1" fs-guest-write md5)"
	check_out_image
	check "host: ro.img unchanged" "$md5_ro" "$(md5sum <"$work/ro.img" | cut -c1-32)"
	check "host: in.img unchanged" "$md5_in" "$(md5sum <"$work/in.img" | cut -c1-32)"

	vm_disks=("$work/fs.img,serial=fs")
	vm_args="husk.test=blk2"
	vm_boot "$vmm" "$log-2"
	grep '^HUSK-TEST' "$log-2.txt"
	check "guest, 2nd boot: ext4 mount" 1 "$(grep -c '^HUSK-TEST: fs-mount ok' "$log-2.txt")"
	check "guest, 2nd boot: guest-file md5" "$md5_gen2" "$(field "$log-2" fs-guest-md5= fs-guest-md5)"
	check "guest, 2nd boot: unmount" 1 "$(grep -c '^HUSK-TEST: fs-umount ok' "$log-2.txt")"
	check "host: debugfs guest-file md5" "$md5_gen2" \
		"$(debugfs -R 'cat /guest-file' "$work/fs.img" 2>/dev/null | md5sum | cut -c1-32)"
	e2fsck -fn "$work/fs.img" >"$work/fsck.log" 2>&1
	check "host: e2fsck -fn" 0 "$?"
	[ $nfail = 0 ] || cat "$work/fsck.log"
}

per_vmm blk_case
