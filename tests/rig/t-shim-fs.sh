# containerd-shim-husk-v2 host file sharing: `ctr run --mount` of host
# folders and files reaches the container through the sandbox's virtio-fs
# share (virtiofsd per VM). Read-only binds refuse writes, read-write ones
# carry writes both ways while the container runs, a single file works, a
# symlink in a shared folder never reaches a host file outside it, a
# ConfigMap-style ..data swap shows up, two containers of a pod share a
# volume and each gets its own /etc/hosts; nothing is left after delete,
# also after the shim was killed with SIGKILL; a virtiofsd that dies under
# a running VM is logged and ends a sandbox whose roots are on the share.
. "$(dirname "$0")/lib.sh"
shim_test_setup --log-level debug
IMG=husk.test/busybox:latest
RT=(--runtime io.containerd.husk.v2)
T="timeout -k 10 300"
H=/tmp/husk-fs-host
# remove_all - after a failure: every task and container of this test
# goes, so that a rerun in the same rig (a rig fault) starts clean
remove_all() {
	local id
	for id in $(ctr task ls -q 2>/dev/null); do
		timeout 30 ctr task kill -s KILL "$id" >/dev/null 2>&1
		timeout 60 ctr task rm -f "$id" >/dev/null 2>&1
	done
	for id in $(ctr container ls -q 2>/dev/null); do
		timeout 30 ctr container rm "$id" >/dev/null 2>&1
	done
}
trap 'shim_show_debug; remove_all; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT

[ -x /usr/lib/qemu/virtiofsd ] || [ -x /usr/libexec/virtiofsd ] ||
	cannot_run "no virtiofsd (qemu-system-common) on this host"

# bind SRC DST OPTS - a ctr --mount argument
bind() { echo "type=bind,src=$1,dst=$2,options=$3"; }
# cx ID CMD... - run CMD in container ID (a fresh exec id each time)
n=0
cx() { n=$((n + 1)); $T ctr task exec --exec-id "x$n" "$1" sh -c "$2" 2>&1; }
# poll ID CMD WANT - CMD's output in ID becomes WANT within 10 s
poll() {
	local out
	for _ in $(seq 20); do
		out=$(cx "$1" "$2")
		[ "$out" = "$3" ] && return 0
		sleep 0.5
	done
	fail "$1: '$2' gave '$out', not '$3' within 10 s"
}
share_mounts() { grep -c ' /run/husk/share' /proc/self/mountinfo; }
# nothing_of_the_share - no virtiofsd, no share mount, no share folder
nothing_of_the_share() {
	sleep 1
	if pgrep -x virtiofsd >/dev/null; then
		pgrep -a -x virtiofsd; fail "$1: virtiofsd processes left"
	fi
	[ "$(share_mounts)" = 0 ] || { grep /run/husk/share /proc/self/mountinfo; fail "$1: share mounts left"; }
	[ -z "$(ls -A /run/husk/share 2>/dev/null)" ] || { ls -la /run/husk/share; fail "$1: share folders left"; }
}

rm -rf $H
mkdir -p $H/ro $H/rw $H/outside $H/links $H/cm/..2026_01 $H/vol
echo ro-content >$H/ro/file
echo single-file >$H/single.conf
echo TOP-SECRET-HOST >$H/outside/secret
ln -s $H/outside/secret $H/links/abs
ln -s ../outside/secret $H/links/rel
echo inside >$H/links/plain
echo v1 >$H/cm/..2026_01/key
ln -s ..2026_01 $H/cm/..data
ln -s ..data/key $H/cm/key
printf '127.0.0.1 localhost\n10.9.9.1 pod-a\n' >$H/hosts-a
printf '127.0.0.1 localhost\n10.9.9.2 pod-b\n' >$H/hosts-b

# 0. a bind of a host path that does not exist: Create fails naming it,
#    before any VM boots, and leaves nothing
out=$($T ctr run --rm "${RT[@]}" --mount "$(bind $H/no-such-dir /data rbind:ro)" $IMG f0 true 2>&1)
rc=$?
echo "f0: status $rc: $out"
[ $rc != 0 ] || fail "f0: a bind of a missing host path ran"
grep -q "bind source $H/no-such-dir: No such file or directory" <<<"$out" ||
	fail "f0: the error does not name the missing source"
