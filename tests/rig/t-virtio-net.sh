# virtio-net under husk (and QEMU microvm as the reference), guest case
# "net" of tests/lib/mkinitramfs-tools. In a network namespace made here, a
# tap with 10.0.2.1/24 and MTU 1400; the VMM runs in that namespace and
# opens the tap by name (--net tap=NAME,mac=MAC,mtu=1400):
# - the guest's eth0 has the MAC and MTU given;
# - the guest (busybox ip) takes 10.0.2.2/24 and pings the host end;
# - the host pings the guest;
# - 8 MiB over TCP host -> guest and 8 MiB guest -> host, each with the
#   sender's and the receiver's FNV-1a checksum and byte count matching.
. "$(dirname "$0")/virtio-lib.sh"
virtio_setup
command -v ping >/dev/null || fail "ping (iputils-ping) missing in the rig"
MiB=1048576
bytes=$((8 * MiB)) seed_in=11 seed_out=12
mac=52:54:00:12:34:56
ns=husk-vnet-$$ tap=hvtap0
work=$(mktemp -d /tmp/virtio-net.XXXXXX)
trap 'ip netns del $ns 2>/dev/null' EXIT
nsx() { ip netns exec "$ns" "$@"; }

make_netns() {
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" || fail "ip netns add failed"
	nsx ip link set lo up
	nsx ip tuntap add "$tap" mode tap || fail "ip tuntap add failed"
	nsx ip link set "$tap" mtu 1400 up
	nsx ip addr add 10.0.2.1/24 dev "$tap"
}

net_case() {
	local vmm=$1 log=$work/$1 srv=$work/$1-srv cli=$work/$1-cli srv_pid prc
	[ "$vmm" = husk ] && husk_require --net
	make_netns
	nsx "$hs" serve tcp:10.0.2.1:5002 sink -t 60 >"$srv" 2>&1 &
	srv_pid=$!
	vm_netns=$ns
	vm_nets=("tap=$tap,mac=$mac,mtu=1400")
	vm_args="husk.test=net husk.ip=10.0.2.2/24 husk.peer=10.0.2.1 husk.bytes=$bytes husk.seed=$seed_out"
	vm_start "$vmm" "$log"
	if wait_line "$log" '^HUSK-TEST: net-ready' 120; then
		nsx ping -c 3 -W 5 10.0.2.2 >"$work/ping" 2>&1
		prc=$?
		nsx "$hs" client tcp:10.0.2.2:5001 send -b $bytes -s $seed_in -r 20 >"$cli" 2>&1
	else
		prc=timeout
		echo "the guest never said net-ready"
	fi
	vm_wait
	vm_check_end "$vmm" "$log" $?
	timeout 30 tail --pid=$srv_pid -f /dev/null; kill $srv_pid 2>/dev/null
	grep '^HUSK-TEST' "$log.txt"
	sed 's/^/host: /' "$work/ping" "$cli" "$srv"
	check "guest: eth0 mac" $mac "$(field "$log" "eth0 " mac)"
	check "guest: eth0 mtu" 1400 "$(field "$log" "eth0 " mtu)"
	check "guest: ping host" 0 "$(field "$log" ping-host rc)"
	check "host: ping guest" 0 "$prc"
	check "host->guest: bytes" $bytes "$(field "$log" "tcp-in husk-stream: conn=0" rx)"
	check "host->guest: checksum" "$(hs_field "$cli" txsum conn=0)" \
		"$(field "$log" "tcp-in husk-stream: conn=0" rxsum)"
	check "host->guest: sender" 0 "$(hs_field "$cli" failed)"
	check "guest->host: bytes" $bytes "$(hs_field "$srv" rx conn=0)"
	check "guest->host: checksum" "$(field "$log" "tcp-out husk-stream: conn=0" txsum)" \
		"$(hs_field "$srv" rxsum conn=0)"
	check "guest->host: sender" 0 "$(field "$log" "tcp-out rc=" rc)"
	ip netns del "$ns"
}

per_vmm net_case
