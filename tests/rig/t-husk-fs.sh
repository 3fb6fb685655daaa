# husk's virtio-fs device with Debian's virtiofsd 7.2 in a real Linux guest:
# - virtiofsd shares a host folder; husk boots with --fs hostshare=SOCKET;
#   the guest mounts it (mount -t virtiofs), reads a host file (content
#   checked), writes a file (checked on the host after the VM exited), and
#   sees a change the host makes while it runs (stat size, cache=auto);
#   after unmounting, the driver is unbound and bound again (a device
#   reset and a second DRIVER_OK on the same virtiofsd connection) and a
#   new mount reads the host file again;
# - a second boot where virtiofsd is killed with SIGKILL while the guest
#   runs: the guest's next access fails with "Transport endpoint is not
#   connected" (ENOTCONN; wrapped in timeout inside the guest, so a hang
#   fails the test), husk logs the error and exits 0 when the guest
#   reboots;
# - --fs with a socket that does not exist: exit 1 with a clear message.
# The first two also run with the ASan/UBSan build when there is one
# (make test builds it), which must report nothing.
# Builds its own tiny busybox initramfs.
. "$(dirname "$0")/lib.sh"
husk=$top/build/husk
kernel=$HUSK_GUEST_KERNEL/vmlinux
vfsd=/usr/lib/qemu/virtiofsd
[ -x /bin/busybox ] || cannot_run "no /bin/busybox (busybox-static)"
[ -x "$vfsd" ] || cannot_run "no $vfsd (qemu-system-common)"
[ -f "$kernel" ] || cannot_run "no guest kernel (make guest-kernel)"
grep -q '^CONFIG_VIRTIO_FS=y' "$HUSK_GUEST_KERNEL/config" 2>/dev/null ||
	cannot_run "the guest kernel lacks CONFIG_VIRTIO_FS (make guest-kernel)"
grep -q -- '--fs TAG=SOCKET' <<<"$("$husk" --help 2>&1)" || fail "husk has no --fs option"
work=$(mktemp -d /tmp/husk-fs.XXXXXX)
vfsd_pid=""
trap '[ -n "$vfsd_pid" ] && kill -9 $vfsd_pid 2>/dev/null; rm -rf "$work"' EXIT

make_initramfs() {
	local st=$work/root
	mkdir -p "$st"/{bin,dev,proc,sys,mnt,tmp}
	cp /bin/busybox "$st/bin/busybox"
	for a in sh mount umount cat echo stat seq sleep timeout sync reboot grep tr; do
		ln -s busybox "$st/bin/$a"
	done
	cat >"$st/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
if ! timeout 20 mount -t virtiofs hostshare /mnt 2>/tmp/err; then
	echo "HUSK-FS: mount failed: $(cat /tmp/err)"
	reboot -f
fi
echo "HUSK-FS: read=$(timeout 20 cat /mnt/hello.txt)"
case "$(cat /proc/cmdline)" in
*husk.fs=kill*)
	echo "HUSK-FS: kill-me"
	# Fresh names each time: a lookup is never answered from a cache.
	for i in $(seq 60); do
		timeout 10 stat "/mnt/probe-$i" >/dev/null 2>/tmp/err
		rc=$?
		grep -q 'not connected' /tmp/err && break
		sleep 1
	done
	echo "HUSK-FS: after-kill rc=$rc err=$(tr -d '\n' </tmp/err)"
	;;
*)
	echo guest-wrote-this >/mnt/from-guest.txt
	sync
	echo "HUSK-FS: wrote"
	echo "HUSK-FS: ready-for-change size=$(stat -c %s /mnt/changing.txt)"
	for i in $(seq 100); do
		s=$(timeout 10 stat -c %s /mnt/changing.txt)
		[ "$s" = 12 ] && break
		sleep 0.2
	done
	echo "HUSK-FS: changed size=$s"
	umount /mnt && echo "HUSK-FS: unmounted"
	# Driver unbind/bind: a device reset, then DRIVER_OK on the same connection.
	echo virtio0 >/sys/bus/virtio/drivers/virtiofs/unbind
	echo virtio0 >/sys/bus/virtio/drivers/virtiofs/bind
	timeout 20 mount -t virtiofs hostshare /mnt &&
		echo "HUSK-FS: rebound read=$(timeout 20 cat /mnt/hello.txt)"
	;;
esac
echo "HUSK-FS: done"
reboot -f
INIT
	chmod 755 "$st/init"
	(cd "$st" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"
}

# start_vfsd - virtiofsd on $work/src at $work/vfs.sock.
start_vfsd() {
	rm -f "$work/vfs.sock"
	"$vfsd" --socket-path="$work/vfs.sock" -o source="$work/src" -o cache=auto \
		--thread-pool-size=1 >"$work/vfsd.log" 2>&1 &
	vfsd_pid=$!
	for _ in $(seq 100); do
		[ -S "$work/vfs.sock" ] && return 0
		kill -0 $vfsd_pid 2>/dev/null || { cat "$work/vfsd.log"; fail "virtiofsd exited"; }
		sleep 0.1
	done
	cat "$work/vfsd.log"; fail "virtiofsd made no socket"
}

