# containerd-shim-husk-v2 root file systems through the virtio-fs share
# (the default "rootfs": "virtio-fs"): the host mounts the snapshot's
# overlay in the sandbox's share and husk-init uses it as the root. Checks:
# a 2 GiB file written with dd (no 1 GiB cap; it lands in the snapshot's
# upperdir), a deleted image file is gone in the container and a whiteout
# on the host, a read-only root refuses writes, the native snapshotter's
# bind works too, "rootfs": "block" still gives disks (made in the start
# phases "image" and "upper"), and after a
# SIGKILLed shim `delete` leaves no mount.
. "$(dirname "$0")/lib.sh"
shim_test_setup --log-level debug
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2)
T="timeout -k 10 300"
trap 'shim_show_debug; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
# The rig's /var/lib is a tmpfs of half its RAM: room for the 2 GiB file.
[ -n "${HUSK_IN_RIG:-}" ] && mount -o remount,size=3g /var/lib

# upper ID FILE - FILE in the upperdir of container ID's snapshot
upper() {
	local d
	d=$(ctr snapshots mounts /tmp/unused "$1" | sed -n 's/.*upperdir=\([^,]*\).*/\1/p')
	echo "$d/$2"
}

# 1. a 2 GiB file in the root; its size in the container and on the host
$T ctr run -d "${RT[@]}" $IMG big sleep 1000 || fail "big: run -d"
grep -q 'disk slots' /tmp/containerd.log && fail "big: took disk slots"
mnt=$(grep -o ' /run/husk/share/[^ ]*/mounts/big-rootfs ' /proc/mounts | tr -d ' ')
[ -n "$mnt" ] || { grep husk /proc/mounts; fail "big: no rootfs mount in the share"; }
echo "big: root mounted at $mnt"
start=$(date +%s)
out=$(timeout -k 10 400 ctr task exec --exec-id dd big sh -c \
	'dd if=/dev/zero of=/big bs=1M count=2048 2>&1 | tail -1; stat -c %s /big' 2>&1)
echo "big: $out (exec status $?, $(( $(date +%s) - start ))s)"
[ "$(tail -1 <<<"$out")" = 2147483648 ] || fail "big: size in the container: $out"
f=$(upper big big)
[ "$(stat -c %s "$f" 2>&1)" = 2147483648 ] || fail "big: host upperdir $f: $(stat -c %s "$f" 2>&1)"
[ "$(stat -c %s "$mnt/big")" = 2147483648 ] || fail "big: $mnt/big"
$T ctr task exec --exec-id rm big rm /big || fail "big: rm"
[ -e "$f" ] && fail "big: $f is still there after rm in the container"
echo "big: 2 GiB written to the snapshot's upperdir, and removed"

# 2. an image file deleted in the container: gone there, a whiteout here
out=$($T ctr task exec --exec-id wo big sh -c 'rm /etc/group; ls /etc; cat /etc/group' 2>&1)
echo "big: after rm /etc/group: $(tr '\n' ' ' <<<"$out")"
grep -qx group <<<"$out" && fail "big: /etc/group still listed"
grep -q 'No such file' <<<"$out" || fail "big: /etc/group still readable"
w=$(upper big etc/group)
[ "$(stat -c '%F %t:%T' "$w" 2>&1)" = "character special file 0:0" ] ||
	fail "big: no whiteout at $w: $(stat -c '%F %t:%T' "$w" 2>&1)"
$T ctr task kill -s KILL big
for _ in $(seq 60); do ctr task ls | grep -q 'big.*STOPPED' && break; sleep 1; done
$T ctr task delete big; $T ctr container delete big || fail "big: delete"
if grep -q ' /run/husk/share' /proc/mounts; then fail "big: share mounts left after delete"; fi

# 3. a read-only root: writes refused, reads fine
out=$($T ctr run --rm --read-only "${RT[@]}" $IMG ro sh -c 'cat /etc/passwd >/dev/null && echo read; touch /x' 2>&1)
rc=$?
echo "ro: $out (status $rc)"
grep -qx read <<<"$out" || fail "ro: cannot read"
grep -q 'Read-only file system' <<<"$out" || fail "ro: a write was not refused with EROFS"
[ $rc != 0 ] || fail "ro: touch succeeded"

# 4. the native snapshotter's bind mount: bound into the share, writable
out=$($T ctr run --rm --snapshotter native "${RT[@]}" $IMG nat \
	sh -c 'echo native >/nfile && cat /nfile && rm /etc/group && ls /etc' 2>&1)
echo "nat: $(tr '\n' ' ' <<<"$out")"
[ "$out" = "native"$'\n'"passwd" ] || fail "nat: $out"
grep -q 'rootfs of nat: bind in the share as nat-rootfs' /tmp/containerd.log ||
	fail "nat: its root was not bound into the share"

# 5. "rootfs": "block": the old erofs + ext4 disks still work
echo '{"rootfs": "block"}' >/tmp/husk-block.json
out=$($T ctr run --rm "${RT[@]}" --runtime-config-path /tmp/husk-block.json $IMG blk \
	sh -c 'echo x >/f && cat /f && grep -c " / " /proc/mounts' 2>&1)
echo "blk: $(tr '\n' ' ' <<<"$out")"
[ "$(head -1 <<<"$out")" = x ] || fail "blk: $out"
grep -q 'container blk: disk slots' /tmp/containerd.log || fail "blk: no disk slots in block mode"
# its start made the disks: the layers' erofs image and the upper ext4
check_phases start blk "spec image upper share vm-create virtiofsd devices vm-start kernel \
marker agent net rootfs create stdio hooks containerd start"

# 6. a SIGKILLed shim: containerd's `delete` unmounts the root in the share
$T ctr run -d "${RT[@]}" $IMG k1 sleep 1000 || fail "k1: run -d"
grep -q '/mounts/k1-rootfs ' /proc/mounts || fail "k1: no rootfs in the share"
shim=$(pgrep -f 'containerd-shim-husk-v2.*-id k1' | head -1)
[ -n "$shim" ] || fail "k1: no shim process"
kill -KILL "$shim"
for _ in $(seq 60); do
	ctr task ls | grep -q 'k1.*RUNNING' || break
	sleep 1
done
ctr task ls | grep -q 'k1.*RUNNING' && fail "k1: still RUNNING after its shim was killed"
ctr task delete k1 >/dev/null 2>&1	# gone already
$T ctr container delete k1 || fail "k1: container delete"
sleep 2
left=$(grep ' /run/husk/share' /proc/mounts)
[ -z "$left" ] || fail "k1: mounts left after a killed shim: $left"
check_nothing_left
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all rootfs checks passed"
