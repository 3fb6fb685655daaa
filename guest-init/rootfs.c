// SPDX-License-Identifier: Apache-2.0
/*
 * rootfs.c - a container's root file system in the VM, under
 * STATE/c/ID/rootfs: one image (erofs or ext4) used as it is, read-only
 * or, for a devmapper snapshot, read-write;
 * several, or one with a writable ext4 upper device, joined by overlayfs;
 * or, for tests, a bound directory. Each mount is recorded so that
 * rootfs_umount() undoes them innermost first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "agent.h"

static int rootfs_do(struct container *c, const char *src, const char *dst,
		     const char *type, unsigned long flags, const char *data,
		     struct err *e)
{
	if (util_mkdir_p(dst, 0755, e) < 0)
		return -e->code;
	if (mount(src, dst, type, flags, data && data[0] ? data : NULL) < 0)
		return err_set(e, errno, "mount %s (%s) on %s", src, type ? type : "bind", dst);
	snprintf(c->mounts[c->nmounts++], PATH_MAX, "%s", dst);
	return 0;
}

static int rootfs_blk(struct container *c, const struct amsg_blk *b, const char *dst,
		      bool ro, struct err *e)
{
	if (blkdev_ready(b->source, e) < 0)
		return -e->code;
	return rootfs_do(c, b->source, dst, b->fstype, ro ? MS_RDONLY : 0, b->options, e);
}

/* overlayfs: lowerdir lists the top layer first, as the request does. */
static int rootfs_overlay(struct container *c, const struct amsg_rootfs *r, struct err *e)
{
	char dir[PATH_MAX + 32], data[4096] = "lowerdir=";	/* + "/lower" and an index */
	size_t i;
	int n;

	for (i = 0; i < r->nlower; i++) {
		snprintf(dir, sizeof(dir), "%s/lower%zu", c->dir, i);
		if (rootfs_blk(c, &r->lower[i], dir, true, e) < 0)
			return -e->code;
		n = snprintf(data + strlen(data), sizeof(data) - strlen(data), "%s%s",
			     i ? ":" : "", dir);
		if (n < 0 || strlen(data) + 1 >= sizeof(data))
			return err_set(e, ENAMETOOLONG, "overlay options");
	}
	if (r->upper.source) {
		snprintf(dir, sizeof(dir), "%s/upper", c->dir);
		if (rootfs_blk(c, &r->upper, dir, false, e) < 0)
			return -e->code;
		snprintf(dir, sizeof(dir), "%s/upper/upper", c->dir);
		if (util_mkdir_p(dir, 0755, e) < 0)
			return -e->code;
		snprintf(dir, sizeof(dir), "%s/upper/work", c->dir);
		if (util_mkdir_p(dir, 0755, e) < 0)
			return -e->code;
		n = snprintf(data + strlen(data), sizeof(data) - strlen(data),
			     ",upperdir=%s/upper/upper,workdir=%s/upper/work", c->dir, c->dir);
		if (n < 0 || strlen(data) + 1 >= sizeof(data))
			return err_set(e, ENAMETOOLONG, "overlay options");
	}
	return rootfs_do(c, "overlay", c->rootfs, "overlay", 0, data, e);
}

int rootfs_mount(struct container *c, const struct amsg_rootfs *r, struct err *e)
{
	if (r->dir)
		return rootfs_do(c, r->dir, c->rootfs, NULL, MS_BIND | MS_REC, NULL, e);
	if (r->nlower == 1 && !r->upper.source)
		return rootfs_blk(c, &r->lower[0], c->rootfs, !r->writable, e);
	return rootfs_overlay(c, r, e);
}

void rootfs_umount(struct container *c)
{
	struct err e;

	while (c->nmounts > 0) {
		const char *m = c->mounts[--c->nmounts];

		if (umount2(m, MNT_DETACH) < 0) {
			err_set(&e, errno, "umount %s", m);
			log_err(&e, c->id);
		}
	}
}
