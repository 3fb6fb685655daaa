# shellcheck shell=bash
# bench/lib.sh - timing helpers for the benchmarks. Figures are printed,
# never asserted; compare rows of one run as ratios.

# launch_to_marker MARKER CMD... - run CMD (a VMM), print the milliseconds
# from launch until MARKER appears in its output, then "exit" ms when the
# process has ended, then the guest's own uptime in ms from a line
# "HUSK-TEST: uptime=SECONDS" (its /proc/uptime, which the test initramfs
# prints just before the marker): "<marker_ms> <exit_ms> <uptime_ms>"
# (marker_ms or uptime_ms "-" if never seen).
launch_to_marker() {
	local marker=$1; shift
	local t0 seen=- up=- line
	t0=$(date +%s%N)
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [ "$seen" = - ] && [[ "$line" == *"$marker"* ]]; then
			seen=$(( ($(date +%s%N) - t0) / 1000000 ))
		fi
		if [ "$up" = - ] && [[ "$line" =~ HUSK-TEST:\ uptime=([0-9]+\.[0-9]+)$ ]]; then
			up=$(awk -v s="${BASH_REMATCH[1]}" 'BEGIN { printf "%d", s * 1000 }')
		fi
	done < <("$@" </dev/null 2>&1)
	echo "$seen $(( ($(date +%s%N) - t0) / 1000000 )) $up"
}

# stats N1 N2 ... - "median min max" of integers ("-" entries ignored).
stats() {
	printf '%s\n' "$@" | grep -v '^-$' | sort -n | awk '
		{ v[NR] = $1 } END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
			print m, v[1], v[NR] }'
}
