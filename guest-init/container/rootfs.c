// SPDX-License-Identifier: Apache-2.0
/*
 * rootfs.c - a container's root file system in the VM, under
 * STATE/c/ID/rootfs: one image (erofs or ext4) used as it is, read-only
 * or, for a devmapper snapshot, read-write;
 * several, or one with a writable ext4 upper device, joined by overlayfs;
 * or a bound directory: the container's entry in the host's virtio-fs
 * share (the host mounted the snapshot's overlay there, so that is the
 * writable layer: no overlay here), or a plain folder for tests. Each
 * mount is recorded so that rootfs_umount() undoes them innermost first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

static int rootfs_do(struct container *c, const char *src, const char *dst, const char *type,
		     unsigned long flags, const char *data, struct husk_error **e)
{
	if (util_mkdir_p(dst, 0755, e) < 0)
		return -husk_error_errno(*e);
	if (mount(src, dst, type, flags, data && data[0] ? data : NULL) < 0)
		return husk_err(e, errno, "mount %s (%s) on %s", src, type ? type : "bind", dst);
	snprintf(c->mounts[c->nmounts++], PATH_MAX, "%s", dst);
	return 0;
}

static int rootfs_blk(struct container *c, const struct amsg_blk *b, const char *dst, bool ro,
		      struct husk_error **e)
{
	if (blkdev_ready(b->source, e) < 0)
		return -husk_error_errno(*e);
	return rootfs_do(c, b->source, dst, b->fstype, ro ? MS_RDONLY : 0, b->options, e);
}

/* overlayfs: lowerdir lists the top layer first, as the request does. */
static int rootfs_overlay(struct container *c, const struct amsg_rootfs *r, struct husk_error **e)
{
	char dir[PATH_MAX + 32], data[4096] = "lowerdir="; /* + "/lower" and an index */
	size_t i;
	int n;

	for (i = 0; i < r->nlower; i++) {
		snprintf(dir, sizeof(dir), "%s/lower%zu", c->dir, i);
		if (rootfs_blk(c, &r->lower[i], dir, true, e) < 0)
			return -husk_error_errno(*e);
		n = snprintf(data + strlen(data), sizeof(data) - strlen(data), "%s%s", i ? ":" : "",
			     dir);
		if (n < 0 || strlen(data) + 1 >= sizeof(data))
			return husk_err(e, ENAMETOOLONG, "overlay options");
	}
	if (r->upper.source) {
		snprintf(dir, sizeof(dir), "%s/upper", c->dir);
		if (rootfs_blk(c, &r->upper, dir, false, e) < 0)
			return -husk_error_errno(*e);
		snprintf(dir, sizeof(dir), "%s/upper/upper", c->dir);
		if (util_mkdir_p(dir, 0755, e) < 0)
			return -husk_error_errno(*e);
		snprintf(dir, sizeof(dir), "%s/upper/work", c->dir);
		if (util_mkdir_p(dir, 0755, e) < 0)
			return -husk_error_errno(*e);
		n = snprintf(data + strlen(data), sizeof(data) - strlen(data),
			     ",upperdir=%s/upper/upper,workdir=%s/upper/work", c->dir, c->dir);
		if (n < 0 || strlen(data) + 1 >= sizeof(data))
			return husk_err(e, ENAMETOOLONG, "overlay options");
	}
	return rootfs_do(c, "overlay", c->rootfs, "overlay", 0, data, e);
}

/* @path is the root of a mount of its own (a virtio-fs submount). */
static bool rootfs_is_mount_root(const char *path)
{
	char parent[PATH_MAX + 4];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", path);
	return !stat(path, &a) && !stat(parent, &b) && a.st_dev != b.st_dev;
}

/*
 * A share entry is bound as it is. The share is mounted nosuid,nodev for
 * volumes; a root file system keeps set-uid programs and device nodes as
 * on runc, so its bind drops both (the host side stays nosuid,nodev).
 * The entry's submount is recorded too: unmounting it at DELETE lets the
 * guest forget its inodes, so virtiofsd closes its files of the root.
 */
static int rootfs_dir(struct container *c, const char *dir, struct husk_error **e)
{
	bool shared = false;
	char *src = NULL;
	int ret;

	if (share_resolve_dir(c->ag, dir, &src, &shared, e) < 0)
		return husk_err_wrap(e, "rootfs.dir");
	/* The bind triggers the automount (stat() would not). */
	ret = rootfs_do(c, src, c->rootfs, NULL, MS_BIND | MS_REC, NULL, e);
	if (!ret && shared && mount(NULL, c->rootfs, NULL, MS_BIND | MS_REMOUNT, NULL) < 0)
		ret = husk_err(e, errno, "remount %s suid,dev", c->rootfs);
	if (!ret && shared && c->ag->vm && rootfs_is_mount_root(src))
		snprintf(c->mounts[c->nmounts++], PATH_MAX, "%s", src);
	free(src);
	return ret;
}

int rootfs_mount(struct container *c, const struct amsg_rootfs *r, struct husk_error **e)
{
	if (r->dir)
		return rootfs_dir(c, r->dir, e);
	if (r->nlower == 1 && !r->upper.source)
		return rootfs_blk(c, &r->lower[0], c->rootfs, !r->writable, e);
	return rootfs_overlay(c, r, e);
}

void rootfs_umount(struct container *c)
{
	struct husk_error *e = NULL;

	while (c->nmounts > 0) {
		const char *m = c->mounts[--c->nmounts];

		if (umount2(m, MNT_DETACH) < 0) {
			husk_err(&e, errno, "umount %s", m);
			log_err(e, c->id);
		}
	}
	husk_error_free(e);
}
