# containerd-shim-husk-v2 pods: containers with the same sandbox id
# annotation share one shim and one VM, each with its own root disks (in
# the VM's disk slots, reused after a Delete), its own pid namespace and
# its own writable layer; exit statuses pass through; nothing is left.
. "$(dirname "$0")/lib.sh"
# debug: the shim logs which disk slots each container got
shim_test_setup --log-level debug
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2 --annotation io.kubernetes.cri.sandbox-id=pod1)
SANDBOX=(--annotation io.kubernetes.cri.container-type=sandbox)
MEMBER=(--annotation io.kubernetes.cri.container-type=container)
T="timeout -k 10 300"
trap 'shim_show_debug; kill ${events_pid:-} $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT

shims() { pgrep -f containerd-shim-husk-v2; }
# exit_status ID - the exit status in ID's init's /tasks/exit event
exit_status() {
	grep '/tasks/exit' /tmp/events.log | grep "\"id\":\"$1\"" |
		sed -n 's/.*"exit_status":\([0-9]*\).*/\1/p' | tail -1
}
# stop ID - SIGKILL ID's init (TERM is ignored by a pid namespace's init
# without a handler), wait until STOPPED, delete task and container
stop() {
	$T ctr task kill -s KILL "$1" || fail "$1: kill"
	for _ in $(seq 60); do
		ctr task ls | grep -q "$1.*STOPPED" && break
		sleep 1
	done
	ctr task ls | grep -q "$1.*STOPPED" || fail "$1: not STOPPED after kill"
	$T ctr task delete "$1"
	rc=$?	# ctr may pass the exit status on
	[ $rc = 0 ] || [ $rc = 137 ] || fail "$1: task delete: $rc"
	$T ctr container delete "$1" || fail "$1: container delete"
	for _ in $(seq 10); do
		[ -n "$(exit_status "$1")" ] && break
		sleep 1
	done
	echo "$1: exit status $(exit_status "$1")"
	[ "$(exit_status "$1")" = 137 ] || fail "$1: exit status '$(exit_status "$1")', wanted 137"
}
ctr events >/tmp/events.log 2>&1 &
events_pid=$!
# slots ID - the disk slots the shim gave container ID ("0 and 1")
slots() {
	sed -n "s/.*container $1: disk slots \([-0-9]* and [-0-9]*\).*/\1/p" /tmp/containerd.log |
		tail -1
}

# 1. the sandbox and a member: one shim, one VM
$T ctr run -d "${RT[@]}" "${SANDBOX[@]}" $IMG pod1 sleep 1001 || fail "pod1: run -d"
$T ctr run -d "${RT[@]}" "${MEMBER[@]}" $IMG ctr2 sleep 1002 || fail "ctr2: run -d"
ctr task ls
n=$(shims | wc -l)
echo "shim processes: $n"
[ "$n" = 1 ] || { ps ax | grep '[c]ontainerd-shim-husk'; fail "$n shims for one pod"; }
a1=$(cat /run/containerd/io.containerd.runtime.v2.task/default/pod1/address)
a2=$(cat /run/containerd/io.containerd.runtime.v2.task/default/ctr2/address)
[ "$a1" = "$a2" ] || fail "pod1 and ctr2 have different shims: $a1, $a2"
echo "pod1 slots $(slots pod1), ctr2 slots $(slots ctr2)"
[ "$(slots pod1)" = "0 and 1" ] || fail "pod1: slots $(slots pod1)"
[ "$(slots ctr2)" = "2 and 3" ] || fail "ctr2: slots $(slots ctr2)"

# 2. pid namespaces: each sees its own init and its ps, nothing else
for c in pod1:1001:1002 ctr2:1002:1001; do
	IFS=: read -r id mine theirs <<<"$c"
	out=$($T ctr task exec --exec-id ps-$id $id ps -o pid,args 2>&1)
	echo "$id ps:"; echo "$out"
	grep -Eq '^ *1 sleep '"$mine"'$' <<<"$out" || fail "$id: its init is not pid 1"
	grep -q "sleep $theirs" <<<"$out" && fail "$id sees the other container's process"
	[ "$(grep -vc PID <<<"$out")" = 2 ] || fail "$id: more than its init and ps"
done

# 3. writable layers are separate; exec exit statuses pass through
out=$($T ctr task exec --exec-id w pod1 sh -c 'echo from-pod1 >/tmp/a-file; cat /tmp/a-file; exit 7' 2>&1)
rc=$?
echo "pod1 exec: $out (status $rc)"
[ "$out" = from-pod1 ] || fail "pod1: write"
[ $rc = 7 ] || fail "pod1: exec status $rc, wanted 7"
out=$($T ctr task exec --exec-id w ctr2 sh -c 'echo from-ctr2 >/tmp/b-file; ls /tmp; exit 9' 2>&1)
rc=$?
echo "ctr2 exec: $out (status $rc)"
[ "$out" = b-file ] || fail "ctr2: sees other files in /tmp: $out"
[ $rc = 9 ] || fail "ctr2: exec status $rc, wanted 9"
out=$($T ctr task exec --exec-id r pod1 ls /tmp 2>&1)
[ "$out" = a-file ] || fail "pod1: /tmp holds '$out', wanted only a-file"

# 4. delete the member: its slots are freed, the sandbox runs on
stop ctr2
[ "$(shims | wc -l)" = 1 ] || fail "the shim did not outlive ctr2"
out=$($T ctr task exec --exec-id after pod1 cat /tmp/a-file 2>&1)
[ "$out" = from-pod1 ] || fail "pod1 after ctr2's delete: $out"
echo "ctr2 deleted, pod1 still answers"

# 5. a third container gets ctr2's slots, with a fresh writable layer;
#    a foreground run's exit status passes through
out=$($T ctr run --rm "${RT[@]}" "${MEMBER[@]}" $IMG ctr3 \
	sh -c 'ls /tmp; echo ctr3-ran; exit 4' 2>&1)
rc=$?
echo "ctr3: $out (status $rc, slots $(slots ctr3))"
[ "$out" = ctr3-ran ] || fail "ctr3: output (a stale /tmp from the slot's last medium?)"
[ $rc = 4 ] || fail "ctr3: status $rc, wanted 4"
[ "$(slots ctr3)" = "2 and 3" ] || fail "ctr3 did not reuse the freed slots: $(slots ctr3)"
[ "$(shims | wc -l)" = 1 ] || fail "ctr3 did not run in the pod's shim"

# 6. a member that cannot start does not take the pod down with it
out=$($T ctr run --rm "${RT[@]}" "${MEMBER[@]}" $IMG ctr4 /no/such/binary 2>&1)
rc=$?
echo "ctr4: status $rc, slots $(slots ctr4)"
[ $rc != 0 ] || fail "ctr4: a missing binary ran"
ctr task rm -f ctr4 >/dev/null 2>&1; ctr container rm ctr4 >/dev/null 2>&1
out=$($T ctr task exec --exec-id after4 pod1 cat /tmp/a-file 2>&1)
[ "$out" = from-pod1 ] || fail "pod1 after ctr4's failure: $out"
[ "$(shims | wc -l)" = 1 ] || fail "the pod's shim is gone after ctr4's failure"

# 7. the sandbox: its exit status, then nothing left
stop pod1
kill $events_pid
check_nothing_left
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all pod checks passed"
