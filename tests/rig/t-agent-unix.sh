# husk-init's protocol suite inside the rig, where cgroup v2 is mounted:
# the same run as tests/agent/run-host (husk-init in test mode over a Unix
# socket, busybox rootfs as a directory and as erofs/ext4 loop devices, a
# veth as eth0), and here the cgroup parts (memory limit, OOM report,
# stats), the block-device root file systems and the network must run too.
. "$(dirname "$0")/lib.sh"
{ [ -x "$top/build/husk-init" ] && [ -x "$top/build/tests/agent-suite" ]; } ||
	fail "build/husk-init or build/tests/agent-suite missing"
[ -f /sys/fs/cgroup/cgroup.controllers ] || fail "no cgroup v2 at /sys/fs/cgroup in the rig"
"$top/tests/agent/run-suite" --require cgroup,blk,net
