# husk's CRI tests (tests/cri/run-cri) in the rig: containerd's CRI plugin
# driven by the project's CRI client, runc first (the reference: a check it
# fails is a harness bug), then husk. Each check prints "ok cri/<handler>/
# <name>" or "FAIL cri/<handler>/<name>: why".
#
# runc exec in the rig: tests/rig/init chroots into the host root without
# pivoting, so the root of level 1's mount namespace is the initramfs and
# every runc exec (CRI ExecSync) lands there instead of in the container.
# This test switches roots first, as switch_root does: in a new mount
# namespace entered from pid 1's root (the initramfs), the host root is
# moved onto / and chrooted into, so that the namespace's root is the host
# root and containers' mount namespaces are rooted where runc put them.
. "$(dirname "$0")/lib.sh"
if [ -z "${HUSK_CRI_SWITCHED:-}" ] && ! [ /proc/1/root/. -ef / ] && [ -d /proc/1/root/newroot ]; then
	export HUSK_CRI_SWITCHED=1
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec nsenter -t 1 -m -r /bin/busybox unshare -m /bin/busybox sh -c '
		cd /newroot && mount -o move . / ||
			{ echo "FAIL: t-cri: cannot move the host root onto /"; exit 1; }
		exec chroot . /bin/bash "$0"' "$0"
fi
[ -f "$HUSK_GUEST_KERNEL/vmlinux" ] && export HUSK_KERNEL="$HUSK_GUEST_KERNEL/vmlinux"
export HUSK_INIT="$top/build/husk-init"
# containerd's debug log where the host sees it (build/ is writable in the
# rig); the previous run's (the suite runs a failed test again) is kept as .1
export HUSK_CRI_LOG=$top/build/cri-containerd.log
[ -f "$HUSK_CRI_LOG" ] && mv -f "$HUSK_CRI_LOG" "$HUSK_CRI_LOG.1"
show_husk() {
	echo "--- husk shim lines of the containerd log (all of it: build/cri-containerd.log)"
	grep -i 'husk' "$HUSK_CRI_LOG" | grep -Ev 'level=debug msg="(event|forwarding)' | tail -60
	for f in /run/containerd/io.containerd.runtime.v2.task/k8s.io/*/husk-console.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }
	done
}
# shellcheck disable=SC2317 # run by lib.sh on the time limit
on_timeout() { show_husk; }
command -v ping >/dev/null || cannot_run "no ping (iputils-ping)"
# HUSK_CRI_HANDLERS: only these handlers (default: runc, then husk)
# shellcheck disable=SC2086 # a list of words
"$top/tests/cri/run-cri" ${HUSK_CRI_HANDLERS:-runc husk}
rc=$?
[ $rc != 0 ] && [ $rc != 77 ] && show_husk
exit $rc
