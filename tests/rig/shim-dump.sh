# shellcheck shell=bash
# rig/shim-dump.sh - sourced by rig/suite and rig/lib.sh: make husk shims
# dump what they are waiting on (SIGUSR1: ttrpc requests, agent requests,
# vCPU states, husk-init's stdio relays; README, "Diagnosing a stuck call")
# and show the dump.
#
# A shim's log reaches containerd's (the tests' /tmp/containerd.log) or
# $HUSK_SHIM_LOG when no containerd runs it.

# shim_daemon_pids [ID] - the long-running shims (of task/sandbox ID):
# not the short `start` and `delete` processes, which SIGUSR1 would end.
shim_daemon_pids() {
	local pid args
	for pid in $(pgrep -f '^containerd-shim-husk-v2 '); do
		args=" $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
		case "$args" in *" start "|*" delete "|" ") continue ;; esac
		[ -z "${1:-}" ] || [[ "$args" == *" -id $1 "* ]] || continue
		echo "$pid"
	done
}

# shim_dump_logs - the files shims log into here.
shim_dump_logs() {
	local f
	for f in /tmp/containerd.log "${HUSK_SHIM_LOG:-}"; do
		[ -n "$f" ] && [ -f "$f" ] && echo "$f"
	done
}

# shim_dump_count LOG FROM PATTERN - dump lines matching PATTERN in LOG
# after its line FROM.
shim_dump_count() {
	tail -n +"$(($2 + 1))" "$1" | grep -Ec "msg=\"dump: $3"
}

# shim_dump [ID] - SIGUSR1 to the shims (of ID), then, once each wrote its
# "dump: end" line and each husk-init relay query it started ended (its
# answer comes later, from the guest; up to 10 s in all), the dump lines
# they added to their logs. Prints nothing and returns 1 when no shim runs.
shim_dump() {
	local pids logs lines=() ends asked answered i pid f n=0
	pids=$(shim_daemon_pids "${1:-}")
	[ -n "$pids" ] || return 1
	mapfile -t logs < <(shim_dump_logs)
	[ ${#logs[@]} -gt 0 ] || { echo "(no shim log: /tmp/containerd.log or \$HUSK_SHIM_LOG)"; return 0; }
	for f in "${logs[@]}"; do lines+=("$(wc -l <"$f")"); done
	for pid in $pids; do kill -USR1 "$pid" 2>/dev/null && n=$((n + 1)); done
	for _ in $(seq 50); do
		ends=0 asked=0 answered=0
		for i in "${!logs[@]}"; do
			ends=$((ends + $(shim_dump_count "${logs[i]}" "${lines[i]}" 'end"')))
			asked=$((asked + $(shim_dump_count "${logs[i]}" "${lines[i]}" 'husk-init relay: asked')))
			answered=$((answered + $(shim_dump_count "${logs[i]}" "${lines[i]}" 'husk-init relay: end"')))
		done
		[ "$ends" -ge "$n" ] && [ "$answered" -ge "$asked" ] && break
		sleep 0.2
	done
	for i in "${!logs[@]}"; do
		tail -n +"$((lines[i] + 1))" "${logs[i]}" | grep 'msg="dump: '
	done
	return 0
}
