# containerd-shim-husk-v2 pods: containers with the same sandbox id
# annotation share one shim and one VM, each with its own root file system
# (by default its snapshot mounted in the pod's virtio-fs share; with
# "rootfs": "block" its disks in the VM's disk slots, reused after a
# Delete, and a clear error when they are all taken), its own
# pid namespace and its own writable layer; exit statuses pass through;
# nothing is left.
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
# in_share POD ID - container ID's root is mounted in POD's share
in_share() { grep -q " /run/husk/share/$1/mounts/$2-rootfs " /proc/mounts; }

# 1. the sandbox and a member: one shim, one VM
$T ctr run -d "${RT[@]}" "${SANDBOX[@]}" $IMG pod1 sleep 1001 || fail "pod1: run -d"
$T ctr run -d "${RT[@]}" "${MEMBER[@]}" $IMG ctr2 sleep 1002 || fail "ctr2: run -d"
ctr task ls
n=$(shims | wc -l)
echo "shim processes: $n"
[ "$n" = 1 ] || { pgrep -af containerd-shim-husk; fail "$n shims for one pod"; }
a1=$(cat /run/containerd/io.containerd.runtime.v2.task/default/pod1/address)
a2=$(cat /run/containerd/io.containerd.runtime.v2.task/default/ctr2/address)
[ "$a1" = "$a2" ] || fail "pod1 and ctr2 have different shims: $a1, $a2"
in_share pod1 pod1 || { grep husk /proc/mounts; fail "pod1: its root is not in the share"; }
in_share pod1 ctr2 || fail "ctr2: its root is not in the share"
[ -z "$(slots pod1)$(slots ctr2)" ] || fail "disk slots taken: pod1 $(slots pod1), ctr2 $(slots ctr2)"
echo "pod1 and ctr2: roots in the pod's share, no disk slot"
# A pod whose first root is in the share boots with 2 disk slots, not 8
# (each empty disk is a probe at boot); "rootfs": "block" below has 8.
disks=$(ctr task exec --exec-id disks pod1 ls /sys/block | tr '\n' ' ')
[ "$disks" = "vda vdb " ] || fail "pod1's VM has disks '$disks', wanted 'vda vdb '"

# 2. pid namespaces: each sees its own init and its ps, nothing else
for c in pod1:1001:1002 ctr2:1002:1001; do
	IFS=: read -r id mine theirs <<<"$c"
	out=$($T ctr task exec --exec-id "ps-$id" "$id" ps -o pid,args 2>&1)
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

# 4. delete the member: its root leaves the share, the sandbox runs on
stop ctr2
in_share pod1 ctr2 && fail "ctr2: its root is still mounted after delete"
[ "$(shims | wc -l)" = 1 ] || fail "the shim did not outlive ctr2"
out=$($T ctr task exec --exec-id after pod1 cat /tmp/a-file 2>&1)
[ "$out" = from-pod1 ] || fail "pod1 after ctr2's delete: $out"
echo "ctr2 deleted, pod1 still answers"

# 5. a third container has a fresh writable layer; a foreground run's
#    exit status passes through
out=$($T ctr run --rm "${RT[@]}" "${MEMBER[@]}" $IMG ctr3 \
	sh -c 'ls /tmp; echo ctr3-ran; exit 4' 2>&1)
rc=$?
echo "ctr3: $out (status $rc)"
[ "$out" = ctr3-ran ] || fail "ctr3: output (a stale /tmp?)"
[ $rc = 4 ] || fail "ctr3: status $rc, wanted 4"
[ "$(shims | wc -l)" = 1 ] || fail "ctr3 did not run in the pod's shim"

# 6. a member that cannot start does not take the pod down with it
out=$($T ctr run --rm "${RT[@]}" "${MEMBER[@]}" $IMG ctr4 /no/such/binary 2>&1)
rc=$?
echo "ctr4: status $rc"
[ $rc != 0 ] || fail "ctr4: a missing binary ran"
ctr task rm -f ctr4 >/dev/null 2>&1; ctr container rm ctr4 >/dev/null 2>&1
out=$($T ctr task exec --exec-id after4 pod1 cat /tmp/a-file 2>&1)
[ "$out" = from-pod1 ] || fail "pod1 after ctr4's failure: $out"
[ "$(shims | wc -l)" = 1 ] || fail "the pod's shim is gone after ctr4's failure"

# 7. the sandbox: its exit status, then nothing left
stop pod1
if grep -q ' /run/husk/share' /proc/mounts; then fail "share mounts left after the pod"; fi

# 8. "rootfs": "block": two disk slots per container, 4 containers fill
#    the 8 slots, a fifth is refused clearly, a freed pair is reused
echo '{"rootfs": "block"}' >/tmp/husk-block.json
BRT=(--runtime io.containerd.husk.v2 --runtime-config-path /tmp/husk-block.json
     --annotation io.kubernetes.cri.sandbox-id=bpod)
for i in 1 2 3 4; do
	[ $i = 1 ] && kind=("${SANDBOX[@]}") || kind=("${MEMBER[@]}")
	$T ctr run -d "${BRT[@]}" "${kind[@]}" $IMG b$i sleep 200$i || fail "b$i: run -d"
	want="$(( 2 * i - 2 )) and $(( 2 * i - 1 ))"
	[ "$(slots b$i)" = "$want" ] || fail "b$i: slots '$(slots b$i)', wanted $want"
done
echo "b1..b4: slots $(slots b1), $(slots b2), $(slots b3), $(slots b4)"
disks=$(ctr task exec --exec-id disks b1 ls /sys/block | tr '\n' ' ')
[ "$disks" = "vda vdb vdc vdd vde vdf vdg vdh " ] || fail "bpod's VM has disks '$disks', wanted 8"
out=$($T ctr run --rm "${BRT[@]}" "${MEMBER[@]}" $IMG b5 true 2>&1)
rc=$?
echo "b5 (slots full, status $rc): $out"
ctr task rm -f b5 >/dev/null 2>&1; ctr container rm b5 >/dev/null 2>&1
[ $rc != 0 ] || fail "b5 ran with every slot taken"
grep -q 'all 8 disk slots of the VM are in use' <<<"$out" || fail "b5: no clear error"
# The shim answers RESOURCE_EXHAUSTED; containerd 1.6 passes codes it has
# no errdefs class for on as "unknown", so only the message reaches ctr.
stop b4
out=$(timeout -k 5 120 ctr run --rm "${BRT[@]}" "${MEMBER[@]}" $IMG b6 sh -c 'ls /tmp; echo b6-ran' 2>&1)
echo "b6: $out (slots $(slots b6))"
[ "$out" = b6-ran ] || fail "b6: output (a stale /tmp from the slot's last medium?)"
[ "$(slots b6)" = "6 and 7" ] || fail "b6 did not reuse the freed slots: $(slots b6)"
for i in 3 2 1; do stop b$i; done
kill $events_pid
check_nothing_left
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all pod checks passed"
