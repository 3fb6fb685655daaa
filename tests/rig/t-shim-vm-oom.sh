# containerd-shim-husk-v2 and a whole-VM OOM: a container without a memory
# limit (and without panic_on_oom) eats the VM's RAM; the guest's OOM
# killer ends it: STOPPED in `ctr task ls`, exit event 137, a /tasks/oom
# event, the reason in the shim's log, and delete leaves nothing.
# In the rig, level 1 froze during this OOM in 2 of 2 runs (2026-12-04),
# before rig/level1-keeper; with the keeper it passed 3 of 3 in one rig
# (2026-12-05), so `make test` runs it again. HUSK_RIG_VM_OOM=0 leaves it out.
. "$(dirname "$0")/lib.sh"
[ "${HUSK_RIG_VM_OOM:-1}" != 0 ] || cannot_run "whole-VM OOM: left out (HUSK_RIG_VM_OOM=0)"
shim_test_setup
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2)
T="timeout -k 10 300"
trap 'shim_show_debug; kill ${events_pid:-} $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
ctr events >/tmp/events.log 2>&1 &
events_pid=$!
exit_status() {
	grep '/tasks/exit' /tmp/events.log | grep "\"id\":\"$1\"" |
		sed -n 's/.*"exit_status":\([0-9]*\).*/\1/p' | tail -1
}
state() { ctr task ls | awk -v id="$1" '$1 == id { print $3 }'; }

$T ctr run -d "${RT[@]}" $IMG oom \
	awk 'BEGIN { s = "x"; for (k = 0; k < 20; k++) s = s s; for (i = 0; ; i++) a[i] = s i }' ||
	fail "oom: run -d"
for _ in $(seq 180); do
	[ "$(state oom)" = STOPPED ] && break
	sleep 1
done
ctr task ls | grep -E '^(TASK|oom )'
[ "$(state oom)" = STOPPED ] || fail "oom: '$(state oom)', wanted STOPPED"
for _ in $(seq 10); do
	[ -n "$(exit_status oom)" ] && break
	sleep 1
done
[ "$(exit_status oom)" = 137 ] || fail "oom: exit event status '$(exit_status oom)', wanted 137"
grep '/tasks/oom' /tmp/events.log | grep -q '"container_id":"oom"' || fail "oom: no /tasks/oom event"
line=$(grep -o 'container oom: out of memory[^"]*' /tmp/containerd.log | tail -1)
echo "oom: /tasks/oom event, exit 137, shim log: $line"
[ -n "$line" ] || fail "oom: the shim log does not say out of memory"
$T ctr task delete oom >/dev/null
$T ctr container delete oom || fail "oom: container delete"
kill $events_pid
check_nothing_left
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "whole-VM OOM checks passed"
