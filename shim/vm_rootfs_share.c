// SPDX-License-Identifier: Apache-2.0
/* vm_rootfs_share.c - a container's root mounted on the host in the share (see vm_rootfs_share.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "shim_log.h"
#include "vm_plan.h"
#include "vm_rootfs_share.h"
#include "vm_state.h"

#define SHARE_HOST_ATTRS	(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

void vm_rootfs_share_entry(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s-rootfs", id);
}

static unsigned long long share_bind_attrs(unsigned long flags)
{
	unsigned long long a = SHARE_HOST_ATTRS;

	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

/*
 * A bind whose flags are set while it is still detached, then moved in:
 * the copy that propagates to virtiofsd's namespace is born read-only.
 */
static int share_bind(const struct vm_host_mount *m, const char *path, struct husk_error **err)
{
	unsigned int rec = m->flags & MS_REC ? AT_RECURSIVE : 0;
	struct mount_attr attr = { .attr_set = share_bind_attrs(m->flags) };
	int fd, ret = 0;

	fd = open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
	if (fd < 0)
		return husk_err(err, errno, "bind %s: open_tree", m->source);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)))
		ret = husk_err(err, errno, "bind %s: set flags", m->source);
	else if (move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH))
		ret = husk_err(err, errno, "bind %s on %s", m->source, path);
	close(fd);
	return ret;
}

static int share_overlay(const struct vm_host_mount *m, const char *path,
			 struct husk_error **err)
{
	unsigned long flags = (m->flags & ~(MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV;

	if (m->data && strlen(m->data) >= (size_t)sysconf(_SC_PAGESIZE))
		return husk_err(err, E2BIG, "overlay on %s: %zu bytes of options (too many layers)",
				path, strlen(m->data));
	if (mount(m->source, path, m->type, flags, m->data))
		return husk_err(err, errno, "mount %s (%s) on %s", m->source, m->type, path);
	return 0;
}

int vm_rootfs_share_mount(const struct vm_host_mount *m, const char *mounts_dir,
			  const char *id, const char *bundle, char *path, size_t len,
			  struct husk_error **err)
{
	char entry[256];
	int ret;

	vm_rootfs_share_entry(id, entry, sizeof(entry));
	if (snprintf(path, len, "%s/%s", mounts_dir, entry) >= (int)len)
		return husk_err(err, ENAMETOOLONG, "rootfs mount point in %s", mounts_dir);
	ret = vm_state_append(bundle, VM_ROOTFS_SHARE_KIND " %s\n", path);
	if (ret)
		return husk_err(err, -ret, "record %s in %s", path, bundle);
	if (mkdir(path, 0755) && errno != EEXIST)
		return husk_err(err, errno, "mkdir %s", path);
	ret = m->type ? share_overlay(m, path, err) : share_bind(m, path, err);
	if (ret) {
		rmdir(path);
		return husk_err_wrap(err, "rootfs in the share");
	}
	shim_info("rootfs of %s: %s on %s", id, m->type ? m->type : "bind", path);
	return 0;
}

void vm_rootfs_share_umount(const char *path)
{
	int i;

	/* Detach: virtiofsd may still hold files of it open. */
	for (i = 0; i < 8 && !umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW); i++)
		;
	if (i == 0 && errno != EINVAL && errno != ENOENT)
		shim_warn("unmount %s: %s", path, strerror(errno));
	if (rmdir(path) && errno != ENOENT)
		shim_warn("remove %s: %s", path, strerror(errno));
}

static void share_cleanup_one(char *path, void *opaque)
{
	(void)opaque;
	if (path[0] == '/')
		vm_rootfs_share_umount(path);
}

void vm_rootfs_share_cleanup(const char *bundle)
{
	vm_state_each(bundle, VM_ROOTFS_SHARE_KIND, share_cleanup_one, NULL);
}
