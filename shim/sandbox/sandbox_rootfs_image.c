// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_rootfs_image.c - erofs and ext4 images for a container's root
 * (see sandbox_rootfs_image.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/run_prog.h"
#include "shim/base/shim_log.h"
#include "shim/sandbox/sandbox_rootfs_image.h"
#include "shim/base/bundle_state.h"

static int rootfs_mkdir_p(const char *path, struct husk_error **err)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return husk_err(err, errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return husk_err(err, errno, "mkdir %s", buf);
	return 0;
}

/*
 * mkfs.erofs @img from @dir, or from the merge of @lowers mounted on a temp dir.
 * @img is created here first: mkfs.erofs 1.5 answers a folder it cannot
 * write (read-only, no permission) with its usage text and no reason.
 */
static int rootfs_mkfs_erofs(const char *img, const char *dir, const char *lowers,
			     struct husk_error **err)
{
	const char *argv[] = { "mkfs.erofs", img, dir, NULL };
	char mnt[PATH_MAX];
	int fd, ret;

	fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_err(err, errno, "create %s", img);
	close(fd);
	if (!lowers)
		return run_prog(argv, NULL, NULL, err);
	snprintf(mnt, sizeof(mnt), "%s.mnt", img);
	if (mkdir(mnt, 0700) && errno != EEXIST)
		return husk_err(err, errno, "mkdir %s", mnt);
	argv[2] = mnt;
	ret = run_prog(argv, lowers, mnt, err);
	rmdir(mnt);
	return ret;
}

static const char *rootfs_image_dir(void)
{
	const char *d = getenv("HUSK_IMAGE_DIR");

	return d && d[0] == '/' ? d : SANDBOX_IMAGE_DIR;
}

/* The cached erofs of a layer set: built unless present, then renamed in. */
static int rootfs_layers(const struct sandbox_rootfs_plan *p, struct sandbox_disks *d,
			 struct husk_error **err)
{
	const char *dir = rootfs_image_dir();
	char tmp[PATH_MAX];
	bool merge = strchr(p->lowerdir, ':') != NULL;
	int ret;

	snprintf(d->lower, sizeof(d->lower), "%s/%s.erofs", dir, p->key);
	if (!access(d->lower, R_OK))
		return 0;
	ret = rootfs_mkdir_p(dir, err);
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.%lx.tmp", dir, p->key, (int)getpid(),
		 (unsigned long)pthread_self());
	shim_info("building %s from %s", d->lower, p->lowerdir);
	ret = rootfs_mkfs_erofs(tmp, merge ? NULL : p->lowerdir, merge ? p->lowerdir : NULL, err);
	if (!ret && rename(tmp, d->lower))
		ret = husk_err(err, errno, "rename %s to %s", tmp, d->lower);
	if (ret) {
		unlink(tmp);
		return husk_err_wrap(err, "image cache %s", dir);
	}
	return 0;
}

static int rootfs_dir(const struct sandbox_rootfs_plan *p, const char *bundle,
		      const char *state_dir, struct sandbox_disks *d, struct husk_error **err)
{
	int ret;

	snprintf(d->lower, sizeof(d->lower), "%s/husk-rootfs.erofs", state_dir);
	ret = bundle_state_add(bundle, d->lower);
	if (ret)
		return husk_err(err, -ret, "record %s in %s", d->lower, bundle);
	d->lower_owned = true;
	unlink(d->lower);
	return rootfs_mkfs_erofs(d->lower, p->dir, NULL, err);
}

static int rootfs_upper(const char *bundle, const char *state_dir, struct sandbox_disks *d,
			struct husk_error **err)
{
	const char *argv[] = { "mkfs.ext4", "-q", "-F", d->upper, NULL };
	int fd, ret;

	snprintf(d->upper, sizeof(d->upper), "%s/husk-upper.ext4", state_dir);
	ret = bundle_state_add(bundle, d->upper);
	if (ret)
		return husk_err(err, -ret, "record %s in %s", d->upper, bundle);
	fd = open(d->upper, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_err(err, errno, "create %s", d->upper);
	ret = ftruncate(fd, (off_t)SANDBOX_UPPER_BYTES) ? -errno : 0;
	close(fd);
	if (ret)
		return husk_err(err, -ret, "size %s", d->upper);
	return run_prog(argv, NULL, NULL, err);
}

int sandbox_rootfs_prepare(const struct sandbox_rootfs_plan *p, const char *bundle,
			   const char *state_dir, struct sandbox_disks *d, struct phase_log *pl,
			   struct husk_error **err)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->lower_fstype = "erofs";
	switch (p->kind) {
	case SANDBOX_ROOTFS_LAYERS:
		ret = rootfs_layers(p, d, err);
		break;
	case SANDBOX_ROOTFS_DIR:
		ret = rootfs_dir(p, bundle, state_dir, d, err);
		break;
	default:
		snprintf(d->lower, sizeof(d->lower), "%s", p->device);
		d->lower_fstype = "ext4";
		d->lower_writable = p->writable;
		ret = 0;
	}
	phase_log_mark(pl, "image");
	if (!ret && p->upper)
		ret = rootfs_upper(bundle, state_dir, d, err);
	phase_log_mark(pl, "upper");
	if (ret) {
		sandbox_rootfs_remove(d);
		return husk_err_wrap(err, "rootfs");
	}
	return 0;
}

void sandbox_rootfs_remove(struct sandbox_disks *d)
{
	if (d->lower_owned && d->lower[0])
		unlink(d->lower);
	if (d->upper[0])
		unlink(d->upper);
	d->lower_owned = false;
	d->upper[0] = '\0';
}