# boot TAG EXTRA_CMDLINE - husk in the background, console in $work/TAG.log.
boot() {
	: >"$work/$1.log"	# wait_line may look before the background shell opens it
	timeout -k 10 180 "$vmm" run --kernel "$kernel" --initrd "$work/initramfs.cpio.gz" \
		--mem 256 --cpus 1 --console stdio --fs "hostshare=$work/vfs.sock" \
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet $2" </dev/null >"$work/$1.log" 2>&1 &
	husk_pid=$!
}

# wait_line TAG LINE - until the console shows LINE (a prefix), or husk ends.
wait_line() {
	for _ in $(seq 1200); do
		grep -q "^$2" <(tr -d '\r' <"$work/$1.log") && return 0
		kill -0 $husk_pid 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

finish() {
	local rc
	wait $husk_pid; rc=$?
	out=$(tr -d '\r' <"$work/$1.log")
	grep -E '^(HUSK-FS|husk)' <<<"$out" | head -20
	[ $rc = 0 ] || { tail -30 <<<"$out"; cat "$work/vfsd.log"; fail "$1: husk exited $rc"; }
	! grep -qE 'ERROR: (Address|Undefined|Leak)Sanitizer|runtime error:' <<<"$out" ||
		{ tail -40 <<<"$out"; fail "$1: sanitizer report"; }
}

make_initramfs
mkdir -p "$work/src"
printf 'hello from the host\n' >"$work/src/hello.txt"

# shares VMM SUFFIX - the two boots with virtiofsd, under husk binary VMM.
shares() {
	vmm=$1
	printf 'short\n' >"$work/src/changing.txt"
	rm -f "$work/src/from-guest.txt"
	# 1. read, write, and a host-side change seen by the running guest.
	start_vfsd
	boot "share$2" ""
	wait_line "share$2" "HUSK-FS: ready-for-change" ||
		{ cat "$work/share$2.log"; fail "share$2: the guest never got ready"; }
	printf 'longer text\n' >"$work/src/changing.txt"	# 12 bytes
	finish "share$2"
	expect_line "$out" "HUSK-FS: read=hello from the host"
	expect_line "$out" "HUSK-FS: wrote"
	expect_line "$out" "HUSK-FS: ready-for-change size=6"
	expect_line "$out" "HUSK-FS: changed size=12"
	expect_line "$out" "HUSK-FS: unmounted"
	expect_line "$out" "HUSK-FS: rebound read=hello from the host"
	expect_line "$out" "HUSK-FS: done"
	[ "$(cat "$work/src/from-guest.txt" 2>/dev/null)" = guest-wrote-this ] ||
		fail "share$2: the guest's file is not on the host"
	# Closing the connection at exit ends virtiofsd.
	for _ in $(seq 50); do kill -0 $vfsd_pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $vfsd_pid 2>/dev/null && fail "share$2: virtiofsd still runs after husk exited"
	wait $vfsd_pid; vfsd_pid=""
	echo "--- share$2 ok"

	# 2. virtiofsd killed under the running guest: errors, no hang, husk exits 0.
	start_vfsd
	boot "kill$2" "husk.fs=kill"
	wait_line "kill$2" "HUSK-FS: kill-me" ||
		{ cat "$work/kill$2.log"; fail "kill$2: the guest never mounted"; }
	kill -9 $vfsd_pid
	wait $vfsd_pid 2>/dev/null; vfsd_pid=""
	finish "kill$2"
	expect_line "$out" "HUSK-FS: read=hello from the host"
	grep -q '^HUSK-FS: after-kill rc=1 err=.*Transport endpoint is not connected' <<<"$out" ||
		fail "kill$2: the guest's access did not fail with ENOTCONN"
	expect_line "$out" "HUSK-FS: done"
	grep -q '^husk: error: virtio-fs fs0: the backend closed the connection' <<<"$out" ||
		fail "kill$2: husk logged no error about the backend"
	echo "--- kill$2 ok"
}

shares "$husk" ""
if [ -x "$top/build-asan/husk" ]; then
	shares "$top/build-asan/husk" "-asan"
else
	echo "build-asan/husk missing: ASan run skipped (make test builds it)"
fi

# 3. No backend at all: a clear message, exit 1, before any boot.
out=$("$husk" run --kernel "$kernel" --initrd "$work/initramfs.cpio.gz" \
	--fs "hostshare=$work/nonexistent.sock" </dev/null 2>&1)
rc=$?
echo "$out"
[ $rc = 1 ] || fail "missing socket: husk exited $rc, want 1"
expect_line "$out" "husk: fs hostshare: vhost-user fs0: connect $work/nonexistent.sock: No such file or directory"
echo "--- missing socket ok"
