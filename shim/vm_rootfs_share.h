/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm_rootfs_share.h - a container's root file system handed to the guest
 * through the sandbox's virtio-fs share instead of disks (the runtime
 * config's "rootfs": "virtio-fs"): containerd's rootfs mount is made on
 * the host as it was sent (the snapshot's overlay, or a bind of a
 * directory) at <mounts dir>/<id>-rootfs, which the guest sees as
 * HUSK_AGENT_SHARE_DIR/<id>-rootfs and husk-init binds as the root. The
 * host's overlayfs is the writable layer: writes land in the snapshot's
 * upperdir, no image, no size cap, no disk slot.
 *
 * Each mount point is recorded in the bundle's state file (vm_state.h,
 * kind VM_ROOTFS_SHARE_KIND) before it is mounted, so `delete` after a
 * killed shim unmounts it. Undoing is an unmount and an rmdir of the then
 * empty mount point: never a recursive removal, the data is containerd's.
 */
#ifndef HUSK_SHIM_VM_ROOTFS_SHARE_H
#define HUSK_SHIM_VM_ROOTFS_SHARE_H

#include <stddef.h>

struct husk_error;
struct vm_host_mount;

#define VM_ROOTFS_SHARE_KIND	"share-rootfs"

/* vm_rootfs_share_entry - the share entry of container @id: "<id>-rootfs". */
void vm_rootfs_share_entry(const char *id, char *buf, size_t len);

/*
 * vm_rootfs_share_mount - mount @m at @mounts_dir/<entry of @id> (made
 * here, recorded in @bundle's state first) and put that path in @path.
 * Binds are made read-only, nosuid and nodev before they appear in the
 * share (a later remount would not reach virtiofsd's mount namespace);
 * overlays are mounted nosuid and nodev. Returns 0 or -errno, nothing
 * left mounted on failure.
 */
int vm_rootfs_share_mount(const struct vm_host_mount *m, const char *mounts_dir,
			  const char *id, const char *bundle, char *path, size_t len,
			  struct husk_error **err);

/* vm_rootfs_share_umount - detach whatever is mounted on @path, rmdir it. */
void vm_rootfs_share_umount(const char *path);

/* vm_rootfs_share_cleanup - vm_rootfs_share_umount() each recorded path. */
void vm_rootfs_share_cleanup(const char *bundle);

#endif