ctr task rm -f f0 >/dev/null 2>&1; ctr container rm f0 >/dev/null 2>&1
nothing_of_the_share f0

# 1. one container with every kind of bind
$T ctr run -d "${RT[@]}" \
	--mount "$(bind $H/ro /data rbind:ro)" \
	--mount "$(bind $H/rw /srv/rw rbind:rw)" \
	--mount "$(bind $H/single.conf /etc/single.conf rbind:ro)" \
	--mount "$(bind $H/links /links rbind:ro)" \
	--mount "$(bind $H/cm /cm rbind:ro)" \
	$IMG f1 sleep 1000 || fail "f1: run -d"
echo "virtiofsd: $(pgrep -a -x virtiofsd)"
[ "$(pgrep -x virtiofsd | wc -l)" -ge 1 ] || fail "f1: no virtiofsd runs"
echo "share mounts on the host: $(share_mounts)"

out=$(cx f1 'cat /data/file')
echo "f1 ro: $out"
[ "$out" = ro-content ] || fail "f1: read of a read-only bind: $out"
out=$(cx f1 'echo x >/data/new && echo WRITTEN || echo REFUSED')
echo "f1 ro write: $out"
expect_line "$out" REFUSED
[ -e $H/ro/new ] && fail "f1: a write into a read-only bind reached the host"

out=$(cx f1 'echo from-guest >/srv/rw/out && cat /srv/rw/out')
[ "$out" = from-guest ] || fail "f1: write into the rw bind: $out"
[ "$(cat $H/rw/out 2>&1)" = from-guest ] || fail "f1: the container's write is not on the host: $(cat $H/rw/out 2>&1)"
echo from-host >$H/rw/in
poll f1 'cat /srv/rw/in 2>&1' from-host
echo "f1 rw: writes seen both ways"

out=$(cx f1 'cat /etc/single.conf')
[ "$out" = single-file ] || fail "f1: single file: $out"
echo "f1 single file: $out"

out=$(cx f1 'cat /links/plain; cat /links/abs; cat /links/rel; ls /run/husk/share')
echo "f1 symlinks: $out"
expect_line "$out" inside
grep -q TOP-SECRET-HOST <<<"$out" && fail "f1: a symlink reached a host file outside the shared folder"

poll f1 'cat /cm/key' v1
mkdir $H/cm/..2026_02 && echo v2 >$H/cm/..2026_02/key
ln -s ..2026_02 $H/cm/..data_tmp && mv -T $H/cm/..data_tmp $H/cm/..data
poll f1 'cat /cm/key' v2
echo "f1: the ..data swap showed up"

# virtiofsd dies under a running VM: the shim says so, and since f1's
# root is on the share (the default "rootfs": "virtio-fs"), the sandbox
# ends: the VM stops and the task exits instead of hanging. (Binds alone
# fail with ENOTCONN and the VM goes on: t-husk-fs checks that.)
vpid=$(pgrep -o -x virtiofsd)
kill -KILL "$vpid"
for _ in $(seq 60); do ctr task ls | grep -q 'f1.*STOPPED' && break; sleep 1; done
ctr task ls | grep -q 'f1.*STOPPED' || { ctr task ls; fail "f1: still running 60s after virtiofsd died"; }
grep -q "virtiofsd (pid $vpid) exited with status 137 while the VM runs" /tmp/containerd.log ||
	fail "f1: the shim did not log virtiofsd's death"
grep -q "container roots were on the share: stopping the VM" /tmp/containerd.log ||
	fail "f1: the shim did not say why the sandbox ended"
echo "f1: virtiofsd's death ended the sandbox, and the shim said why"

$T ctr task kill -s KILL f1
for _ in $(seq 60); do ctr task ls | grep -q 'f1.*STOPPED' && break; sleep 1; done
$T ctr task delete f1 >/dev/null
$T ctr container delete f1 || fail "f1: container delete"
nothing_of_the_share f1
{ [ "$(cat "$H/ro/file")" = ro-content ] && [ "$(cat "$H/rw/out")" = from-guest ]; } ||
	fail "host data changed by the share's cleanup"
