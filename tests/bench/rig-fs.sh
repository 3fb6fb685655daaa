# bench/rig-fs.sh - inside the rig: a host folder bound into a busybox
# container (`ctr run --mount type=bind,...,options=rbind:rw`), used by the
# same shell loop under runc (the folder itself) and under husk (the folder
# through the sandbox's virtio-fs share, served by virtiofsd):
# - sequential write: dd 1 MiB blocks of zeros, then fsync (conv=fsync);
# - sequential read: dd of a file the host wrote just before (host page
#   cache warm for both, the guest's cold);
# - small files: create N files of a few bytes each, then stat them all.
# Times come from /proc/uptime inside the container (10 ms resolution), so
# sizes are chosen to take seconds. Then the host memory of one sandbox
# with a share: husk's shim (the VMM) and its virtiofsd processes.
# Printed, never asserted; read the husk/runc column as a ratio.
# Knobs: HUSK_BENCH_FS_MIB (64), HUSK_BENCH_FS_FILES (500), HUSK_BENCH_RUNS (3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/lib.sh"
set +e
mib=${HUSK_BENCH_FS_MIB:-64} files=${HUSK_BENCH_FS_FILES:-500} runs=${HUSK_BENCH_RUNS:-3}
bin=${HUSK_BIN:-$top/build}
export PATH="$bin:$PATH" HUSK_KERNEL="$HUSK_GUEST_KERNEL/vmlinux" HUSK_INIT="$bin/husk-init"
vol=/var/lib/husk-bench-fs
mkdir -p $vol
start_containerd
ctr image import --base-name husk.bench/busybox "$HUSK_ASSETS/busybox-oci.tar" >/dev/null ||
	fail "image import"
img=husk.bench/busybox:latest

# The container's script: prints "write_cs read_cs create_cs stat_cs".
# Its $1, $2 and $(...) are the container shell's, not ours.
# shellcheck disable=SC2016
work='
cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; }
t0=$(cs); dd if=/dev/zero of=/data/w bs=1M count=$1 conv=fsync 2>/dev/null; t1=$(cs)
dd if=/data/r of=/dev/null bs=1M 2>/dev/null; t2=$(cs)
mkdir /data/d; i=0; while [ $i -lt $2 ]; do echo x >/data/d/f$i; i=$((i + 1)); done; t3=$(cs)
i=0; while [ $i -lt $2 ]; do [ -e /data/d/f$i ] || echo missing; i=$((i + 1)); done; t4=$(cs)
echo "$((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3))"'

declare -A w r c s
rts=(io.containerd.runc.v2 io.containerd.husk.v2)
for rt in "${rts[@]}"; do
	for i in $(seq "$runs"); do
		rm -rf "${vol:?}"/*
		dd if=/dev/urandom of=$vol/r bs=1M count="$mib" 2>/dev/null
		out=$(timeout -k 10 600 ctr run --rm --runtime "$rt" \
			--mount "type=bind,src=$vol,dst=/data,options=rbind:rw" \
			"$img" "fsb$i" sh -c "$work" sh "$mib" "$files" 2>&1 | tail -1)
		read -r cw cr cc cst <<<"$out"
		if ! [[ "$cw$cr$cc$cst" =~ ^[0-9]+$ ]]; then
			echo "$rt run $i: $out"; continue
		fi
		[ -s $vol/w ] || echo "$rt run $i: the write did not reach the host folder"
		w[$rt]+=" $(( mib * 100 / (cw > 0 ? cw : 1) ))"
		r[$rt]+=" $(( mib * 100 / (cr > 0 ? cr : 1) ))"
		c[$rt]+=" $(( files * 100 / (cc > 0 ? cc : 1) ))"
		s[$rt]+=" $(( files * 100 / (cst > 0 ? cst : 1) ))"
	done
done
med() { local v; read -ra v <<<"$1"; read -r m _ < <(stats "${v[@]}"); echo "$m"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "Host folder in a container: runc (bind) vs husk (virtio-fs, virtiofsd 7.2); median of $runs"
printf '%-36s %12s %12s %10s\n' figure runc husk husk/runc
row() {
	local a b
	a=$(med "$2"); b=$(med "$3")
	printf '%-36s %12s %12s %10s\n' "$1" "$a" "$b" "$(ratio "$b" "$a")"
}
R=io.containerd.runc.v2 H=io.containerd.husk.v2
row "seq write ${mib} MiB, MiB/s" "${w[$R]}" "${w[$H]}"
row "seq read ${mib} MiB, MiB/s" "${r[$R]}" "${r[$H]}"
row "create $files small files, files/s" "${c[$R]}" "${c[$H]}"
row "stat $files small files, files/s" "${s[$R]}" "${s[$H]}"

echo
echo "Host memory of one sandbox with a share (busybox sleep, guest RAM 256 MiB), KiB"
ctr run -d --runtime io.containerd.husk.v2 --mount "type=bind,src=$vol,dst=/data,options=rbind:rw" \
	"$img" fsmem sleep 600 >/dev/null
sleep 3
shim=$(pgrep -n -f 'containerd-shim-husk-v2.*-id fsmem')
kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
shm() { awk '/^RssShmem:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
vfs=0
for p in $(pgrep -f virtiofsd); do vfs=$(( vfs + $(kib "$p") )); done
if [ -n "$shim" ]; then
	printf '%-44s %10s\n' "shim+VMM resident" "$(kib "$shim")" \
		"  of which guest RAM (shared memfd)" "$(shm "$shim")" \
		"  without guest RAM" "$(( $(kib "$shim") - $(shm "$shim") ))" \
		"virtiofsd processes resident ($(pgrep -c -f virtiofsd))" "$vfs" \
		"sandbox without guest RAM, virtiofsd included" "$(( $(kib "$shim") - $(shm "$shim") + vfs ))"
else
	echo "fsmem: no husk shim running"
fi
ctr task kill -s KILL fsmem >/dev/null 2>&1
sleep 3
ctr task delete fsmem >/dev/null 2>&1
ctr container delete fsmem >/dev/null 2>&1
rm -rf $vol
