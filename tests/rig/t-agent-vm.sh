# husk-init's protocol suite in a VM (issue 5): the same suite as
# t-agent-unix.sh (build/tests/agent-suite), against husk-init booted by
# husk as the guest's /init (--init) with the project's guest kernel, over
# vsock through husk's Firecracker-style Unix socket (hvsock:PATH:PORT).
# Container roots come from virtio-blk: /dev/vda an erofs image of the
# busybox rootfs (read-only), /dev/vdb an empty ext4 for overlay uppers;
# eth0 is a virtio-net on a tap; the share is a host folder served by
# Debian's virtiofsd over husk's virtio-fs device (tag husk-share).
# cgroup, blk, net and share parts must run.
# After SHUTDOWN the guest reboots and husk must exit 0; husk's boot time
# (VM create -> husk-init's boot marker, i.e. husk-init ready) is printed.
. "$(dirname "$0")/lib.sh"
husk=$top/build/husk
init=$top/build/husk-init
suite=$top/build/tests/agent-suite
kernel=$HUSK_GUEST_KERNEL/vmlinux
port=1024	# HUSK_AGENT_VSOCK_PORT
for b in "$husk" "$init" "$suite"; do [ -x "$b" ] || fail "$b missing (make)"; done
[ -f "$kernel" ] || fail "no guest kernel at $kernel (scripts/guest-kernel)"
[ -x /bin/busybox ] || cannot_run "no /bin/busybox (busybox-static)"
command -v mkfs.erofs >/dev/null || cannot_run "no mkfs.erofs (erofs-utils)"
command -v mkfs.ext4 >/dev/null || cannot_run "no mkfs.ext4 (e2fsprogs)"
virtiofsd=/usr/lib/qemu/virtiofsd
[ -x $virtiofsd ] || cannot_run "no $virtiofsd (qemu-system-common)"

work=$(mktemp -d /tmp/husk-agent-vm.XXXXXX)
uds=$work/vsock.sock console=$work/console.log hlog=$work/husk.log
tap=hag$$
husk_pid="" vfs_pid=""
# shellcheck disable=SC2317  # cleanup and on_timeout run from traps
cleanup() {
	[ -n "$husk_pid" ] && kill "$husk_pid" 2>/dev/null && wait "$husk_pid" 2>/dev/null
	[ -n "$vfs_pid" ] && kill "$vfs_pid" 2>/dev/null && wait "$vfs_pid" 2>/dev/null
	ip link del "$tap" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
show_console() {
	echo "--- husk:"; sed 's/^/    /' "$hlog"
	echo "--- guest console:"; tr -d '\r' <"$console" | tail -80 | sed 's/^/    /'
}
# shellcheck disable=SC2317  # run by rig/lib.sh on the time limit
on_timeout() { show_console; }

"$top/tests/lib/mkrootfs-busybox" "$work/rootfs"
echo erofs-image >"$work/rootfs/image-marker"
mkfs.erofs --quiet "$work/rootfs.erofs" "$work/rootfs" >/dev/null 2>&1 || fail "mkfs.erofs"
truncate -s 256M "$work/upper.ext4"
mkfs.ext4 -q -F "$work/upper.ext4" >/dev/null 2>&1 || fail "mkfs.ext4"

mkdir -p "$work/share"
$virtiofsd --socket-path="$work/fs.sock" -o source="$work/share" -o cache=auto \
	-o announce_submounts --thread-pool-size=1 >"$work/virtiofsd.log" 2>&1 &
vfs_pid=$!
for _ in $(seq 50); do [ -S "$work/fs.sock" ] && break; sleep 0.1; done
[ -S "$work/fs.sock" ] || { cat "$work/virtiofsd.log"; fail "virtiofsd did not listen"; }

timeout -k 10 600 "$husk" run --kernel "$kernel" --init "$init" --mem 512 --cpus 1 \
	--disk "$work/rootfs.erofs,ro" --disk "$work/upper.ext4" \
	--net "tap=$tap" --vsock "cid=3,uds=$uds" --fs "husk-share=$work/fs.sock" --console "$console" --boot-time \
	--cmdline "console=ttyS0 reboot=k panic=-1 quiet i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd" \
	</dev/null >"$hlog" 2>&1 &
husk_pid=$!

# The guest boots in seconds here; HELLO answers once husk-init listens.
up=0
for _ in $(seq 120); do
	kill -0 "$husk_pid" 2>/dev/null || break
	if [ -S "$uds" ] && "$suite" --probe "hvsock:$uds:$port" >/dev/null 2>&1; then
		up=1; break
	fi
	sleep 0.5
done
if [ $up = 0 ]; then
	show_console
	fail "husk-init did not answer HELLO on hvsock:$uds:$port within 60s"
fi

"$suite" --connect "hvsock:$uds:$port" --in-vm --erofs /dev/vda --ext4 /dev/vdb --net \
	--share "$work/share" --require cgroup,blk,net,share --shutdown
status=$?

# SHUTDOWN: husk-init reboots the guest (reboot=k), husk exits 0.
for _ in $(seq 120); do kill -0 "$husk_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$husk_pid" 2>/dev/null; then
	echo "FAIL agent/vm-exit: husk still runs 60s after SHUTDOWN"; status=1
else
	wait "$husk_pid"; rc=$?; husk_pid=""
	if [ $rc = 0 ]; then echo "ok agent/vm-exit"; else echo "FAIL agent/vm-exit: husk exited $rc"; status=1; fi
fi
grep -E '^husk: boot time' "$hlog" || { echo "FAIL agent/boot-time: no boot-time line"; status=1; }
if [ $status != 0 ]; then
	show_console
	fail "agent suite in a VM"
fi
exit 0
