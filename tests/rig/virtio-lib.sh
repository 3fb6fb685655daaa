# shellcheck shell=bash
# rig/virtio-lib.sh - helpers of the virtio rig tests (t-virtio-*.sh) and
# benchmarks (tests/bench/rig-virtio.sh): one device description booted
# under husk or, as the reference, QEMU microvm, with the same kernel and
# the tools initramfs (tests/lib/mkinitramfs-tools).
#
# A test fills these arrays, then calls vm_start VMM LOG:
#   vm_disks=("PATH[,ro][,serial=S]" ...)
#   vm_nets=("tap=NAME[,mac=MAC][,mtu=N]" ...)
#   vm_vsock="cid=N[,uds=PATH]"     (QEMU ignores uds: level 1 uses AF_VSOCK)
#   vm_args="husk.test=NAME husk.KEY=VALUE ..."
#   vm_netns=NAME                    (run the VMM in that network namespace)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hs=$top/build/tests/husk-stream
hio=$top/build/tests/husk-io
vm_initrd=/tmp/husk-virtio/initramfs.cpio.gz
vm_disks=() vm_nets=() vm_vsock="" vm_args="" vm_netns="" vm_pid=""
: "${HUSK_VIRTIO_VMMS:=qemu husk}"
: "${HUSK_VIRTIO_TIMEOUT:=300}"

# virtio_setup - tools built, initramfs made (once per rig run).
virtio_setup() {
	{ [ -x "$hs" ] && [ -x "$hio" ]; } || fail "build/tests/husk-stream or husk-io missing (make)"
	[ -f "$HUSK_GUEST_KERNEL/bzImage" ] || fail "no guest kernel at $HUSK_GUEST_KERNEL"
	if [ ! -f "$vm_initrd" ] || [ "$hs" -nt "$vm_initrd" ] || [ "$hio" -nt "$vm_initrd" ]; then
		mkdir -p "${vm_initrd%/*}"
		"$top/tests/lib/mkinitramfs-tools" "$vm_initrd" || fail "mkinitramfs-tools failed"
	fi
}

# husk_require FLAG... - husk's --help lists each FLAG (a failure, not a skip:
# these are the flags of issue 4).
husk_require() {
	local help f
	help=$("$top/build/husk" --help 2>&1)
	for f in "$@"; do
		grep -q -- "$f\b" <<<"$help" || fail "build/husk has no $f option yet (issue 4 wiring)"
	done
}

# opt_get SPEC KEY - the value of KEY=VALUE in a comma list ("" if absent);
# opt_has SPEC WORD - SPEC has the bare word WORD.
opt_get() { tr ',' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }
opt_has() { tr ',' '\n' <<<"$1" | grep -qx "$2"; }

qemu_cmd() {
	local i=0 spec path drv dev cid
	vm_cmd=(qemu-system-x86_64 -M "microvm,acpi=off" -accel kvm -cpu host -m 256 -smp 1
		-nodefaults -no-user-config -nographic -no-reboot -serial stdio
		-kernel "$HUSK_GUEST_KERNEL/bzImage" -initrd "$vm_initrd"
		-append "console=ttyS0 reboot=t panic=-1 quiet $vm_args")
	for spec in "${vm_disks[@]}"; do
		path=${spec%%,*}
		drv="id=d$i,file=$path,format=raw,if=none"
		opt_has "$spec" ro && drv="$drv,readonly=on"
		dev="virtio-blk-device,drive=d$i"
		[ -n "$(opt_get "$spec" serial)" ] && dev="$dev,serial=$(opt_get "$spec" serial)"
		vm_cmd+=(-drive "$drv" -device "$dev")
		i=$((i + 1))
	done
	i=0
	for spec in "${vm_nets[@]}"; do
		dev="virtio-net-device,netdev=n$i"
		[ -n "$(opt_get "$spec" mac)" ] && dev="$dev,mac=$(opt_get "$spec" mac)"
		[ -n "$(opt_get "$spec" mtu)" ] && dev="$dev,host_mtu=$(opt_get "$spec" mtu)"
		vm_cmd+=(-netdev "tap,id=n$i,ifname=$(opt_get "$spec" tap),script=no,downscript=no"
			-device "$dev")
		i=$((i + 1))
	done
	if [ -n "$vm_vsock" ]; then
		cid=$(opt_get "$vm_vsock" cid)
		vm_cmd+=(-device "vhost-vsock-device,guest-cid=$cid")
	fi
}

