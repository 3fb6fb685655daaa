# shellcheck shell=bash
# rig/lib.sh - helpers for the rig test scripts (tests/rig/t-*.sh).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${HUSK_ASSETS:=$top/build/rig-assets}"
: "${HUSK_GUEST_KERNEL:=$("$top/scripts/guest-kernel" --print-path)}"

fail() { echo "FAIL: $*"; exit 1; }
# shim_dump [ID]: what husk shims wait on (SIGUSR1), from their log.
. "$top/tests/rig/shim-dump.sh"

# The suite's time limit (rig/suite runs each test under timeout, which
# sends TERM to the test's whole process group): say so, and let the test
# show what it saw (its on_timeout function, if it has one) before its
# EXIT trap cleans up.
on_time_limit() {
	echo "FAIL: the time limit of this test ran out"
	if declare -F on_timeout >/dev/null; then on_timeout; fi
	exit 124
}
trap on_time_limit TERM
cannot_run() { echo "$*"; exit 77; }

# netns_link NS HOST_IF NS_IF NET [OPTION...] - what a CNI plugin leaves: a
# veth pair, HOST_IF on the host with NET.1/24 and NS_IF in netns NS with
# NET.2/24, both up; OPTIONs go to `ip link set` of NS_IF (mtu 1400,
# address MAC). Any error fails the test.
netns_link() {
	local ns=$1 hif=$2 nif=$3 net=$4
	shift 4
	ip link add "$hif" type veth peer name "$nif" netns "$ns" || fail "veth $hif/$nif"
	{ ip addr add "$net.1/24" dev "$hif" && ip link set "$hif" up; } || fail "host end $hif"
	ip -n "$ns" link set "$nif" "$@" up || fail "$nif in $ns"
	ip -n "$ns" addr add "$net.2/24" dev "$nif" || fail "$net.2/24 on $nif in $ns"
}

# expect_line OUTPUT LINE - OUTPUT has LINE as one whole line.
expect_line() {
	grep -Fxq -- "$2" <<<"$1" || fail "expected line '$2' in output:"$'\n'"$1"
}

# expect_known_options OUT REGEX WHAT - a guest kernel's log OUT has no
# "Unknown kernel command line parameters" line naming an option that
# matches REGEX. No pipe between the greps: under pipefail an early exit
# of `grep -q` could turn a match into a pass.
expect_known_options() {
	local unknown
	unknown=$(grep "Unknown kernel command line parameters" <<<"$1" || true)
	! grep -qE -- "$2" <<<"$unknown" || fail "$3: the guest kernel did not know an option: $unknown"
}

# start_containerd [ARGS] - a private containerd for this test (ARGS go
# to containerd, e.g. --log-level debug); stopped on exit.
start_containerd() {
	containerd "$@" >/tmp/containerd.log 2>&1 &
	ctrd_pid=$!
	trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
	for _ in $(seq 120); do
		ctr version >/dev/null 2>&1 && return 0
		kill -0 $ctrd_pid 2>/dev/null || { cat /tmp/containerd.log; fail "containerd exited"; }
		sleep 0.5
	done
	cat /tmp/containerd.log; fail "containerd did not answer within 60s"
}

# shim_test_setup [CONTAINERD ARGS...] - a shim test's start: husk's
# binaries and guest kernel on the way, a private containerd, the busybox
# image imported as husk.test/busybox.
shim_test_setup() {
	[ -f "$HUSK_GUEST_KERNEL/vmlinux" ] || cannot_run "no guest kernel (make guest-kernel)"
	export PATH="$top/build:$PATH" HUSK_KERNEL="$HUSK_GUEST_KERNEL/vmlinux"
	export HUSK_INIT="$top/build/husk-init"
	start_containerd "$@"
	ctr image import --base-name husk.test/busybox "$HUSK_ASSETS/busybox-oci.tar" >/dev/null ||
		fail "image import"
}

# check_nothing_left - after the last delete: no shim process, no husk
# files in task bundles, no shim sockets, no mounts of tasks or images.
check_nothing_left() {
	local left _
	# containerd cleans up after a killed shim in the background (its
	# `delete` waits for the shim's virtiofsd to die): give it 20s.
	for _ in $(seq 20); do
		pgrep -f containerd-shim-husk-v2 >/dev/null ||
			[ -n "$(find /run/containerd/s -type s 2>/dev/null)" ] || break
		sleep 1
	done
	if pgrep -f containerd-shim-husk-v2 >/dev/null; then
		pgrep -af containerd-shim-husk; fail "shim processes left"
	fi
	left=$(find /run/containerd/io.containerd.runtime.v2.task \
		"${CONTAINERD_ROOT:-/var/lib/containerd}"/io.containerd.runtime.v2.task -name 'husk-*' 2>/dev/null)
	[ -z "$left" ] || fail "files left: $left"
	left=$(find /run/containerd/s -type s 2>/dev/null)
	if [ -n "$left" ]; then
		ls -la --time-style=full-iso /run/containerd/s
		ss -xlp | grep -F "$(basename "$left" | head -1)"
		fail "sockets left: $left"
	fi
	left=$(grep -E ' /run/containerd/io.containerd.runtime.v2.task| /var/lib/husk' /proc/mounts)
	[ -z "$left" ] || fail "mounts left: $left"
}

# phase_line KIND ID - the numbers of the shim's last "KIND phases of ID
# (ms): NAME MS, ...; total MS" line (KIND start or stop) in containerd's
# log, "" if none; the shim writes it at debug level (containerd run with
# --log-level debug). ARCHITECTURE.md lists the phases.
phase_line() {
	sed -n "s/.*msg=\"$1 phases of $2 (ms): \([^\"]*\)\".*/\1/p" /tmp/containerd.log | tail -1
}

# phase_pairs - a phase line's numbers (stdin) as "NAME MS" lines, the
# total last as "total MS".
phase_pairs() {
	sed 's/; total /, total /; s/; .*//' | tr ',' '\n' | sed 's/^ *//'
}

# check_phases KIND ID NAMES - the phase line of ID has exactly NAMES (in
# that order), each with a whole number of ms, and a total that is their sum.
check_phases() {
	local body names
	body=$(phase_line "$1" "$2")
	[ -n "$body" ] || fail "$2: no '$1 phases' line in the containerd log"
	echo "$2: $1 phases (ms): $body"
	names=$(phase_pairs <<<"$body" | awk '$1 != "total" { print $1 }' | paste -sd' ')
	[ "$names" = "$3" ] || fail "$2: $1 phases '$names', wanted '$3'"
	phase_pairs <<<"$body" | awk 'NF != 2 || $2 !~ /^[0-9]+$/ { bad = 1 }
		$1 == "total" { total = $2; next } { sum += $2 }
		END { exit bad || total != sum }' ||
		fail "$2: $1 phases are not whole ms adding up to the total: $body"
}

# shim_show_debug - on failure: containerd's log (without debug lines) and
# each task's guest console.
shim_show_debug() {
	echo "--- containerd log"; grep -v 'level=debug' /tmp/containerd.log | tail -40
	echo "--- level 1: memory, /var/lib, last kernel lines"
	free -m; df -h /var/lib /run | tail -2; dmesg | tail -15
	for f in /run/containerd/io.containerd.runtime.v2.task/default/*/husk-console.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }
	done
}
