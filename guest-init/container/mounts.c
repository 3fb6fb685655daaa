// SPDX-License-Identifier: Apache-2.0
/*
 * mounts.c - the OCI spec's mounts for one container, done by its first
 * process in its own mount namespace: the spec's "mounts" before
 * pivot_root (bind sources are VM paths then), masked and read-only
 * paths after it (the paths are the container's own then).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"
#include "guest-init/container/inroot.h"

#define MS_REMOUNT_KEEP \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
	 MS_STRICTATIME)

static void mounts_fdpath(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* The target again, now crossing the new mount, to change that mount. */
static int mounts_reopen(int rootfd, const char *dest, char *target, size_t size,
			 struct husk_error **e)
{
	int fd = inroot_open(rootfd, dest, INROOT_EXISTING, e);

	if (fd >= 0)
		mounts_fdpath(target, size, fd);
	return fd;
}

/* The source as the spec names it (the path husk-init uses for it). */
static const char *mounts_src_name(const struct spec_mount *m)
{
	return m->resolved ? m->resolved : m->source;
}

/*
 * What the bind's source mount forbids (nosuid, nodev, noexec, ro) stays
 * forbidden: a remount sets every flag anew, so the bind's options alone
 * would drop them (the share is nosuid,nodev; the pod shm also noexec).
 */
static unsigned long mounts_source_locks(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	f |= sv.f_flag & ST_NOSUID ? MS_NOSUID : 0;
	f |= sv.f_flag & ST_NODEV ? MS_NODEV : 0;
	f |= sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0;
	f |= sv.f_flag & ST_RDONLY ? MS_RDONLY : 0;
	return f;
}

/*
 * A bind takes no flags of its own: read-only and the rest come from a
 * second, remounting call on the new mount, as runc does.
 */
static int mounts_bind(int rootfd, const struct spec_mount *m, const char *src, const char *target,
		       struct husk_error **e)
{
	unsigned long extra = m->flags & MS_REMOUNT_KEEP;
	char top[64];
	int fd;

	if (mount(src, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
		return husk_err(e, errno, "bind %s on %s", mounts_src_name(m), m->dest);
	if (!extra)
		return 0;
	fd = mounts_reopen(rootfd, m->dest, top, sizeof(top), e);
	if (fd < 0)
		return fd;
	extra |= mounts_source_locks(fd);
	if (mount(NULL, top, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0) {
		close(fd);
		return husk_err(e, errno, "remount bind %s with its options", m->dest);
	}
	close(fd);
	return 0;
}

/* The mount itself, on a target made to fit (a file for a file's bind). */
static int mounts_place(int rootfd, const struct spec_mount *m, const char *src,
			struct husk_error **e)
{
	const char *type = strcmp(m->type, "cgroup") ? m->type : "cgroup2";
	bool bind = m->flags & MS_BIND;
	char target[64];
	struct stat st;
	int fd, ret = 0;

	if (bind && stat(src, &st) < 0)
		return husk_err(e, errno, "bind source %s", mounts_src_name(m));
	fd = inroot_open(rootfd, m->dest, bind && !S_ISDIR(st.st_mode) ? INROOT_FILE : INROOT_DIR,
			 e);
	if (fd < 0)
		return fd;
	mounts_fdpath(target, sizeof(target), fd);
	if (bind)
		ret = mounts_bind(rootfd, m, src, target, e);
	else if (mount(m->source[0] ? m->source : type, target, type,
		       m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT), m->data) < 0)
		ret = husk_err(e, errno, "mount %s on %s", type, m->dest);
	close(fd);
	return ret;
}

static int mounts_one(int rootfd, const struct spec_mount *m, struct husk_error **e)
{
	const char *src = mounts_src_name(m);
	char path[64];
	int fd = -1, ret;

	/* share, pod shm and files sources: opened without leaving their folder */
	if ((m->flags & MS_BIND) && m->beneath) {
		fd = share_source_open(m, e);
		if (fd < 0)
			return fd;
		mounts_fdpath(path, sizeof(path), fd);
		src = path;
	}
	ret = mounts_place(rootfd, m, src, e);
	if (fd >= 0)
		close(fd);
	if (ret < 0 || !m->propagation)
		return ret;
	fd = mounts_reopen(rootfd, m->dest, path, sizeof(path), e);
	if (fd < 0)
		return fd;
	if (mount(NULL, path, NULL, m->propagation, NULL) < 0)
		ret = husk_err(e, errno, "propagation of %s", m->dest);
	close(fd);
	return ret;
}

int mounts_setup(const char *rootfs, const struct spec *spec, struct husk_error **e)
{
	bool dev = false;
	size_t i;
	int rootfd, ret = 0;

	/* a bind of the rootfs onto itself makes it a mount pivot_root accepts */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return husk_err(e, errno, "bind the rootfs %s", rootfs);
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return husk_err(e, errno, "open the rootfs %s", rootfs);
	for (i = 0; i < spec->nmounts && ret == 0; i++) {
		ret = mounts_one(rootfd, &spec->mounts[i], e);
		if (ret < 0)
			husk_err_wrap(e, "mounts[%zu]", i);
		dev |= strcmp(spec->mounts[i].dest, "/dev") == 0;
	}
	if (ret == 0 && (dev || spec->ndevices))
		ret = devices_setup(rootfd, dev, spec, e);
	close(rootfd);
	return ret;
}

static int mounts_mask(const char *path, struct husk_error **e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : husk_err(e, errno, "masked path %s", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k") < 0)
			return husk_err(e, errno, "mask %s", path);
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
		return husk_err(e, errno, "mask %s", path);
	}
	return 0;
}

static int mounts_readonly(const char *path, struct husk_error **e)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : husk_err(e, errno, "read-only path %s", path);
	if (mount(NULL, path, NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return husk_err(e, errno, "remount %s read-only", path);
	return 0;
}

int mounts_finish(const struct spec *spec, struct husk_error **e)
{
	size_t i;

	for (i = 0; spec->masked && spec->masked[i]; i++)
		if (mounts_mask(spec->masked[i], e) < 0)
			return -husk_error_errno(*e);
	for (i = 0; spec->readonly && spec->readonly[i]; i++)
		if (mounts_readonly(spec->readonly[i], e) < 0)
			return -husk_error_errno(*e);
	if (spec->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return husk_err(e, errno, "remount the root read-only");
	return 0;
}
