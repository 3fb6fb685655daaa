/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_rootfs_share.h - a container's root file system handed to the guest
 * through the sandbox's virtio-fs share instead of disks (the runtime
 * config's "rootfs": "virtio-fs"): containerd's rootfs mount is made on
 * the host as it was sent (the snapshot's overlay, or a bind of a
 * directory, through fs_share_add()) as the share's entry <id>-rootfs
 * (fs_share.h: <share root>/mounts/<id>-rootfs), which the guest sees as
 * HUSK_AGENT_SHARE_DIR/<id>-rootfs and husk-init binds as the root. The
 * host's overlayfs is the writable layer: writes land in the snapshot's
 * upperdir, no image, no size cap, no disk slot.
 *
 * Each entry is recorded in the bundle's state file (bundle_state.h, kind
 * SANDBOX_ROOTFS_SHARE_KIND, "<share root> <entry>") before it is mounted, so
 * `delete` after a killed shim takes it out. Undoing is fs_share_del():
 * an unmount and the removal of the then empty placeholder, never a
 * recursive removal: the data is containerd's.
 */
#ifndef HUSK_SHIM_SANDBOX_SANDBOX_ROOTFS_SHARE_H
#define HUSK_SHIM_SANDBOX_SANDBOX_ROOTFS_SHARE_H

#include <stddef.h>

struct husk_error;
struct sandbox_host_mount;

#define SANDBOX_ROOTFS_SHARE_KIND "share-rootfs"

/* sandbox_rootfs_share_entry - the share entry of container @id: "<id>-rootfs". */
void sandbox_rootfs_share_entry(const char *id, char *buf, size_t len);

/*
 * sandbox_rootfs_share_mount - mount @m as the entry of @id in the share at
 * @root, recorded in @bundle's state first. A bind goes through
 * fs_share_add() (nosuid, nodev, read-only when @m is, before it appears
 * in the share: a later remount would not reach virtiofsd's mount
 * namespace); an overlay is mounted there nosuid,nodev, read-only when @m
 * is. Returns 0 or -errno, nothing left mounted on failure.
 */
int sandbox_rootfs_share_mount(const struct sandbox_host_mount *m, const char *root, const char *id,
			       const char *bundle, struct husk_error **err);

/* sandbox_rootfs_share_umount - @id's entry out of the share at @root. */
void sandbox_rootfs_share_umount(const char *root, const char *id);

/* sandbox_rootfs_share_cleanup - every entry recorded in @bundle out of its share. */
void sandbox_rootfs_share_cleanup(const char *bundle);

#endif
