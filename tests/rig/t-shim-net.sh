# containerd-shim-husk-v2 networking: a container started with a network
# namespace (as CNI leaves it: a veth end with IPv4 and IPv6 addresses and
# default routes, plus a second veth) gets each link's MAC, addresses and
# MTU on its eth0/eth1, the routes, hosts and resolv.conf, and reaches the
# host ends through the taps + tc mirred redirection the shim sets up (and
# the host reaches a server in it); without a namespace, or with one that
# has only loopback, it has loopback only; --net-host is a clear error;
# delete, also after a killed shim, leaves no tap and no ingress qdisc.
. "$(dirname "$0")/lib.sh"
command -v ip >/dev/null || cannot_run "no ip(8) (iproute2)"
shim_test_setup
RT=(--runtime io.containerd.husk.v2)
T="timeout -k 10 300"
NS=husknet
# The namespaces go however the test ends (their veth pairs with them):
# the suite reruns a test that a rig fault failed, in the same level 1.
trap 'shim_show_debug; ip netns del $NS 2>/dev/null; ip netns del ${NS}-empty 2>/dev/null; kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT

# What a CNI bridge/ptp plugin leaves: veth pair, container end in the
# netns as eth0 with an address and a default route via the host end.
ip netns del $NS 2>/dev/null # one left by an attempt whose trap did not run
ip netns add $NS || fail "ip netns add"
netns_link $NS hnet0 eth0 10.77.0 mtu 1400 address 02:77:00:00:00:02
ip -n $NS route add default via 10.77.0.1 || fail "netns route"
ip addr add fd00:77::1/64 dev hnet0 nodad || fail "host end IPv6"
ip -n $NS addr add fd00:77::2/64 dev eth0 nodad || fail "netns IPv6 address"
ip -n $NS -6 route add default via fd00:77::1 || fail "netns IPv6 route"
# A second link (Multus-style): the guest's eth1.
netns_link $NS hnet1 net1 10.78.0 address 02:78:00:00:00:02
left_behind() {	# a tap or an ingress qdisc in the netns
	ip -n $NS -o link | grep -o 'tap[0-9]*_husk'
	for d in eth0 net1; do tc -n $NS qdisc show dev $d | grep ingress; done
}

