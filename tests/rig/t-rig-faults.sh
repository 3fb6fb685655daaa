# The rig's silent guest deaths, measured: tests/rig/suite runs a failed
# test once more when a level-2 guest died without a message, on the
# theory that QEMU TCG's emulation of nested SVM is at fault. That rerun
# would also hide a husk fault that kills its guest, so here both VMMs
# boot the same guest kernel and test initramfs HUSK_FAULT_BOOTS times
# (20 in `make test`, 100 in `make soak`), in turns, one husk boot and
# one QEMU microvm boot, each alone on level 1, so that both see the same
# load (one vCPU, 256 MiB each). Booting the two at the same time froze
# level 1 itself within a run of 100 such pairs (a frozen level 1 is
# tests/run-suites' business, not a guest's death). Each boot ends as
# one of:
#   ok      the marker line, then the VMM's normal end (exit 0);
#   silent  no marker, no panic/oops/BUG, the VMM ended (husk exit 3
#           "triple fault", QEMU exit 0 after its -no-reboot triple fault);
#   panic   the guest's kernel said Kernel panic, Oops or BUG;
#   stall   no end within 180 s;
#   other   anything else (a VMM error, a marker without a normal end).
# The test fails on any husk boot that is neither ok nor silent, and when
# husk's silent deaths exceed QEMU microvm's by more than 2 (chance alone
# at these rates): then the fault is husk's to find.
. "$(dirname "$0")/lib.sh"
boots=${HUSK_FAULT_BOOTS:-20}
kernel=$HUSK_GUEST_KERNEL initrd=$HUSK_ASSETS/initramfs.cpio.gz
marker="HUSK-TEST: marker hello-from-guest"
[ -f "$kernel/vmlinux" ] || cannot_run "no guest kernel (make guest-kernel)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

boot_qemu() {
	timeout -k 5 180 qemu-system-x86_64 -M microvm -accel kvm -cpu host -m 256 -smp 1 \
		-nodefaults -no-user-config -nographic -no-reboot -serial stdio \
		-kernel "$kernel/bzImage" -initrd "$initrd" \
		-append "console=ttyS0 reboot=t panic=-1 quiet" </dev/null >"$1" 2>&1
}

boot_husk() {
	timeout -k 5 180 "$top/build/husk" run --kernel "$kernel/vmlinux" --initrd "$initrd" \
		--mem 256 --cpus 1 --cmdline "console=ttyS0 reboot=k panic=-1 quiet" \
		</dev/null >"$1" 2>&1
}

# classify VMM LOG RC - one boot's outcome word (see the header).
classify() {
	local vmm=$1 log=$2 rc=$3 quiet_end=0
	{ [ "$vmm:$rc" = qemu:0 ] || [ "$vmm:$rc" = husk:3 ]; } && quiet_end=1
	if grep -Eq 'Kernel panic|Oops|BUG:' "$log"; then echo panic
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo stall
	elif grep -Fq "$marker" "$log"; then
		[ "$rc" = 0 ] && echo ok || echo other
	elif [ $quiet_end = 1 ]; then echo silent
	else echo other
	fi
}

declare -A count
for i in $(seq "$boots"); do
	boot_husk "$work/husk.log"
	hrc=$?
	boot_qemu "$work/qemu.log"
	qrc=$?
	h=$(classify husk "$work/husk.log" $hrc)
	q=$(classify qemu "$work/qemu.log" $qrc)
	count[husk:$h]=$((${count[husk:$h]:-0} + 1))
	count[qemu:$q]=$((${count[qemu:$q]:-0} + 1))
	echo "boot $i: husk $h, qemu-microvm $q"
	for v in husk:$h:$hrc qemu:$q:$qrc; do
		IFS=: read -r vmm what rc <<<"$v"
		[ "$what" = ok ] && continue
		echo "boot $i: $vmm $what (exit $rc); its last lines:"
		tr -d '\r' <"$work/$vmm.log" | tail -5 | sed 's/^/    /'
	done
done

echo "silent deaths in $boots boots of each VMM, husk and QEMU microvm in turns"
printf '%-14s %4s %7s %6s %6s %6s %12s\n' vmm ok silent panic stall other silent_rate
for vmm in husk qemu; do
	printf '%-14s %4s %7s %6s %6s %6s %11s%%\n' "$([ $vmm = qemu ] && echo qemu-microvm || echo husk)" \
		"${count[$vmm:ok]:-0}" "${count[$vmm:silent]:-0}" "${count[$vmm:panic]:-0}" \
		"${count[$vmm:stall]:-0}" "${count[$vmm:other]:-0}" \
		"$(awk -v s="${count[$vmm:silent]:-0}" -v n="$boots" 'BEGIN { printf "%.1f", 100 * s / n }')"
done
bad=$(( ${count[husk:panic]:-0} + ${count[husk:stall]:-0} + ${count[husk:other]:-0} ))
[ $bad = 0 ] || fail "$bad husk boots ended neither normally nor silently (see above)"
[ $(( ${count[husk:silent]:-0} - ${count[qemu:silent]:-0} )) -le 2 ] ||
	fail "husk's guests died silently more often than QEMU microvm's"
# A rig in which QEMU's own guests died is told apart from a husk fault.
[ "${count[qemu:ok]:-0}" -gt 0 ] || fail "no QEMU microvm boot reached its marker: the rig itself is broken"