husk_cmd() {
	local spec
	vm_cmd=("$top/build/husk" run --kernel "$HUSK_GUEST_KERNEL/bzImage" --initrd "$vm_initrd"
		--mem 256 --cpus 1 --console stdio
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet $vm_args")
	for spec in "${vm_disks[@]}"; do vm_cmd+=(--disk "$spec"); done
	for spec in "${vm_nets[@]}"; do vm_cmd+=(--net "$spec"); done
	[ -n "$vm_vsock" ] && vm_cmd+=(--vsock "$vm_vsock")
	return 0
}

# vm_start qemu|husk LOG - boot in the background; the console goes to LOG.
vm_start() {
	local in_netns=()
	"$1_cmd"
	[ -n "$vm_netns" ] && in_netns=(ip netns exec "$vm_netns")
	echo "+ ${vm_cmd[*]}" >"$2.cmd"
	timeout -k 10 "$HUSK_VIRTIO_TIMEOUT" "${in_netns[@]}" "${vm_cmd[@]}" </dev/null >"$2" 2>&1 &
	vm_pid=$!
}

# vm_wait - the VMM's exit status (124: killed by the time limit).
vm_wait() {
	local rc
	wait "$vm_pid"
	rc=$?
	vm_pid=""
	return $rc
}

# vm_boot VMM LOG - vm_start and vm_wait; fails unless the guest ran its
# case to the end ("HUSK-TEST: done") and the VMM exited 0.
vm_boot() {
	local rc
	vm_start "$1" "$2"
	vm_wait
	rc=$?
	vm_check_end "$1" "$2" "$rc"
}

# vm_check_end VMM LOG RC
vm_check_end() {
	tr -d '\r' <"$2" >"$2.txt"
	if grep -q '^HUSK-TEST: done' "$2.txt" && [ "$3" = 0 ]; then
		check "$1 $(sed -n 's/.*husk\.test=\([^ ]*\).*/\1/p' <<<"$vm_args"): guest case status" \
			0 "$(sed -n 's/^HUSK-TEST: done rc=//p' "$2.txt")"
		return 0
	fi
	echo "--- $1 console (last 40 lines), exit $3:"
	tail -40 "$2.txt"
	# A guest that died without a word: QEMU exits 0 on a triple fault
	# (-no-reboot), husk exits 3 and says "triple fault".
	if ! grep -Eq 'Kernel panic|Oops|BUG:' "$2.txt" &&
		{ [ "$1:$3" = qemu:0 ] || [ "$1:$3" = husk:3 ]; }; then
		echo "RIG-FAULT: the $1 guest died without a message (see tests/rig/suite)"
	fi
	check "$1: the guest finished its case (VMM exit $3)" yes no
	return 1
}

# wait_line FILE PATTERN SECS - FILE gets a line matching PATTERN (grep -E).
wait_line() {
	local i
	for i in $(seq $(($3 * 10))); do
		tr -d '\r' <"$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		[ -n "$vm_pid" ] && ! kill -0 "$vm_pid" 2>/dev/null && break
		sleep 0.1
	done
	return 1
}

# field LOG PREFIX KEY - KEY=VALUE from the first "HUSK-TEST: PREFIX" line.
field() {
	grep -m1 -- "^HUSK-TEST: $2" "$1.txt" | tr ' ' '\n' | sed -n "s/^$3=//p" | head -1
}

# hs_field FILE KEY [LINE] - KEY=VALUE from husk-stream's "total" (or LINE) line.
hs_field() {
	grep -m1 -- "husk-stream: ${3:-total}" "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# check NAME WANT GOT - one assertion, printed either way; failures counted.
nfail=0
check() {
	if [ "$2" = "$3" ]; then
		echo "  ok   $1: $3"
	else
		echo "  FAIL $1: want '$2', got '$3'"
		nfail=$((nfail + 1))
	fi
}

# per_vmm FN - FN VMM for each of $HUSK_VIRTIO_VMMS; fails at the end if
# any check failed.
per_vmm() {
	local vmm before
	for vmm in $HUSK_VIRTIO_VMMS; do
		echo "=== $vmm"
		before=$nfail
		"$1" "$vmm"
		[ $nfail = "$before" ] && echo "--- $vmm ok" || echo "--- $vmm: $((nfail - before)) checks failed"
	done
	[ $nfail = 0 ] || fail "$nfail checks failed"
}
