# shellcheck shell=bash
# rig_loop.sh - the rig runs of `make test` (tests/run-suites) and `make
# bench` (tests/bench/run): one command in the rig, started again in a new
# rig when level 1 went down during it, until it ends on its own.
#
# Level 1 (QEMU TCG emulating nested SVM) now and then freezes for good, or
# panics in its KVM code (seen: a recursive page fault in a husk vCPU
# thread ending in "stack guard page was hit"; both level-1 CPUs in soft
# lockup), with QEMU microvm and with husk as level 2, also on an idle
# machine. The console watchdog notices a freeze (no line from the command
# for two minutes: the command prints a heartbeat while it works), the
# console shows a panic. The command marks each item it starts with a line
# "=== PREFIX/NAME", so the item that was running is known; the caller
# decides what a down item means, and the command, started again with
# HUSK_RIG_RESUME=1, skips the items that already have an outcome.
#
# The caller sets before rig_loop:
#   rig_loop_who      the name its lines start with ("run-suites")
#   rig_loop_fault_rc an exit status by which the command says that it saw
#                     a rig fault itself (a level-2 guest dead without a
#                     message); empty: none
# and defines rig_loop_down ITEM N WHAT: WHAT ("level 1 froze", "the command
# went quiet with level 1 alive", "level 1 panicked", "a level-2 guest died
# without a message") happened during ITEM, the N-th time for that item;
# it returns non-zero to start no new rig.
# HUSK_RIG_RUN replaces tests/rig/run (a test of this loop with a fake rig).
# rig_loop leaves rc (the last rig's exit status), log (its console),
# attempt and secs for the caller.

# level1_panicked - the rig ended (125) right after level 1's panic.
level1_panicked() { [ "$rc" = 125 ] && tail -80 "$log" | grep -q 'Kernel panic - not syncing'; }

# rig_loop CONSOLE PREFIX FIRST TIMEOUT CMD... - runs CMD in the rig under
# a TIMEOUT of seconds, up to 8 times. Each run's console is also kept in
# build/CONSOLE-N.log (older ones are removed first); an incident before
# any "=== PREFIX/" line counts for item FIRST.
rig_loop() {
	local console=$1 prefix=$2 first=$3 timeout=$4
	shift 4
	downs=""	# one word per level-1 incident: the item it happened in
	rm -f "${top:?}"/build/"$console"-*.log
	for attempt in 1 2 3 4 5 6 7 8; do
		echo "${rig_loop_who:-rig}: starting the rig (level-1 Linux under QEMU TCG), run $attempt"
		start=$(date +%s)
		log=$top/build/$console-$attempt.log
		# The command prints a heartbeat while an item runs, so two
		# minutes of silence mean a frozen level 1, not a slow item.
		"${HUSK_RIG_RUN:-tests/rig/run}" --rw "$top/build" --timeout "$timeout" --watchdog 120 -- "$@" |
			tee "$log"
		rc=${PIPESTATUS[0]}
		secs=$(( $(date +%s) - start ))
		echo "${rig_loop_who:-rig}: rig finished in ${secs}s (exit $rc)"
		what="level 1 froze"
		# The rig's watchdog saw level 1's heartbeat (tests/rig/run).
		grep -q '^rig: .*level 1 is alive' "$log" && what="the command went quiet with level 1 alive"
		if level1_panicked; then
			what="level 1 panicked"
		elif [ -n "${rig_loop_fault_rc:-}" ] && [ "$rc" = "$rig_loop_fault_rc" ]; then
			what="a level-2 guest died without a message"
		elif [ "$rc" != 124 ]; then
			break
		fi
		current=$(grep -o "^=== $prefix/[^ ]*" "$log" | tail -1 | cut -c5-)
		current=${current:-$first}
		downs="$downs $current"
		n=$(tr ' ' '\n' <<<"$downs" | grep -cx "$current")
		rig_loop_down "$current" "$n" "$what" || break
		export HUSK_RIG_RESUME=1
	done
}
