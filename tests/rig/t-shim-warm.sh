# The warm pool ("warm_vms" in the runtime config): `start` hands a new
# sandbox to a spare shim whose VM is already up, and starts another.
# Checked: the first run boots its own VM and leaves a spare; the next
# takes the spare (its start phases say "warm", output and exit status as
# always); one with a network namespace (a veth end, as CNI leaves it)
# takes the next spare, the tap handed to the spare's interface: its eth0
# has the veth end's MAC, MTU and address and pings the host end; one
# whose namespace has two links boots its own VM and says why; a sandbox
# the spare does not fit (another size) boots its own and leaves the
# spare be; a sandbox without a network on a spare sees the spare's
# interface down and without addresses; a spare-run sandbox whose shim is
# cleaned up by delete; an unused spare ends after "warm_vm_idle_seconds";
# a spare whose VM cannot boot keeps its log in /run/husk/warm-failed and
# is replaced, three in a row at most; SIGTERM ends the rest; nothing is
# left (shares, pool files, processes).
. "$(dirname "$0")/lib.sh"
shim_test_setup --log-level debug
POOL=/run/husk/warm
FAILED=/run/husk/warm-failed
T="timeout -k 10 300"
IMG=husk.test/busybox:latest
echo '{"warm_vms": 1}' >/tmp/husk-warm.json
echo '{"warm_vms": 1, "warm_vm_idle_seconds": 4}' >/tmp/husk-warm-idle.json
RT=(--runtime io.containerd.husk.v2 --runtime-config-path /tmp/husk-warm.json)

