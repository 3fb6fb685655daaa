# husk boots the project's guest kernel on the rig's KVM with the test
# initramfs, through both kernel formats and with 1 and 2 vCPUs: the marker
# line, the CPU count, the command line and the initramfs payload arrive
# intact, and the guest's reboot (reboot=k, i8042 reset) ends husk with
# status 0. The same boot with the ASan/UBSan build reports no errors.
. "$(dirname "$0")/lib.sh"
md5=$(cat "$HUSK_ASSETS/initramfs.md5")

boot() {	# boot HUSK_BINARY KERNEL CPUS TAG
	local out rc log=/tmp/husk-boot-$4.log
	timeout -k 10 300 "$1" run --kernel "$2" --initrd "$HUSK_ASSETS/initramfs.cpio.gz" \
		--mem 256 --cpus "$3" --console stdio \
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd husk.check=$4" </dev/null >"$log" 2>&1
	rc=$?
	out=$(tr -d '\r' <"$log")
	echo "$out" | grep -E '^(HUSK-TEST|husk|==[0-9]+==|.*runtime error)' | head -20
	[ $rc = 0 ] || fail "$4: husk exited $rc"
	expect_line "$out" "HUSK-TEST: marker hello-from-guest"
	expect_line "$out" "HUSK-TEST: cpus=$3"
	expect_line "$out" "HUSK-TEST: payload=$md5"
	grep -q "^HUSK-TEST: cmdline=.*husk.check=$4\$" <<<"$out" || fail "$4: command line did not arrive"
	! grep -qE 'ERROR: (Address|Undefined|Leak)Sanitizer|runtime error:' <<<"$out" || fail "$4: sanitizer report"
	echo "--- $4 ok"
}

boot "$top/build/husk" "$HUSK_GUEST_KERNEL/vmlinux" 1 vmlinux-1cpu
boot "$top/build/husk" "$HUSK_GUEST_KERNEL/bzImage" 2 bzimage-2cpu
boot "$top/build/husk" "$HUSK_GUEST_KERNEL/vmlinux" 2 vmlinux-2cpu
if [ -x "$top/build-asan/husk" ]; then
	boot "$top/build-asan/husk" "$HUSK_GUEST_KERNEL/bzImage" 2 asan-bzimage-2cpu
else
	fail "build-asan/husk missing (make test builds it)"
fi
