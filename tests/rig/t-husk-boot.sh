# husk boots the project's guest kernel on the rig's KVM with the test
# initramfs, through both kernel formats and with 1 and 2 vCPUs: the marker
# line, the CPU count, the command line and the initramfs payload arrive
# intact, and the guest's reboot (reboot=k, i8042 reset) ends husk with
# status 0. The same boot with the ASan/UBSan build reports no errors.
# The first boot runs with --stats: its table has every boot phase, a
# nonzero total of exits and nonzero port I/O to COM1 (the console) and the
# boot marker port (the initramfs's bootmark). The 2-vCPU vmlinux boot runs
# with --profile: both vCPUs were sampled, and scripts/husk-profile names
# kernel functions from the vmlinux's symbol table among the busiest.
# One boot gives no --cmdline, --mem or --cpus: the guest gets exactly the
# default line `husk --help` shows, takes its options without calling any
# unknown, and its reboot ends husk with status 0.
. "$(dirname "$0")/lib.sh"
md5=$(cat "$HUSK_ASSETS/initramfs.md5")

boot() {	# boot HUSK_BINARY KERNEL CPUS TAG [HUSK_OPTIONS...]
	local out rc log=/tmp/husk-boot-$4.log
	timeout -k 10 300 "$1" run --kernel "$2" --initrd "$HUSK_ASSETS/initramfs.cpio.gz" \
		--mem 256 --cpus "$3" --console stdio "${@:5}" \
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd husk.check=$4" </dev/null >"$log" 2>&1
	rc=$?
	out=$(tr -d '\r' <"$log")
	echo "$out" | grep -E '^(HUSK-TEST|husk|==[0-9]+==|.*runtime error)' | head -40
	[ $rc = 0 ] || fail "$4: husk exited $rc"
	expect_line "$out" "HUSK-TEST: marker hello-from-guest"
	expect_line "$out" "HUSK-TEST: cpus=$3"
	expect_line "$out" "HUSK-TEST: payload=$md5"
	grep -q "^HUSK-TEST: cmdline=.*husk.check=$4\$" <<<"$out" || fail "$4: command line did not arrive"
	! grep -qE 'ERROR: (Address|Undefined|Leak)Sanitizer|runtime error:' <<<"$out" || fail "$4: sanitizer report"
	echo "--- $4 ok"
}

# check_stats LOG - the --stats table of a boot's log (stderr beside the console).
check_stats() {
	local out phase
	out=$(tr -d '\r' <"$1")
	for phase in loaded created started 'first entry' 'boot marker' exit; do
		grep -qE "^husk: stats:   $phase +[0-9]+\.[0-9]{3}\$" <<<"$out" ||
			fail "stats: no '$phase' phase in ms"
	done
	grep -qE '^husk: stats: exits to husk \(KVM_RUN returns\), 1 vCPU$' <<<"$out" ||
		fail "stats: no exits header for 1 vCPU"
	grep -qE '^husk: stats:   total +[1-9][0-9]*$' <<<"$out" || fail "stats: no nonzero total"
	grep -qE '^husk: stats:   pio +[1-9][0-9]*$' <<<"$out" || fail "stats: no nonzero pio count"
	grep -qE '^husk: stats:   com1 0x3f8-0x3ff +[1-9][0-9]*$' <<<"$out" ||
		fail "stats: no nonzero com1 (serial port) count"
	grep -qE '^husk: stats:   boot-marker 0x440 +[1-9][0-9]*$' <<<"$out" ||
		fail "stats: no nonzero boot-marker count"
	echo "--- stats ok"
}

boot "$top/build/husk" "$HUSK_GUEST_KERNEL/vmlinux" 1 vmlinux-1cpu --stats
check_stats /tmp/husk-boot-vmlinux-1cpu.log
# check_profile FILE - the samples of a 2-vCPU boot, through husk-profile.
check_profile() {
	local out fn line syms named=0
	out=$("$top/scripts/husk-profile" -n 5 "$HUSK_GUEST_KERNEL/vmlinux" "$1") ||
		fail "profile: husk-profile failed"
	while IFS= read -r line; do echo "    $line"; done <<<"$out"
	[[ "$out" =~ samples\ \(vCPU\ 0:\ [1-9][0-9]*,\ vCPU\ 1:\ [1-9][0-9]*\) ]] ||
		fail "profile: not both vCPUs sampled"
	# nm's whole output first: `nm | grep -q` fails under pipefail when grep quits early.
	syms=$(nm "$HUSK_GUEST_KERNEL/vmlinux") || fail "profile: nm failed"
	for fn in $(tail -n +3 <<<"$out" | awk '{ print $3 }'); do
		grep -q " [tTwW] $fn\$" <<<"$syms" && named=$((named + 1))
	done
	[ "$named" -gt 0 ] || fail "profile: no kernel function among the busiest"
	echo "--- profile ok ($named of the top rows are kernel functions)"
}

boot "$top/build/husk" "$HUSK_GUEST_KERNEL/bzImage" 2 bzimage-2cpu
boot "$top/build/husk" "$HUSK_GUEST_KERNEL/vmlinux" 2 vmlinux-2cpu --profile /tmp/husk-boot.prof
check_profile /tmp/husk-boot.prof
# boot_default - the CLI's defaults: no --cmdline, --mem or --cpus.
boot_default() {
	local line out rc log=/tmp/husk-boot-default.log
	line=$("$top/build/husk" --help | sed -n 's/.*(default: "\(.*\)").*/\1/p')
	[ -n "$line" ] || fail "default: husk --help shows no default command line"
	timeout -k 10 300 "$top/build/husk" run --kernel "$HUSK_GUEST_KERNEL/vmlinux" \
		--initrd "$HUSK_ASSETS/initramfs.cpio.gz" </dev/null >"$log" 2>&1
	rc=$?
	out=$(tr -d '\r' <"$log")
	[ $rc = 0 ] || fail "default: husk exited $rc:"$'\n'"$(tail -20 <<<"$out")"
	expect_line "$out" "HUSK-TEST: marker hello-from-guest"
	expect_line "$out" "HUSK-TEST: cpus=1"
	expect_line "$out" "HUSK-TEST: cmdline=$line"
	grep -qF "Kernel command line: $line" <<<"$out" || fail "default: no kernel log of the line (was it read?)"
	expect_known_options "$out" "noreplace-smp|i8042|reboot=|panic=" default
	echo "--- default ok: the guest booted with \"$line\""
}
boot_default

if [ -x "$top/build-asan/husk" ]; then
	boot "$top/build-asan/husk" "$HUSK_GUEST_KERNEL/bzImage" 2 asan-bzimage-2cpu
else
	fail "build-asan/husk missing (make test builds it)"
fi
