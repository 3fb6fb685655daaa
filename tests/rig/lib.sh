# shellcheck shell=bash
# rig/lib.sh - helpers for the rig test scripts (tests/rig/t-*.sh).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${HUSK_ASSETS:=$top/build/rig-assets}"
: "${HUSK_GUEST_KERNEL:=$("$top/scripts/guest-kernel" --print-path)}"

fail() { echo "FAIL: $*"; exit 1; }
cannot_run() { echo "$*"; exit 77; }

# expect_line OUTPUT LINE - OUTPUT has LINE as one whole line.
expect_line() {
	grep -Fxq -- "$2" <<<"$1" || fail "expected line '$2' in output:"$'\n'"$1"
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
