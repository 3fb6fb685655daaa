// SPDX-License-Identifier: Apache-2.0
/*
 * fs_share_entry.c - one host source in the share: its entry name, the
 * ro-first bind through private/ into mounts/, and its removal
 * (fs_share.h), with fs_share.c's unmount and unplace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>

#include "common/error.h"
#include "shim/share/fs_share.h"
#include "shim/base/shim_log.h"

int fs_share_entry_name(const char *cid, const char *dest, char *out, size_t len)
{
	const char *base = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
	unsigned char rnd[8];
	char name[65];
	size_t i;
	int n;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -errno;
	for (i = 0; base[i] && i < sizeof(name) - 1; i++) {
		char c = base[i];

		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
					  c == '-' ?
				  c :
				  '_';
	}
	name[i] = '\0';
	n = snprintf(out, len, "%s-%02x%02x%02x%02x%02x%02x%02x%02x-%s", cid, rnd[0], rnd[1],
		     rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], i ? name : "root");
	return n < 0 || (size_t)n >= len || n > FS_SHARE_ENTRY_MAX ? -ENAMETOOLONG : 0;
}

/* An empty folder, or an empty file, to mount a source of @st's kind on. */
static int fs_share_place(const char *path, const struct stat *st, struct husk_error **err)
{
	int fd;

	if (S_ISDIR(st->st_mode)) {
		if (mkdir(path, 0755))
			return husk_err(err, errno, "mkdir %s", path);
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return husk_err(err, errno, "create %s", path);
	close(fd);
	return 0;
}

/*
 * nosuid,nodev (+ ro) on the bind at @path, and slave propagation: later
 * mounts on the host source still come in, nothing goes back to it.
 * mount_setattr changes only these flags (and all submounts of an
 * rbind); a bind remount (of the top mount only) is the fallback for
 * kernels before 5.12.
 */
static int fs_share_seal(const char *path, unsigned int flags)
{
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				 .propagation = MS_SLAVE };
	unsigned long mf = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
	struct statvfs sv;

	if (flags & FS_SHARE_RO)
		ma.attr_set |= MOUNT_ATTR_RDONLY;
	if (!syscall(SYS_mount_setattr, AT_FDCWD, path, (flags & FS_SHARE_REC) ? AT_RECURSIVE : 0,
		     &ma, sizeof(ma)))
		return 0;
	if (errno != ENOSYS)
		return -errno;
	if (statvfs(path, &sv))
		return -errno;
	mf |= (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) | (flags & FS_SHARE_RO ? MS_RDONLY : 0);
	if (mount(NULL, path, NULL, mf, NULL) ||
	    mount(NULL, path, NULL, MS_SLAVE | ((flags & FS_SHARE_REC) ? MS_REC : 0), NULL))
		return -errno;
	return 0;
}

/* Bind @source at @scratch in private/, sealed there. */
static int fs_share_bind_private(const char *source, const char *scratch, unsigned int flags,
				 struct husk_error **err)
{
	int ret;

	if (mount(source, scratch, NULL, MS_BIND | ((flags & FS_SHARE_REC) ? MS_REC : 0), NULL))
		return husk_err(err, errno, "bind %s on %s", source, scratch);
	ret = fs_share_seal(scratch, flags);
	if (ret) {
		fs_share_unmount(scratch);
		return husk_err(err, -ret, "make %s nosuid,nodev%s", scratch,
				flags & FS_SHARE_RO ? ",ro" : "");
	}
	return 0;
}

int fs_share_add(const char *root, const char *entry, const char *source, unsigned int flags,
		 struct husk_error **err)
{
	char scratch[PATH_MAX], target[PATH_MAX];
	struct stat st;
	int ret;

	if (source[0] != '/' || stat(source, &st))
		return husk_err(err, source[0] != '/' ? EINVAL : errno, "bind source %s", source);
	fs_share_path(root, "private", entry, scratch, sizeof(scratch));
	fs_share_path(root, "mounts", entry, target, sizeof(target));
	ret = fs_share_place(scratch, &st, err);
	if (ret)
		return ret;
	ret = fs_share_place(target, &st, err);
	if (ret) {
		fs_share_unplace(scratch);
		return ret;
	}
	ret = fs_share_bind_private(source, scratch, flags, err);
	/* The sealed bind (and its submounts) into mounts/: it propagates to shared/. */
	if (!ret && mount(scratch, target, NULL, MS_BIND | MS_REC, NULL))
		ret = husk_err(err, errno, "bind %s on %s", source, target);
	fs_share_unmount(scratch);
	fs_share_unplace(scratch);
	if (ret) {
		fs_share_unmount(target);
		fs_share_unplace(target);
	}
	return ret;
}

void fs_share_del(const char *root, const char *entry)
{
	char path[PATH_MAX];

	/* A name from a record never walks out of the share. */
	if (!*entry || strchr(entry, '/') || !strcmp(entry, ".") || !strcmp(entry, ".."))
		return;
	fs_share_path(root, "mounts", entry, path, sizeof(path));
	fs_share_unmount(path);
	fs_share_unplace(path);
	fs_share_path(root, "private", entry, path, sizeof(path));
	fs_share_unmount(path);
	fs_share_unplace(path);
}