spare_logs() {
	local f
	for f in "$POOL"/*.d/shim.log "$FAILED"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
}
NS=huskwarm
trap 'shim_show_debug; spare_logs; ip netns del $NS 2>/dev/null; pkill -TERM -f "containerd-shim-husk-v2 .*warm$"; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT

# ready_spares - the pids of the spares waiting on a socket, one a line.
ready_spares() {
	find "$POOL" -maxdepth 1 -name '*.sock' 2>/dev/null | sed 's/.*-\([0-9]*\)\.sock$/\1/' | sort
}

# wait_spares N - until N spares wait (a boot in the rig takes seconds).
wait_spares() {
	for _ in $(seq 180); do
		[ "$(ready_spares | wc -l)" -eq "$1" ] && return 0
		sleep 1
	done
	ls -la "$POOL"; spare_logs; fail "$1 spare(s) not ready within 180s"
}

# 1. No spare yet: the first sandbox boots its own VM and starts one.
out=$($T ctr run --rm "${RT[@]}" "$IMG" w1 echo cold-boot 2>&1)
echo "w1: $out"
[ "$out" = cold-boot ] || fail "w1: unexpected output"
check_phases start w1 "spec share vm-create virtiofsd devices vm-start kernel marker agent \
net rootfs create stdio hooks containerd start"
wait_spares 1
spare1=$(ready_spares)
echo "spare ready: pid $spare1"

# 2. The next takes it: no boot in its start phases, the same behaviour.
$T ctr run --rm "${RT[@]}" "$IMG" w2 sh -c 'echo from-warm-vm; echo err >&2; exit 3' \
	>/tmp/w2.out 2>/tmp/w2.err
rc=$?
echo "w2: status $rc, stdout '$(cat /tmp/w2.out)', stderr '$(cat /tmp/w2.err)'"
[ "$rc" = 3 ] || fail "w2: status $rc, wanted 3"
if [ "$(cat /tmp/w2.out)" != from-warm-vm ] || [ "$(cat /tmp/w2.err)" != err ]; then
	fail "w2: output"
fi
check_phases start w2 "spec warm net rootfs create stdio hooks containerd start"
grep -q 'msg="container w2 takes the warm VM, up for [0-9]* ms' /tmp/containerd.log ||
	fail "w2: no 'takes the warm VM' line in the shim log"
[ -z "$(ls -d "$POOL"/*-"$spare1".* 2>/dev/null)" ] || fail "w2: the spare's pool files are left"
wait_spares 1
spare2=$(ready_spares)
[ "$spare2" != "$spare1" ] || fail "no new spare after w2 took pid $spare1"
echo "new spare: pid $spare2"

# 2n. A network namespace as CNI leaves it (a veth end with an address and
# a default route): the next spare takes it, its eth0 gets the veth end's
# MAC, MTU and address, and reaches the host end.
command -v ip >/dev/null || fail "no ip(8) (iproute2)"
ip netns add $NS || fail "ip netns add"
netns_link $NS hwarm0 eth0 10.79.0 mtu 1400 address 02:79:00:00:00:02
ip -n $NS route add default via 10.79.0.1 || fail "netns route"
out=$($T ctr run --rm "${RT[@]}" --with-ns network:/var/run/netns/$NS "$IMG" w2n \
	sh -c 'ip addr show eth0; ip route; ping -c 1 -W 10 10.79.0.1' 2>&1)
rc=$?
echo "w2n (status $rc):"; echo "$out"
grep -q 'msg="container w2n takes the warm VM' /tmp/containerd.log ||
	fail "w2n: a sandbox with a network namespace did not take the warm VM"
check_phases start w2n "spec warm net rootfs create stdio hooks containerd start"
[ $rc = 0 ] || fail "w2n: status $rc, wanted 0 (ping of the host end)"
echo "$out" | grep -q 'inet 10.79.0.2/24' || fail "w2n: no 10.79.0.2/24 on eth0"
echo "$out" | grep -q 'link/ether 02:79:00:00:00:02' || fail "w2n: eth0 has not the veth end's MAC"
echo "$out" | grep -q 'mtu 1400' || fail "w2n: eth0 has not MTU 1400"
echo "$out" | grep -q 'default via 10.79.0.1' || fail "w2n: no default route via 10.79.0.1"
echo "$out" | grep -q '1 packets received' || fail "w2n: no ping reply from the host end"
sleep 1
ip -n $NS -o link | grep -q 'tap[0-9]*_husk' && fail "w2n: tap left after delete"
tc -n $NS qdisc show dev eth0 | grep -q ingress && fail "w2n: ingress qdisc left after delete"
wait_spares 1
spare2=$(ready_spares)
echo "w2n: took a spare, reached the host end; new spare: pid $spare2"

# 2m. Two links in the namespace: the spare has one interface, so the
# sandbox boots its own VM (saying why) and gets both.
netns_link $NS hwarm1 net1 10.80.0
out=$($T ctr run --rm "${RT[@]}" --with-ns network:/var/run/netns/$NS "$IMG" w2m \
	sh -c 'ping -c 1 -W 10 10.79.0.1 && ping -c 1 -W 10 10.80.0.1' 2>&1)
rc=$?
echo "w2m (status $rc):"; echo "$out"
grep -q 'the warm VM is not used (its network namespace has more than one interface): booting one for w2m' \
	/tmp/containerd.log || fail "w2m: no misfit line for a two-link namespace"
[ $rc = 0 ] || fail "w2m: status $rc, wanted 0 (pings on both links)"
ip netns del $NS
ip link del hwarm0 2>/dev/null; ip link del hwarm1 2>/dev/null
wait_spares 1
spare2=$(ready_spares)
echo "w2m: booted its own VM, both links reached; spare: pid $spare2"

# 3. A sandbox of another size (a 1 GiB limit) boots its own; the spare waits on.
out=$($T ctr run --rm "${RT[@]}" --memory-limit 1073741824 "$IMG" w3 echo big 2>&1)
[ "$out" = big ] || fail "w3: unexpected output '$out'"
check_phases start w3 "spec share vm-create virtiofsd devices vm-start kernel marker agent \
net rootfs create stdio hooks containerd start"
[ "$(ready_spares)" = "$spare2" ] || fail "w3 changed the pool: $(ready_spares)"
echo "w3 (1 GiB limit): booted its own VM; spare $spare2 still waits"

# 4. A long-running one on the spare: exec, then its shim is SIGKILLed;
# delete cleans up what the spare made (share, virtiofsd, its folder).
$T ctr run -d "${RT[@]}" "$IMG" w4 sleep 600 >/dev/null || fail "w4: run -d"
out=$($T ctr task exec --exec-id e1 w4 cat /proc/1/cmdline | tr '\0' ' ')
[ "$out" = "sleep 600 " ] || fail "w4: exec saw '$out'"
# No network namespace: the spare's interface stays tapless, down, bare.
out=$($T ctr task exec --exec-id e2 w4 sh -c 'ip -o link show eth0; ip -o addr' 2>&1)
echo "w4 links: $out"
# (busybox ip prints no state: down is no UP among the flags)
echo "$out" | grep '^[0-9]*: eth0: <' | grep -qv 'UP' || fail "w4: the spare's eth0 is not there and down"
echo "$out" | grep 'inet' | grep -vq ' lo ' && fail "w4: an address on something but lo"
share=$(ls -d /run/husk/share/*-"$spare2" 2>/dev/null) || fail "w4: no share of spare $spare2"
kill -KILL "$spare2"
for _ in $(seq 60); do
	ctr task ls 2>/dev/null | grep -q '^w4 .*STOPPED' && break
	sleep 1
done
ctr task delete w4 >/dev/null 2>&1
ctr container delete w4 >/dev/null 2>&1 || fail "w4: container delete"
for _ in $(seq 20); do [ -e "$share" ] || break; sleep 1; done
[ ! -e "$share" ] || fail "w4: share $share left after delete"
[ -z "$(ls -d "$POOL"/*-"$spare2".* 2>/dev/null)" ] || fail "w4: pool files of $spare2 left"
echo "w4: exec right; shim SIGKILLed; delete removed its share and the spare's files"

# 5. An unused spare ends after warm_vm_idle_seconds (4 s here) and cleans up.
wait_spares 1
spare3=$(ready_spares)
out=$($T ctr run --rm --runtime io.containerd.husk.v2 --runtime-config-path /tmp/husk-warm-idle.json \
	"$IMG" w5 echo idle-config 2>&1)
[ "$out" = idle-config ] || fail "w5: unexpected output '$out'"
wait_spares 2
idle=$(comm -13 <(echo "$spare3") <(ready_spares) | head -1)
for _ in $(seq 60); do kill -0 "$idle" 2>/dev/null || break; sleep 1; done
kill -0 "$idle" 2>/dev/null && fail "w5: spare $idle still runs 60s after its 4s idle limit"
[ -z "$(ls -d "$POOL"/*-"$idle".* /run/husk/share/*-"$idle" 2>/dev/null)" ] ||
	fail "w5: files of the idle spare left"
echo "w5: the idle spare $idle ended by itself and left nothing"

[ "$(ready_spares)" = "$spare3" ] || fail "w5: the other pool's spare $spare3 is gone"

# 6. A spare whose VM cannot boot (no kernel file): it keeps its log in
# $FAILED and starts a replacement after a back-off; the third failure in
# a row starts none. The pool's other spare waits on.
echo '{"warm_vms": 1}' >/tmp/husk-warm-bad.json
HUSK_KERNEL=/nonexistent/vmlinux containerd-shim-husk-v2 -config /tmp/husk-warm-bad.json warm
echo "w6: the first failed spare exited with status $?"
for _ in $(seq 120); do
	pgrep -f 'husk-warm-bad.json warm$' >/dev/null || break
	sleep 1
done
pgrep -af 'husk-warm-bad.json warm$' && fail "w6: failed spares still run after 120s"
mapfile -t bad < <(grep -l 'kernel /nonexistent/vmlinux' "$FAILED"/*.log 2>/dev/null)
echo "w6: kept logs: ${bad[*]}"
[ ${#bad[@]} = 3 ] || { spare_logs; fail "w6: ${#bad[@]} kept logs of failed spares, wanted 3"; }
for f in "${bad[@]}"; do
	grep -q 'open /nonexistent/vmlinux: No such file or directory' "$f" ||
		{ cat "$f"; fail "w6: $f does not say why the VM did not boot"; }
	grep -q "this spare failed; its log is kept in $f" "$f" || fail "w6: $f lacks its 'kept' line"
done
[ "$(cat "${bad[@]}" | grep -c 'replacement started (spare [23] of 3 in a row)')" = 2 ] ||
	fail "w6: not two replacements"
[ "$(cat "${bad[@]}" | grep -c 'not replaced: 3 spares in a row failed')" = 1 ] ||
	fail "w6: no 'not replaced' after the third failure"
for f in "$POOL"/*; do
	[[ "$f" == *-"$spare3".* ]] || fail "w6: pool files left: $(ls "$POOL")"
done
[ "$(ready_spares)" = "$spare3" ] || fail "w6: the pool's spare $spare3 is gone"
grep -h 'not replaced' "${bad[@]}" | sed 's/^/w6: /'
rm -rf "$FAILED"

# 7. SIGTERM ends the last spare; nothing is left anywhere.
pkill -TERM -f 'containerd-shim-husk-v2 .*warm$'
for _ in $(seq 30); do pgrep -f 'containerd-shim-husk-v2 .*warm$' >/dev/null || break; sleep 1; done
pgrep -af 'containerd-shim-husk-v2 .*warm$' && fail "spares still run after SIGTERM"
left=$(ls -A "$POOL" 2>/dev/null; ls -A /run/husk/share 2>/dev/null)
[ -z "$left" ] || fail "left in the pool or shares: $left"
pgrep -x virtiofsd >/dev/null && fail "virtiofsd left"
check_nothing_left
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "t-shim-warm: passed"
