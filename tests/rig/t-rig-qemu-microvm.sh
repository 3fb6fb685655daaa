# A self-check of the rig, not a test of husk: QEMU's microvm on the rig's
# KVM boots husk's guest kernel (bzImage) with the test initramfs: the
# marker line, 2 CPUs, the command line and the initramfs payload arrive
# intact. Proves the rig and the guest kernel with a VMM nobody here wrote,
# so that a failure of husk's own boot tests (t-husk-boot.sh) points at husk.
. "$(dirname "$0")/lib.sh"
out=$(timeout 300 qemu-system-x86_64 -M microvm -accel kvm -cpu host -m 256 -smp 2 \
	-nodefaults -no-user-config -nographic -no-reboot -serial stdio \
	-kernel "$HUSK_GUEST_KERNEL/bzImage" -initrd "$HUSK_ASSETS/initramfs.cpio.gz" \
	-append "console=ttyS0 reboot=t panic=-1 quiet husk.check=microvm-42" </dev/null 2>&1 | tr -d '\r')
echo "$out" | grep '^HUSK-TEST'
expect_line "$out" "HUSK-TEST: marker hello-from-guest"
expect_line "$out" "HUSK-TEST: cpus=2"
expect_line "$out" "HUSK-TEST: payload=$(cat "$HUSK_ASSETS/initramfs.md5")"
grep -q '^HUSK-TEST: cmdline=.*husk.check=microvm-42' <<<"$out" || fail "command line did not arrive"
