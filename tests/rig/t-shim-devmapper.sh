# containerd's devmapper snapshotter with husk, end to end: a thin pool
# over loop devices, images unpacked into thin devices, containers whose
# root is their own thin snapshot, mounted read-write in the VM (no upper
# disk: writes land in the snapshot, as with runc, and the root is as large
# as the snapshotter made it).
. "$(dirname "$0")/lib.sh"
command -v dmsetup >/dev/null || cannot_run "dmsetup is not installed"
[ -e /dev/mapper/control ] || cannot_run "no device mapper (dm-thin-pool) in level 1"

dm=/var/lib/husk-devmapper
pool=husk-test-thinpool
# dmsetup without udev (level 1 runs none) makes the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1
# pool_down - the pool, its thin devices and loop devices gone. Also run
# first: a failed run is run once more in the same level 1 (rig/suite), and
# what it left (a pool, loop devices over $dm) must not fail the next.
pool_down() {
	dmsetup remove_all >/dev/null 2>&1
	losetup -j $dm/data -O NAME -n 2>/dev/null | xargs -r losetup -d 2>/dev/null
	losetup -j $dm/meta -O NAME -n 2>/dev/null | xargs -r losetup -d 2>/dev/null
	rm -rf $dm
}
pool_down
mkdir -p $dm
truncate -s 4G $dm/data
truncate -s 64M $dm/meta
data=$(losetup -f --show $dm/data) || fail "losetup data"
meta=$(losetup -f --show $dm/meta) || fail "losetup meta"
# 128-sector (64 KiB) blocks, low-water mark 32768 blocks.
dmsetup create $pool --table "0 $(blockdev --getsz "$data") thin-pool $meta $data 128 32768 1 skip_block_zeroing" ||
	{ pool_down; fail "dmsetup create $pool"; }
# containerd's own root (its metadata of images, containers and snapshots)
# lives with the pool and goes with it: after a failed run, the next must
# not find containers or snapshots that name a pool that is gone.
export CONTAINERD_ROOT=$dm/root
cat >$dm/containerd.toml <<EOF
version = 2
root = "$CONTAINERD_ROOT"
[plugins."io.containerd.snapshotter.v1.devmapper"]
  pool_name = "$pool"
  root_path = "$dm/snapshotter"
  base_image_size = "256MB"
  async_remove = false
EOF
shim_test_setup --config $dm/containerd.toml
trap 'shim_show_debug; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null; pool_down' EXIT
ctr plugins ls | grep 'devmapper.*ok' >/dev/null || { ctr plugins ls | grep devmapper; fail "devmapper snapshotter not loaded"; }
ctr image import --snapshotter devmapper --base-name husk.test/busybox "$HUSK_ASSETS/busybox-oci.tar" >/dev/null ||
	fail "image import into devmapper"
RUN=(ctr run --snapshotter devmapper --runtime io.containerd.husk.v2)
T="timeout -k 10 300"

# 1. The root is the thin device itself, read-write, 256 MB as configured.
out=$($T "${RUN[@]}" --rm husk.test/busybox:latest dm1 sh -c \
	'grep " / " /proc/mounts; df -k / | tail -1; dd if=/dev/zero of=/big bs=1M count=150 2>/dev/null; ls -l /big' 2>&1)
rc=$?
echo "dm1 (status $rc):"; echo "$out"
[ $rc = 0 ] || fail "dm1: status $rc"
echo "$out" | grep -Eq '^/dev/vd[a-z]+ / ext4 rw' || fail "dm1: / is not the thin device mounted read-write"
size=$(echo "$out" | awk '/^\/dev\/vd/ && $2 ~ /^[0-9]+$/ { print $2 }')
{ [ -n "$size" ] && [ "$size" -gt 200000 ] && [ "$size" -lt 270000 ]; } ||
	fail "dm1: root of ${size:-?} KiB, wanted the 256 MB thin device"
echo "$out" | grep -q ' 157286400 ' || fail "dm1: 150 MiB file not written"

# 2. Writes land in the snapshot: seen on the host after the task ended.
$T "${RUN[@]}" husk.test/busybox:latest dm2 sh -c 'echo kept-in-snapshot >/marker; sync' ||
	fail "dm2: run"
$T ctr task rm dm2 >/dev/null 2>&1
mkdir -p $dm/mnt
how=$(ctr snapshots --snapshotter devmapper mounts $dm/mnt dm2) || fail "dm2: snapshot mounts"
echo "dm2 snapshot: $how"
dev=$(echo "$how" | grep -o '/dev/mapper/[^ ]*')
[ -b "$dev" ] || fail "dm2: no thin device in: $how"
mount -o ro -t ext4 "$dev" $dm/mnt || fail "dm2: mount $dev on the host"
got=$(cat $dm/mnt/marker 2>&1)
umount $dm/mnt
[ "$got" = kept-in-snapshot ] || fail "dm2: the container's write is not in its snapshot: $got"
echo "dm2: the container's write is in its devmapper snapshot"
ctr container rm dm2 || fail "dm2: container rm"

# 3. Exit status, and nothing left: no shim, no thin device but the pool.
$T "${RUN[@]}" --rm husk.test/busybox:latest dm3 sh -c 'exit 7'
rc=$?
[ $rc = 7 ] || fail "dm3: status $rc, wanted 7"
check_nothing_left
active=$(ctr snapshots --snapshotter devmapper ls | awk '$3 == "Active"')
[ -z "$active" ] || fail "container snapshots left: $active"
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null; pool_down' EXIT
echo "devmapper: root on the thin device, writes kept in the snapshot, statuses passed through"
