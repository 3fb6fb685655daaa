# bench/rig-boot.sh - inside the rig: launch-to-marker time of each VMM for
# the same guest kernel and test initramfs, several runs each; median,
# min, max and the ratio to QEMU microvm; beside it the guest's own uptime
# at the marker and what its clock did not see. Then one husk boot's
# memory (--mem-stats), boot phases and VM exit counts (--stats), and
# where the guest's time goes (--profile).
. "$(dirname "$0")/lib.sh"
runs=${HUSK_BENCH_RUNS:-5}
kernel=$HUSK_GUEST_KERNEL initrd=$HUSK_ASSETS/initramfs.cpio.gz
marker="HUSK-TEST: marker hello-from-guest"
# The guest kernel options husk's shim gives its VMs to cut the guest's own
# boot (README, "Guest kernel options"), given to both VMMs: the table
# compares VMMs booting the same guest the same way.
guest_opts="noreplace-smp retain_initrd"

qemu_microvm() {
	qemu-system-x86_64 -M microvm -accel kvm -cpu host -m 256 -smp 1 \
		-nodefaults -no-user-config -nographic -no-reboot -serial stdio \
		-kernel "$kernel/bzImage" -initrd "$initrd" \
		-append "console=ttyS0 reboot=t panic=-1 quiet $guest_opts"
}

top=$(cd "$(dirname "$0")/../.." && pwd)
husk_run() {	# husk_run KERNEL_FILE [HUSK_OPTIONS...]
	local k=$1; shift
	"${HUSK_BIN:-$top/build}/husk" run --kernel "$kernel/$k" --initrd "$initrd" --mem 256 --cpus 1 \
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd $guest_opts" "$@"
}
husk_bzimage() { husk_run bzImage; }
husk_vmlinux() { husk_run vmlinux; }
# What the guest options gain: the same boot without them.
husk_vmlinux_no_opts() { guest_opts="" husk_run vmlinux; }

declare -A med mn mx up outside marks ups outs
vmms=(qemu_microvm husk_bzimage husk_vmlinux husk_vmlinux_no_opts)
# Round by round, each VMM once per round: the rig's speed drifts over a
# run (level 1's memory, its page cache), and VMMs measured one after the
# other would each get a different stretch of it.
for _ in $(seq "$runs"); do
	for vmm in "${vmms[@]}"; do
		read -r m _ u < <(launch_to_marker "$marker" "$vmm")
		marks[$vmm]+=" $m" ups[$vmm]+=" $u"
		# What the guest's clock did not see: VMM start, loading, firmware, early kernel.
		[ "$m" != - ] && [ "$u" != - ] && outs[$vmm]+=" $((m - u))"
	done
done
for vmm in "${vmms[@]}"; do
	# shellcheck disable=SC2086 # the lists are space-separated numbers
	read -r "med[$vmm]" "mn[$vmm]" "mx[$vmm]" < <(stats ${marks[$vmm]})
	# shellcheck disable=SC2086
	read -r "up[$vmm]" _ < <(stats ${ups[$vmm]})
	# shellcheck disable=SC2086
	read -r "outside[$vmm]" _ < <(stats ${outs[$vmm]:-} -)
done

echo
echo "Boot: launch to init's marker line, guest kernel + busybox initramfs, in the rig"
echo "(both VMMs: 1 vCPU, 256 MiB, guest options \"quiet $guest_opts\")"
echo "(nested KVM under QEMU TCG: absolute times say nothing about hardware; read the ratio)"
echo "guest_up_ms: the guest's /proc/uptime as init prints the marker (median);"
echo "unseen_ms: launch-to-marker minus it per run (median): the time before the guest's clock ran,"
echo "and what that clock missed (in the rig it falls behind during the boot: README, the rig section)"
printf '%-22s %5s %10s %8s %8s %12s %10s %14s\n' vmm runs median_ms min_ms max_ms guest_up_ms unseen_ms vs_qemu_microvm
base=${med[qemu_microvm]}
for vmm in "${vmms[@]}"; do
	ratio=-
	[ "$base" != - ] && [ "${med[$vmm]}" != - ] && ratio=$(awk -v a="${med[$vmm]}" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
	printf '%-22s %5s %10s %8s %8s %12s %10s %14s\n' "${vmm//_/-}" "$runs" "${med[$vmm]}" "${mn[$vmm]}" "${mx[$vmm]}" "${up[$vmm]}" "${outside[$vmm]}" "$ratio"
done

# One more husk boot, measured by husk itself at the guest's exit: memory
# (--mem-stats: its resident set minus the guest RAM the guest touched),
# boot phases and VM exit counts (--stats).
out=$(husk_run vmlinux --mem-stats --stats 2>&1 </dev/null | tr -d '\r')
mem=$(grep '^husk: memory:' <<<"$out" | tail -1)
echo
echo "Memory: husk process at guest exit (256 MiB guest, vmlinux + busybox initramfs)"
printf '%-14s %10s %16s %14s\n' vmm rss_kib guest_resident_kib overhead_kib
if [[ "$mem" =~ rss=([0-9]+)\ KiB\ guest_resident=([0-9]+)\ KiB\ overhead=([0-9]+) ]]; then
	printf '%-14s %10s %16s %14s\n' husk "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
else
	echo "husk: no memory line (got: $mem)"
fi

echo
echo "husk: boot phases and exits to husk (vmlinux, 1 vCPU, husk run --stats)"
grep '^husk: stats:' <<<"$out" | sed 's/^husk: stats: //' || echo "husk: no --stats table"

# One more, sampled (husk run --profile, every 1 ms): the guest functions
# the boot's time went to, as the guest's own clock cannot show.
husk_run vmlinux --profile /tmp/bench-boot.prof </dev/null >/dev/null 2>&1
echo
echo "husk: where the guest's boot time goes (vmlinux, 1 vCPU, husk run --profile, scripts/husk-profile)"
"$top/scripts/husk-profile" -n 12 "$kernel/vmlinux" /tmp/bench-boot.prof || echo "husk: no profile"