echo "f1: deleted, nothing of its share left, host data intact"

# 2. a pod: two containers share a volume; each its own /etc/hosts
POD=(--annotation io.kubernetes.cri.sandbox-id=pod-fs)
$T ctr run -d "${RT[@]}" "${POD[@]}" --annotation io.kubernetes.cri.container-type=sandbox \
	--mount "$(bind $H/vol /vol rbind:rw)" --mount "$(bind $H/hosts-a /etc/hosts rbind:ro)" \
	$IMG pa sleep 1001 || fail "pa: run -d"
$T ctr run -d "${RT[@]}" "${POD[@]}" --annotation io.kubernetes.cri.container-type=container \
	--mount "$(bind $H/vol /vol rbind:rw)" --mount "$(bind $H/hosts-b /etc/hosts rbind:ro)" \
	$IMG pb sleep 1002 || fail "pb: run -d"
[ "$(pgrep -f containerd-shim-husk-v2 | wc -l)" = 1 ] || fail "pod: more than one shim"
[ "$(pgrep -x virtiofsd | wc -l)" -ge 1 ] || fail "pod: no virtiofsd"
ls /run/husk/share/pod-fs/mounts || fail "pod: no share /run/husk/share/pod-fs"
cx pa 'echo from-pa >/vol/shared-file' >/dev/null
poll pb 'cat /vol/shared-file 2>&1' from-pa
cx pb 'echo from-pb >>/vol/shared-file' >/dev/null
poll pa 'tail -1 /vol/shared-file 2>&1' from-pb
echo "pod: pa and pb share /vol"
out=$(cx pa 'grep pod- /etc/hosts'); [ "$out" = "10.9.9.1 pod-a" ] || fail "pa: /etc/hosts: $out"
out=$(cx pb 'grep pod- /etc/hosts'); [ "$out" = "10.9.9.2 pod-b" ] || fail "pb: /etc/hosts: $out"
echo "pod: each container has its own /etc/hosts"
# pb's delete takes its entries out; pa keeps its own
$T ctr task kill -s KILL pb
for _ in $(seq 60); do ctr task ls | grep -q 'pb.*STOPPED' && break; sleep 1; done
$T ctr task delete pb >/dev/null; $T ctr container delete pb
compgen -G '/run/husk/share/pod-fs/mounts/pb-*' >/dev/null && fail "pb: its share entries outlived it"
out=$(cx pa 'cat /vol/shared-file | wc -l'); [ "$out" = 2 ] || fail "pa after pb's delete: $out"
$T ctr task kill -s KILL pa
for _ in $(seq 60); do ctr task ls | grep -q 'pa.*STOPPED' && break; sleep 1; done
$T ctr task delete pa >/dev/null; $T ctr container delete pa
nothing_of_the_share pod
# The pod's end closes virtiofsd's connection: its exit is expected there.
grep 'exited with status 0 while the VM runs' /tmp/containerd.log &&
	fail "pod: virtiofsd's expected exit at the sandbox's end was logged as an error"
echo "pod: deleted, nothing left"

# 3. a shim killed with SIGKILL: `delete` kills virtiofsd, removes the share
$T ctr run -d "${RT[@]}" --mount "$(bind $H/ro /data rbind:ro)" $IMG k1 sleep 1000 ||
	fail "k1: run -d"
out=$(cx k1 'cat /data/file'); [ "$out" = ro-content ] || fail "k1: read: $out"
pkill -KILL -f 'containerd-shim-husk-v2.*-id k1' || fail "k1: no shim process to kill"
for _ in $(seq 60); do
	ctr task ls | grep -q 'k1.*RUNNING' || break
	sleep 1
done
ctr task ls | grep -q 'k1.*RUNNING' && fail "k1: still RUNNING after its shim was killed"
ctr task delete k1 >/dev/null 2>&1
$T ctr container delete k1 || fail "k1: container delete"
nothing_of_the_share k1
[ "$(cat $H/ro/file)" = ro-content ] || fail "k1: host data changed"
echo "k1: killed shim's share cleaned up"

check_nothing_left
rm -rf $H
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all shim fs checks passed"
