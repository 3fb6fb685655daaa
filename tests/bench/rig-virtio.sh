# bench/rig-virtio.sh - inside the rig: virtio device throughput of husk
# beside QEMU microvm, same guest kernel, tools initramfs (guest case
# "bench" of tests/lib/mkinitramfs-tools), 1 vCPU, 256 MiB; boots of the
# two alternate (qemu, husk, qemu, ...) and each figure is the median:
# - virtio-blk on a raw image file: sequential write and read with dd and
#   direct I/O (1 MiB blocks), then 4 KiB random reads and writes with
#   O_DIRECT pread/pwrite (husk-io randio), as measured in the guest;
# - virtio-net: one TCP stream guest -> host over a tap in a netns (QEMU:
#   userspace tap backend, no vhost-net), as measured by the host receiver;
# - virtio-vsock: one stream guest -> host (QEMU: vhost-vsock, level 1 reads
#   AF_VSOCK; husk: its Unix-socket face), as measured by the host receiver.
# Printed, never asserted; compare the columns as a ratio.
# Knobs: HUSK_BENCH_VIRTIO_RUNS (3 boots per VMM), HUSK_BENCH_BLK_MIB (64),
# HUSK_BENCH_SECS (3, each random figure), HUSK_BENCH_STREAM_MIB (32).
. "$(dirname "$0")/../rig/virtio-lib.sh"
set +e
runs=${HUSK_BENCH_VIRTIO_RUNS:-3} mib=${HUSK_BENCH_BLK_MIB:-64} secs=${HUSK_BENCH_SECS:-3} smib=${HUSK_BENCH_STREAM_MIB:-32}
cid=43 ns=husk-vbench-$$ tap=hvbtap0
work=$(mktemp -d /tmp/bench-virtio.XXXXXX)
trap 'ip netns del $ns 2>/dev/null' EXIT
nsx() { ip netns exec "$ns" "$@"; }
declare -A fig
figures=(seq-read seq-write rand-read rand-write tcp vsock)
declare -A label=(
	[seq-read]="blk seq read, dd 1M direct|MiB/s"
	[seq-write]="blk seq write, dd 1M direct|MiB/s"
	[rand-read]="blk 4K random read, O_DIRECT|IOPS"
	[rand-write]="blk 4K random write, O_DIRECT|IOPS"
	[tcp]="net TCP guest->host|MiB/s"
	[vsock]="vsock stream guest->host|MiB/s"
)

make_netns() {
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" && nsx ip link set lo up &&
		nsx ip tuntap add "$tap" mode tap && nsx ip link set "$tap" up &&
		nsx ip addr add 10.0.2.1/24 dev "$tap"
}

# bench_vmm VMM RUN - one boot; appends to fig[VMM,FIGURE] (nothing when
# not measured).
bench_vmm() {
	local vmm=$1 log=$work/$1-$2 uds=$work/$1.vsock lv pt pv f v line
	if [ "$vmm" = husk ] && ! "${HUSK_BIN:-$top/build}/husk" --help 2>&1 | grep -q -- '--vsock'; then
		echo "rig-virtio: build/husk has no device options yet: husk column left empty"
		return
	fi
	make_netns || { echo "rig-virtio: could not make the netns and tap"; return; }
	rm -f "$work/bench.img" && truncate -s $((mib * 2))M "$work/bench.img"
	lv=vsock:5003
	[ "$vmm" = husk ] && lv=unix:${uds}_5003
	nsx "$hs" serve tcp:10.0.2.1:5003 sink -n -q -t 120 >"$work/$vmm-tcp" 2>&1 &
	pt=$!
	"$hs" serve "$lv" sink -n -q -t 120 >"$work/$vmm-vsock" 2>&1 &
	pv=$!
	wait_line "$work/$vmm-vsock" listening 10
	vm_netns=$ns
	vm_disks=("$work/bench.img,serial=bench")
	vm_nets=("tap=$tap,mac=52:54:00:12:34:57")
	vm_vsock="cid=$cid,uds=$uds"
	vm_args="husk.test=bench husk.mib=$mib husk.secs=$secs husk.bytes=$((smib * 1048576))"
	vm_args="$vm_args husk.ip=10.0.2.2/24 husk.peer=10.0.2.1 husk.vsock=1"
	vm_start "$vmm" "$log"
	vm_wait
	echo "rig-virtio: $vmm run $2 exited $?"
	for p in $pt $pv; do timeout 10 tail --pid="$p" -f /dev/null; kill "$p" 2>/dev/null; done
	tr -d '\r' <"$log" >"$log.txt"
	grep -E 'rc=[1-9]|FAILED|rror:|missing' "$log.txt" | sed "s/^/rig-virtio: $vmm: /"
	line=
	for f in "${figures[@]}"; do
		case $f in
		seq-*) v=$(field "$log" "bench $f" mibps) ;;
		rand-*) v=$(field "$log" "bench $f husk-io:" iops) ;;
		*) v=$(hs_field "$work/$vmm-$f" mibps) ;;
		esac
		[ -n "$v" ] && fig[$vmm,$f]="${fig[$vmm,$f]:-} $v"
		line="$line $f=${v:--}"
	done
	echo "rig-virtio: $vmm run $2:$line"
	ip netns del "$ns"
}

# median V... - the median ("-" for none).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

virtio_setup
for run in $(seq "$runs"); do
	for vmm in qemu husk; do bench_vmm $vmm "$run"; done
done

echo
echo "virtio devices: guest kernel + tools initramfs, 1 vCPU, 256 MiB, median of $runs boots per VMM, in the rig"
echo "(nested KVM under QEMU TCG: absolute figures say nothing about hardware; read the ratio;"
echo " blk ${mib} MiB sequential, ${secs}s per random figure, ${smib} MiB per stream; higher is better)"
printf '%-36s %6s %13s %10s %10s\n' figure unit qemu-microvm husk husk/qemu
for f in "${figures[@]}"; do
	# shellcheck disable=SC2086
	q=$(median ${fig[qemu,$f]:-}) h=$(median ${fig[husk,$f]:-}) ratio=-
	[ "$q" != - ] && [ "$h" != - ] && ratio=$(awk -v a="$h" -v b="$q" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf '%-36s %6s %13s %10s %10s\n' "${label[$f]%|*}" "${label[$f]#*|}" "$q" "$h" "$ratio"
done
