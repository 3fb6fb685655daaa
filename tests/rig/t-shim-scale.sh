# containerd-shim-husk-v2 without per-pod limits: a pod of 10 containers
# in one shim and one VM, each with 2 read-write bind volumes of host
# folders (20 volumes, 20 entries in the sandbox's virtio-fs share beside
# the 10 root file systems, no disk slot used). Each container writes into
# both of its volumes and the host reads it; exec and exit statuses pass
# through; after the deletes no mount is left under /run/husk/share, the
# share is gone and the host folders keep what the containers wrote.
. "$(dirname "$0")/lib.sh"
shim_test_setup --log-level debug
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2 --annotation io.kubernetes.cri.sandbox-id=scale)
T="timeout -k 10 300"
N=10
VOLS=/tmp/scale-vols
trap 'shim_show_debug; kill ${events_pid:-} $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT

exit_status() {
	grep '/tasks/exit' /tmp/events.log | grep "\"id\":\"$1\"" |
		sed -n 's/.*"exit_status":\([0-9]*\).*/\1/p' | tail -1
}
ctr events >/tmp/events.log 2>&1 &
events_pid=$!

# 1. ten containers, the first the sandbox, each with two volumes
for i in $(seq "$N"); do
	id=s$i
	mkdir -p "$VOLS/$id-a" "$VOLS/$id-b"
	[ "$i" = 1 ] && kind=sandbox || kind=container
	$T ctr run -d "${RT[@]}" --annotation io.kubernetes.cri.container-type="$kind" \
		--mount "type=bind,src=$VOLS/$id-a,dst=/vol/a,options=rbind:rw" \
		--mount "type=bind,src=$VOLS/$id-b,dst=/vol/b,options=rbind:rw" \
		"$IMG" "$id" sleep "100$i" || fail "$id: run -d (container $i of $N)"
done
ctr task ls
n=$(pgrep -fc containerd-shim-husk-v2)
[ "$n" = 1 ] || fail "$n shims for one pod"
[ "$(ctr task ls | grep -c RUNNING)" = "$N" ] || fail "not all $N containers run"
grep -q 'disk slots' /tmp/containerd.log && fail "a container took disk slots"
echo "$N containers running in one shim, no disk slot taken"

# 2. each writes into its volumes (exec status = its number), the host reads it
for i in $(seq "$N"); do
	id=s$i
	out=$($T ctr task exec --exec-id w "$id" sh -c \
		"echo $id-a >/vol/a/f && echo $id-b >/vol/b/f && cat /vol/a/f /vol/b/f; exit $i" 2>&1)
	rc=$?
	[ "$rc" = "$i" ] || fail "$id: exec status $rc, wanted $i ($out)"
	[ "$(cat "$VOLS/$id-a/f" 2>&1)" = "$id-a" ] || fail "$id: host reads '$(cat "$VOLS/$id-a/f" 2>&1)' in volume a"
	[ "$(cat "$VOLS/$id-b/f" 2>&1)" = "$id-b" ] || fail "$id: host reads '$(cat "$VOLS/$id-b/f" 2>&1)' in volume b"
done
echo "20 volumes: every container's writes reached the host"
echo "share entries: $(find /run/husk/share/*/mounts -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
echo "mounts under /run/husk/share: $(grep -c ' /run/husk/share' /proc/mounts)"

# 3. one volume each is private to its container: s2 sees only its own
out=$($T ctr task exec --exec-id r s2 cat /vol/a/f 2>&1)
[ "$out" = s2-a ] || fail "s2 reads '$out' in its volume"

# 4. SIGKILL them all, members first: every exit status is 137
for i in $(seq "$N" -1 1); do
	id=s$i
	$T ctr task kill -s KILL "$id" || fail "$id: kill"
	for _ in $(seq 60); do
		ctr task ls | grep -q "^$id .*STOPPED" && break
		sleep 1
	done
	$T ctr task delete "$id"; rc=$?
	[ $rc = 0 ] || [ $rc = 137 ] || fail "$id: task delete: $rc"
	$T ctr container delete "$id" || fail "$id: container delete"
done
sleep 2
for i in $(seq "$N"); do
	st=$(exit_status "s$i")
	[ "$st" = 137 ] || fail "s$i: exit status '$st', wanted 137"
done
echo "all $N exit statuses 137"

# 5. nothing left: no mount under the share, no share; host data stays
kill "$events_pid"
check_nothing_left
left=$(grep ' /run/husk/share' /proc/mounts)
[ -z "$left" ] || fail "mounts left under /run/husk/share: $left"
left=$(ls -A /run/husk/share 2>/dev/null)
[ -z "$left" ] || fail "left in /run/husk/share: $left"
for i in $(seq "$N"); do
	[ "$(cat "$VOLS/s$i-a/f")" = "s$i-a" ] || fail "s$i: volume a lost its file"
done
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all scale checks passed"
