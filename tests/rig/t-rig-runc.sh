# A self-check of the rig, not a test of husk: Debian's containerd and runc
# in the rig. A locally built busybox image is imported and `ctr run --rm`
# prints the expected line and passes the exit status through. Proves
# containerd works in the rig, and is the reference behaviour husk's shim
# (t-shim-*.sh) must match.
. "$(dirname "$0")/lib.sh"
start_containerd
ctr image import --base-name husk.test/busybox "$HUSK_ASSETS/busybox-oci.tar" >/dev/null ||
	fail "image import"
out=$(ctr run --rm husk.test/busybox:latest t1 sh -c 'echo hello-from-runc-in-rig' 2>&1)
echo "$out"
[ "$out" = hello-from-runc-in-rig ] || fail "unexpected output"
ctr run --rm husk.test/busybox:latest t2 sh -c 'exit 3'
rc=$?
[ $rc = 3 ] || fail "exit status $rc, wanted 3"
echo "exit status 3 passed through"
