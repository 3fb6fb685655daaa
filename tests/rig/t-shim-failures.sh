# containerd-shim-husk-v2 when things break, on the guest's side and the
# host's: (5) a guest kernel panic (panic_on_oom set by a privileged
# container that then eats the VM's memory): the task ends with the panic
# in the shim's log, STOPPED in `ctr task ls`, its exit event carries 255,
# and delete leaves nothing (the whole-VM OOM without a panic is
# t-shim-vm-oom.sh); a guest that panics as it boots: Create fails and the
# shim log keeps the console's last lines; (6) the host side
# failing: virtiofsd missing, the image cache full or read-only, mkfs.erofs
# missing, /dev/kvm not accessible: Create fails with a clear error and
# leaves nothing behind. The breakages (mounts over the image cache,
# mkfs.erofs and /dev/kvm) are made in level 1 and undone on exit.
. "$(dirname "$0")/lib.sh"
# The shim's image cache (containerd passes its environment on), away from
# /var/lib/husk: check_nothing_left takes any mount there for a leftover.
CACHE=/tmp/husk-test-images
export HUSK_IMAGE_DIR=$CACHE
shim_test_setup
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2)
T="timeout -k 10 300"
undo=()	# mount points to unmount on exit, last first
cleanup() {
	local i
	for ((i = ${#undo[@]} - 1; i >= 0; i--)); do umount "${undo[i]}" 2>/dev/null; done
	kill ${events_pid:-} $ctrd_pid 2>/dev/null
	wait $ctrd_pid 2>/dev/null
}
trap 'shim_show_debug; cleanup' EXIT
ctr events >/tmp/events.log 2>&1 &
events_pid=$!
cannot=""	# checks that cannot work here: the test is then not a pass

exit_status() {
	grep '/tasks/exit' /tmp/events.log | grep "\"id\":\"$1\"" |
		sed -n 's/.*"exit_status":\([0-9]*\).*/\1/p' | tail -1
}
state() { ctr task ls | awk -v id="$1" '$1 == id { print $3 }'; }
# ended ID STATUS - ID's task ends by itself: STOPPED, its exit event
# carries STATUS; then delete leaves nothing
ended() {
	for _ in $(seq 180); do
		[ "$(state "$1")" = STOPPED ] && break
		sleep 1
	done
	ctr task ls | grep -E "^(TASK|$1 )"
	[ "$(state "$1")" = STOPPED ] || fail "$1: '$(state "$1")', wanted STOPPED"
	for _ in $(seq 10); do
		[ -n "$(exit_status "$1")" ] && break
		sleep 1
	done
	[ "$(exit_status "$1")" = "$2" ] || fail "$1: exit event status '$(exit_status "$1")', wanted $2"
	$T ctr task delete "$1" >/dev/null
	$T ctr container delete "$1" || fail "$1: container delete"
	check_nothing_left
}
# refused ID TEXT [CTR ARGS] - `ctr run --rm` of ID fails with TEXT in its
# error (kept in $out) and leaves nothing: no shim, virtiofsd, mount or
# share folder
refused() {
	local id=$1 text=$2 rc
	shift 2
	out=$($T ctr run --rm "${RT[@]}" "$@" $IMG "$id" echo ran 2>&1)
	rc=$?
	echo "$id (status $rc): $out"
	ctr task rm -f "$id" >/dev/null 2>&1
	ctr container rm "$id" >/dev/null 2>&1
	[ $rc != 0 ] || fail "$id: ran"
	grep -qF -- "$text" <<<"$out" || fail "$id: the error does not say '$text'"
	check_nothing_left
	! pgrep -x virtiofsd >/dev/null || fail "$id: virtiofsd left: $(pgrep -ax virtiofsd)"
	[ -z "$(ls -A /run/husk/share 2>/dev/null)" ] || fail "$id: left in /run/husk/share: $(ls -A /run/husk/share)"
}

# ---- 5a. a guest kernel panic
SECONDS=0
$T ctr run -d "${RT[@]}" --privileged $IMG panic sh -c \
	'echo 1 >/proc/sys/vm/panic_on_oom || exit 90
	 exec awk "BEGIN { s = \"x\"; for (k = 0; k < 20; k++) s = s s; for (i = 0; ; i++) a[i] = s i }"' ||
	fail "panic: run -d"
ended panic 255
line=$(grep -o 'guest kernel panic: [^"]*' /tmp/containerd.log | tail -1)
echo "panic: shim log: $line (${SECONDS}s)"
grep -q '^guest kernel panic: Out of memory: system-wide panic_on_oom is enabled' <<<"$line" ||
	fail "panic: the shim log does not name the panic"

# ---- 6a. virtiofsd missing
SECONDS=0
echo '{"virtiofsd": "/no/such/virtiofsd"}' >/tmp/husk-novfsd.json
refused nofsd "virtiofsd /no/such/virtiofsd (\"virtiofsd\" in the runtime config) is not an executable file" \
	--runtime-config-path /tmp/husk-novfsd.json

# ---- 6a'. a guest that never comes up (no init to run: the kernel
# panics): Create fails, and since the console file goes with the bundle,
# the shim log keeps the console's last lines
echo '{"kernel_params": "rdinit=/no/such/init"}' >/tmp/husk-noinit.json
refused noinit "VM (console: " --runtime-config-path /tmp/husk-noinit.json
tail=$(grep 'id=noinit ' /tmp/containerd.log | grep -o 'msg="guest console: [^"]*"')
echo "noinit: $(wc -l <<<"$tail") console lines in the shim log, the last: $(tail -1 <<<"$tail")"
grep -q 'msg="the VM did not come up; the last lines of its console follow"' /tmp/containerd.log ||
	fail "noinit: no 'did not come up' line in the shim log"
grep -q 'Kernel panic - not syncing' <<<"$tail" || fail "noinit: the console lines lack the guest's panic"

# ---- 6b. the image cache full, then read-only (roots as block images)
echo '{"rootfs": "block"}' >/tmp/husk-block.json
mkdir -p $CACHE
mount -t tmpfs -o size=64k tmpfs $CACHE || fail "tmpfs on $CACHE"
undo+=("$CACHE")
refused full "image cache $CACHE: mkfs.erofs exited with status" --runtime-config-path /tmp/husk-block.json
grep -qF "No space left on device" <<<"$out" || fail "full: the error does not say 'No space left on device'"
[ -z "$(ls -A $CACHE)" ] || fail "full: left in the image cache: $(ls -A $CACHE)"
mount -o remount,ro $CACHE || fail "remount $CACHE read-only"
refused rocache "image cache $CACHE: create $CACHE/." --runtime-config-path /tmp/husk-block.json
grep -qF "Read-only file system" <<<"$out" || fail "rocache: the error does not say 'Read-only file system'"
umount $CACHE

# ---- 6c. mkfs.erofs missing: a file without x bits over it
mkfs=$(readlink -f "$(command -v mkfs.erofs)")
mount -t tmpfs -o size=64m tmpfs $CACHE || fail "tmpfs on $CACHE"
: >/tmp/no-mkfs && chmod 644 /tmp/no-mkfs
mount --bind /tmp/no-mkfs "$mkfs" || fail "bind over $mkfs"
undo+=("$mkfs")
refused nomkfs "mkfs.erofs: not found (install it)" --runtime-config-path /tmp/husk-block.json
[ -z "$(ls -A $CACHE)" ] || fail "nomkfs: left in the image cache: $(ls -A $CACHE)"
umount "$mkfs"
umount $CACHE

# ---- 6d. /dev/kvm not accessible: a kvm node on a nodev mount over it
mkdir -p /tmp/nokvm
mount -t tmpfs -o nodev tmpfs /tmp/nokvm || fail "a nodev tmpfs"
undo+=(/tmp/nokvm)
mknod /tmp/nokvm/kvm c 10 232 || fail "mknod kvm"
mount --bind /tmp/nokvm/kvm /dev/kvm || fail "bind over /dev/kvm"
undo+=(/dev/kvm)
if (exec 3<>/dev/kvm) 2>/dev/null; then
	cannot="/dev/kvm still opens through a node on a nodev mount: the check of an inaccessible /dev/kvm cannot work here"
	echo "$cannot"
else
	refused nokvm "open /dev/kvm: Permission denied"
fi
umount /dev/kvm
umount /tmp/nokvm
echo "host failures: passed (${SECONDS}s)"

kill $events_pid
trap 'cleanup' EXIT
[ -z "$cannot" ] || cannot_run "$cannot"
echo "all failure checks passed"
