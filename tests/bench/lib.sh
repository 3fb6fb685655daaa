# shellcheck shell=bash
# bench/lib.sh - timing helpers for the benchmarks. Figures are printed,
# never asserted; compare rows of one run as ratios.

# Clock readings come from bash's own $EPOCHREALTIME ("SECONDS.MICROS";
# the digits alone are microseconds), not from $(date +%s%N): a fork and
# exec of date took tens of ms under TCG, and the one after an event was
# counted into every figure, whichever VMM or runtime it measured.
# Usage without a subshell: t=${EPOCHREALTIME//[!0-9]/}.

# launch_to_marker MARKER CMD... - run CMD (a VMM), print the milliseconds
# from launch until MARKER appears in its output, then "exit" ms when the
# process has ended, then the guest's own uptime in ms from a line
# "HUSK-TEST: uptime=SECONDS" (its /proc/uptime, which the test initramfs
# prints just before the marker): "<marker_ms> <exit_ms> <uptime_ms>"
# (marker_ms or uptime_ms "-" if never seen).
launch_to_marker() {
	local marker=$1; shift
	local t0 seen=- up=- line
	t0=${EPOCHREALTIME//[!0-9]/}
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [ "$seen" = - ] && [[ "$line" == *"$marker"* ]]; then
			seen=$(( (${EPOCHREALTIME//[!0-9]/} - t0) / 1000 ))
		fi
		if [ "$up" = - ] && [[ "$line" =~ HUSK-TEST:\ uptime=([0-9]+\.[0-9]+)$ ]]; then
			up=$(awk -v s="${BASH_REMATCH[1]}" 'BEGIN { printf "%d", s * 1000 }')
		fi
	done < <("$@" </dev/null 2>&1)
	echo "$seen $(( (${EPOCHREALTIME//[!0-9]/} - t0) / 1000 )) $up"
}

# stats N1 N2 ... - "median min max" of integers ("-" entries ignored).
stats() {
	printf '%s\n' "$@" | grep -v '^-$' | sort -n | awk '
		{ v[NR] = $1 } END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
			print m, v[1], v[NR] }'
}

# bench_local_files - husk's binaries, the guest kernel and the test
# assets copied into level 1's own memory (/run is a tmpfs there);
# HUSK_BIN, HUSK_GUEST_KERNEL and HUSK_ASSETS exported to point at them. In
# the rig the build folder is a 9p mount without a page cache, read again
# over 9p on every exec and every kernel load, and the guest kernel cache
# is read over 9p the first time, while runc, containerd and QEMU come
# from the cached root: measured from there, husk paid for the rig's file
# sharing (the shim's vm-create phase was 150-420 ms), not for its own
# work. A user installs husk on a local disk. The boot table's initramfs
# (2.4 MiB, in build/rig-assets) was read over 9p by both VMMs on every
# boot: 150 ms more in husk's load (medians of 6 boots, 486 against 337 ms
# from the VM's creation to the kernel and initrd loaded).
bench_local_files() {
	local src d=/run/husk-bench
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build
	mkdir -p $d/bin $d/kernel $d/assets || return 1
	cp "$src/husk" "$src/containerd-shim-husk-v2" "$src/husk-init" $d/bin/ &&
		cp "$HUSK_GUEST_KERNEL/vmlinux" "$HUSK_GUEST_KERNEL/bzImage" $d/kernel/ &&
		cp "$HUSK_ASSETS"/* $d/assets/ || return 1
	export HUSK_BIN=$d/bin HUSK_GUEST_KERNEL=$d/kernel HUSK_ASSETS=$d/assets
}