# 1. the container's eth0: the veth end's MAC, address, MTU; ping the host
# end. hosts and resolv.conf bound in from host files, as CRI does.
printf '# test\nnameserver 10.77.0.53\nsearch husk.test\n' >/tmp/husknet-resolv
printf '127.0.0.1\tlocalhost\n10.77.0.1\thostend\n' >/tmp/husknet-hosts
out=$($T ctr run --rm "${RT[@]}" --with-ns network:/var/run/netns/$NS \
	--mount type=bind,src=/tmp/husknet-resolv,dst=/etc/resolv.conf,options=rbind:ro \
	--mount type=bind,src=/tmp/husknet-hosts,dst=/etc/hosts,options=rbind:ro \
	husk.test/busybox:latest n1 \
	sh -c 'ip addr show eth0; ip addr show eth1; ip route; ip -6 route; cat /etc/resolv.conf /etc/hosts
		ping -c 1 -W 10 10.77.0.1 && ping -c 1 -W 10 10.78.0.1' 2>&1)
rc=$?
echo "n1 (status $rc):"; echo "$out"
[ $rc = 0 ] || fail "n1: status $rc, wanted 0 (ping of the host end)"
echo "$out" | grep -q 'inet 10.77.0.2/24' || fail "n1: no 10.77.0.2/24 on eth0"
echo "$out" | grep -q 'inet6 fd00:77::2/64' || fail "n1: no fd00:77::2/64 on eth0"
echo "$out" | grep -q 'default via fd00:77::1' || fail "n1: no IPv6 default route"
echo "$out" | grep -q 'link/ether 02:77:00:00:00:02' || fail "n1: eth0 has not the veth end's MAC"
echo "$out" | grep -q 'mtu 1400' || fail "n1: eth0 has not MTU 1400"
echo "$out" | grep -q 'default via 10.77.0.1' || fail "n1: no default route via 10.77.0.1"
[ "$(echo "$out" | grep -c '1 packets received')" = 2 ] || fail "n1: no ping reply on both links"
echo "$out" | grep -q 'inet 10.78.0.2/24' || fail "n1: no 10.78.0.2/24 on eth1"
echo "$out" | grep -q 'link/ether 02:78:00:00:00:02' || fail "n1: eth1 has not net1's MAC"
echo "$out" | grep -q '^nameserver 10.77.0.53' || fail "n1: resolv.conf not carried over"
echo "$out" | grep -q '^search husk.test' || fail "n1: resolv.conf search not carried over"
echo "$out" | grep -q 'hostend' || fail "n1: hosts not carried over"

# 2. after delete: no tap, no ingress qdisc on the veth ends
sleep 1
echo "qdiscs on eth0 after delete: $(tc -n $NS qdisc show dev eth0)"
left=$(left_behind)
[ -z "$left" ] || fail "left in the netns after delete: $left"

# 3. the host can reach a server in the container (the other direction)
$T ctr run -d "${RT[@]}" --with-ns network:/var/run/netns/$NS husk.test/busybox:latest n3 \
	sh -c 'while :; do echo served-from-husk | nc -l -p 8080; done' || fail "n3: run -d"
got=
for _ in $(seq 60); do
	got=$(timeout 5 busybox nc 10.77.0.2 8080 </dev/null 2>/dev/null || true)
	[ -n "$got" ] && break
	sleep 1
done
echo "n3 from the host: $got"
ctr task kill -s KILL n3; sleep 3; $T ctr task delete n3; ctr container delete n3
[ "$got" = served-from-husk ] || fail "n3: the host did not reach the container's server"

# 4. no network namespace: loopback only (the guest kernel's sit0 tunnel
# is there too, down and without addresses)
out=$($T ctr run --rm "${RT[@]}" husk.test/busybox:latest n4 \
	sh -c 'ls /sys/class/net; ip -o addr; ip route' 2>&1)
echo "n4:"; echo "$out"
echo "$out" | grep -q '^eth' && fail "n4: a network device without a network namespace"
echo "$out" | grep 'inet' | grep -vq ' lo ' && fail "n4: an address on something but lo"
echo "$out" | grep -q 'default' && fail "n4: a default route"

# 4b. a network namespace with nothing but loopback: loopback only, as with runc
ip netns add ${NS}-empty || fail "ip netns add ${NS}-empty"
out=$($T ctr run --rm "${RT[@]}" --with-ns network:/var/run/netns/${NS}-empty \
	husk.test/busybox:latest n4b sh -c 'ls /sys/class/net; ip -o addr' 2>&1)
rc=$?
echo "n4b (status $rc):"; echo "$out"
[ $rc = 0 ] || fail "n4b: status $rc with an empty network namespace"
echo "$out" | grep -q '^eth' && fail "n4b: a network device from an empty namespace"
ip netns del ${NS}-empty

# 5. a killed shim: containerd's `delete` removes the ingress qdisc
$T ctr run -d "${RT[@]}" --with-ns network:/var/run/netns/$NS husk.test/busybox:latest n5 \
	sleep 1000 || fail "n5: run -d"
tc -n $NS qdisc show dev eth0 | grep -q ingress || fail "n5: no ingress qdisc while running"
shim=$(pgrep -f 'containerd-shim-husk-v2.*-id n5' | head -1)
[ -n "$shim" ] || fail "n5: no shim process"
kill -KILL "$shim"
for _ in $(seq 30); do
	tc -n $NS qdisc show dev eth0 | grep -q ingress || break
	sleep 1
done
echo "n5 after SIGKILL of shim $shim: $(tc -n $NS qdisc show dev eth0)"
left=$(left_behind)
[ -z "$left" ] || fail "n5: left in the netns after a killed shim: $left"
$T ctr task delete n5 >/dev/null 2>&1; $T ctr container delete n5 || fail "n5: container delete"

# 6. the host's network: a clear error
out=$($T ctr run --rm "${RT[@]}" --net-host husk.test/busybox:latest n6 true 2>&1)
rc=$?
echo "n6 (--net-host, status $rc): $out"
ctr container delete n6 >/dev/null 2>&1
[ $rc != 0 ] || fail "n6: --net-host ran"
echo "$out" | grep -q 'cannot use the host network' || fail "n6: no clear error for --net-host"

left=$(left_behind)
[ -z "$left" ] || fail "left in the netns at the end: $left"
ip netns del $NS
trap 'kill $ctrd_pid 2>/dev/null; wait $ctrd_pid 2>/dev/null' EXIT
echo "all shim network checks passed"
