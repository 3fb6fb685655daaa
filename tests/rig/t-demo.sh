# README's first command: scripts/demo (what `make demo` runs after the
# build) runs busybox with ctr and runtime io.containerd.husk.v2 and prints
# a greeting from inside a VM: the guest kernel's release, not level 1's.
. "$(dirname "$0")/lib.sh"
[ -f "$HUSK_GUEST_KERNEL/vmlinux" ] || cannot_run "no guest kernel (make guest-kernel)"
out=$(timeout -k 10 400 "$top/scripts/demo" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || fail "scripts/demo exited $rc"
line=$(grep '^Hello from a husk microVM: ' <<<"$out") || fail "no greeting"
release=$(sed -n 's/.*kernel \([^,]*\),.*/\1/p' <<<"$line")
{ [ -n "$release" ] && [ "$release" != "$(uname -r)" ]; } ||
	fail "the greeting names kernel '$release', level 1 runs $(uname -r): not from a VM?"
grep -Eq ', 1 vCPU, MemTotal: +[0-9]+ kB$' <<<"$line" || fail "unexpected greeting: $line"
echo "the demo's container ran on kernel $release (level 1: $(uname -r))"
