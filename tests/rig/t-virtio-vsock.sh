# virtio-vsock under husk, through its Firecracker-style Unix-socket face
# (--vsock cid=N,uds=PATH), and under QEMU microvm (vhost-vsock; level 1
# speaks AF_VSOCK) as the reference. Guest case "vsock" of
# tests/lib/mkinitramfs-tools:
# - host -> guest: a 4 MiB echo stream (CONNECT 5000) comes back intact
#   (checksum and count), then 32 concurrent 128 KiB echo streams;
# - guest -> host: a 4 MiB stream to port 5001 (for husk: a listener at
#   PATH_5001), checksums matched on both ends, then 32 concurrent echo
#   streams to port 5002, each checked by the guest.
# Every stream ends with a half-close each way (vsock SHUTDOWN).
# Connections to a port nobody listens on are refused promptly both ways.
# Slow readers: 16 MiB host -> guest and 4 MiB guest -> host where the
# reader starts 3 s late arrive intact (backpressure, nothing dropped).
. "$(dirname "$0")/virtio-lib.sh"
virtio_setup
MiB=1048576
bytes=$((4 * MiB)) slow=$((16 * MiB)) small=$((128 * 1024)) conns=32 cid=42 seed_in=21 seed_out=22
work=$(mktemp -d /tmp/virtio-vsock.XXXXXX)

vsock_case() {
	local vmm=$1 log=$work/$1 uds=$work/$1.vsock to_guest l1 l2 l3 p1 p2 p3
	if [ "$vmm" = husk ]; then
		husk_require --vsock
		to_guest=hvsock:$uds:5000 l1=unix:${uds}_5001 l2=unix:${uds}_5002 l3=unix:${uds}_5005
	else
		to_guest=vsock:$cid:5000 l1=vsock:5001 l2=vsock:5002 l3=vsock:5005
	fi
	"$hs" serve "$l1" sink >"$work/$vmm-l1" 2>&1 &
	p1=$!
	"$hs" serve "$l2" echo -c $conns -q >"$work/$vmm-l2" 2>&1 &
	p2=$!
	"$hs" serve "$l3" sink -d 3 >"$work/$vmm-l3" 2>&1 &
	p3=$!
	{ wait_line "$work/$vmm-l1" listening 10 && wait_line "$work/$vmm-l2" listening 10 &&
		wait_line "$work/$vmm-l3" listening 10; } ||
		fail "host listeners did not start: $(cat "$work/$vmm-l1" "$work/$vmm-l2" "$work/$vmm-l3")"
	vm_vsock="cid=$cid,uds=$uds"
	vm_args="husk.test=vsock husk.bytes=$bytes husk.seed=$seed_out husk.conns=$conns husk.small=$small"
	vm_start "$vmm" "$log"
	if wait_line "$log" '^HUSK-TEST: vsock-ready' 120; then
		timeout 20 "$hs" client "${to_guest%:*}:5999" send -b 1 -t 10 >"$work/$vmm-c0" 2>&1
		echo "rc=$?" >>"$work/$vmm-c0"
		"$hs" client "$to_guest" echo -b $bytes -s $seed_in -r 20 >"$work/$vmm-c1" 2>&1
		"$hs" client "$to_guest" echo -b $small -c $conns -q -r 20 >"$work/$vmm-c2" 2>&1
		wait_line "$log" '^HUSK-TEST: vsock-slow-ready' 120 &&
			"$hs" client "${to_guest%:*}:5004" send -b $slow -s $seed_in -r 20 >"$work/$vmm-c3" 2>&1
	else
		echo "the guest never said vsock-ready"
	fi
	vm_wait
	vm_check_end "$vmm" "$log" $?
	for p in $p1 $p2 $p3; do timeout 30 tail --pid="$p" -f /dev/null; kill "$p" 2>/dev/null; done
	grep '^HUSK-TEST' "$log.txt" | head -40
	for f in c0 c1 c2 c3 l1 l2 l3; do sed "s/^/host $f: /" "$work/$vmm-$f"; done
	check "host->guest: unlistened port 5999" refused "$(refused "$work/$vmm-c0")"
	check "host->guest echo: failed streams" 0 "$(hs_field "$work/$vmm-c1" failed)"
	check "host->guest echo: bytes back" $bytes "$(hs_field "$work/$vmm-c1" rx conn=0)"
	check "host->guest echo: checksum back" "$(hs_field "$work/$vmm-c1" txsum conn=0)" \
		"$(hs_field "$work/$vmm-c1" rxsum conn=0)"
	check "host->guest x$conns echo: failed streams" 0 "$(hs_field "$work/$vmm-c2" failed)"
	check "host->guest x$conns echo: bytes back" $((conns * small)) "$(hs_field "$work/$vmm-c2" rx)"
	check "guest echo server: streams" "rc=0 conns=$((conns + 1)) failed=0" \
		"$(field "$log" "vsock-in rc=" rc | sed 's/^/rc=/') $(field "$log" "vsock-in rc=" conns |
		sed 's/^/conns=/') $(field "$log" "vsock-in rc=" failed | sed 's/^/failed=/')"
	check "guest->host: bytes" $bytes "$(hs_field "$work/$vmm-l1" rx conn=0)"
	check "guest->host: checksum" "$(field "$log" "vsock-out husk-stream: conn=0" txsum)" \
		"$(hs_field "$work/$vmm-l1" rxsum conn=0)"
	check "guest->host: sender" 0 "$(field "$log" "vsock-out rc=" rc)"
	check "guest->host x$conns echo: guest" "0 0" \
		"$(field "$log" "vsock-many rc=" rc) $(field "$log" "vsock-many husk-stream: total" failed)"
	check "guest->host x$conns echo: host" "$conns 0" \
		"$(hs_field "$work/$vmm-l2" conns) $(hs_field "$work/$vmm-l2" failed)"
	grep '^HUSK-TEST: vsock-refused' "$log.txt" | sed 's/^HUSK-TEST: vsock-refused //' >"$work/$vmm-g0"
	check "guest->host: unlistened port 5998" refused "$(refused "$work/$vmm-g0")"
	check "host->slow guest: bytes" $slow "$(field "$log" vsock-slow-in rx)"
	check "host->slow guest: checksum" "$(hs_field "$work/$vmm-c3" txsum conn=0)" \
		"$(field "$log" vsock-slow-in rxsum)"
	check "guest->slow host: bytes" $bytes "$(hs_field "$work/$vmm-l3" rx conn=0)"
	check "guest->slow host: checksum" "$(field "$log" "vsock-slow-out husk-stream: conn=0" txsum)" \
		"$(hs_field "$work/$vmm-l3" rxsum conn=0)"
}

# refused OUT - "refused" if husk-stream's output OUT shows a connect error
# and status 1, "hang" if it was killed, else what happened.
refused() {
	if grep -q 'connect: Connection timed out' "$1"; then
		echo "timed out (no reset)"
	elif grep -q '^rc=1$' "$1" && grep -q 'connect: ' "$1"; then
		echo refused
	elif grep -q '^rc=124$' "$1"; then
		echo hang
	else
		tr '\n' ' ' <"$1"
	fi
}

per_vmm vsock_case
