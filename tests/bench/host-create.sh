# bench/host-create.sh - the host /dev/kvm rows (tiny guest).
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	"$top/build/tests/bench-create" "${HUSK_BENCH_VMS:-200}" || { echo "bench-create failed (exit $?)"; exit 1; }
else
	echo "not run: bench/host-create: /dev/kvm is not accessible"
fi
