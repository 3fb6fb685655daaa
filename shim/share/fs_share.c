// SPDX-License-Identifier: Apache-2.0
/*
 * fs_share.c - a sandbox's share folder as a whole: its name, the three
 * binds that make mounts/, shared/ and private/, and its removal
 * (fs_share.h); taking a path of the share down (unmount, unplace), for
 * the whole and for entries alike. Mount points are removed only once
 * nothing is mounted on them, and only if they are what the shim made:
 * an empty folder (rmdir) or an empty regular file. Entries are in
 * fs_share_entry.c, which calls this file (never the other way).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/share/fs_share.h"
#include "shim/base/sha256.h"
#include "shim/base/shim_log.h"

#define FS_SHARE_MAX_ID 64

void fs_share_path(const char *root, const char *sub, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s%s", root, sub, name ? "/" : "", name ? name : "");
}

static bool fs_share_plain(const char *sid)
{
	size_t n = strlen(sid), i;

	if (!n || n > FS_SHARE_MAX_ID || !strcmp(sid, ".") || !strcmp(sid, ".."))
		return false;
	for (i = 0; i < n; i++) {
		char c = sid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int fs_share_root(const char *base, const char *sid, char *out, size_t len)
{
	char hex[2 * SHA256_LEN + 1];
	int n;

	if (fs_share_plain(sid)) {
		n = snprintf(out, len, "%s/%s", base, sid);
	} else {
		sha256_hex(sid, strlen(sid), hex);
		n = snprintf(out, len, "%s/%s", base, hex);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int fs_share_mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* @sub bound on itself with propagation @prop. */
static int fs_share_self_bind(const char *root, const char *sub, unsigned long prop,
			      struct husk_error **err)
{
	char path[PATH_MAX];

	fs_share_path(root, sub, NULL, path, sizeof(path));
	if (mount(path, path, NULL, MS_BIND, NULL) || mount(NULL, path, NULL, prop, NULL))
		return husk_err(err, errno, "share: bind %s on itself", path);
	return 0;
}

/* shared/: mounts/ read-only, receiving its entries (slave), sending nothing back. */
static int fs_share_bind_shared(const char *root, struct husk_error **err)
{
	char from[PATH_MAX], to[PATH_MAX];

	fs_share_path(root, "mounts", NULL, from, sizeof(from));
	fs_share_path(root, "shared", NULL, to, sizeof(to));
	if (mount(from, to, NULL, MS_BIND, NULL) || mount(NULL, to, NULL, MS_SLAVE, NULL) ||
	    mount(NULL, to, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
		return husk_err(err, errno, "share: read-only bind of %s on %s", from, to);
	return 0;
}

static int fs_share_layout(const char *root, struct husk_error **err)
{
	static const char *const subs[] = { "mounts", "shared", "private" };
	char path[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < 3; i++) {
		fs_share_path(root, subs[i], NULL, path, sizeof(path));
		/* 0755: the guest's unprivileged users walk through to their volumes. */
		if (mkdir(path, i == 2 ? 0700 : 0755))
			return husk_err(err, errno, "share: mkdir %s", path);
	}
	ret = fs_share_self_bind(root, "mounts", MS_SHARED, err);
	if (!ret)
		ret = fs_share_self_bind(root, "private", MS_PRIVATE, err);
	if (!ret)
		ret = fs_share_bind_shared(root, err);
	return ret;
}

int fs_share_create(const char *root, struct husk_error **err)
{
	int ret = fs_share_mkdirs(root, 0711);

	if (ret)
		return husk_err(err, -ret, "share: mkdir parents of %s", root);
	if (mkdir(root, 0700)) {
		if (errno == EEXIST)
			return husk_err(
				err, EEXIST,
				"share %s exists: another sandbox has this id, or a killed shim left it (containerd-shim-husk-v2 delete removes it)",
				root);
		return husk_err(err, errno, "share: mkdir %s", root);
	}
	ret = fs_share_layout(root, err);
	if (ret)
		fs_share_remove(root);
	return ret;
}

/* Whether @path is the root of a mount (the place something is mounted on). */
static bool fs_share_is_mount(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx))
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

void fs_share_unmount(const char *path)
{
	int i;

	/* Stacked mounts come off one per call; MNT_DETACH takes submounts along. */
	for (i = 0; i < 64 && fs_share_is_mount(path); i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW)) {
			if (errno != EINVAL && errno != ENOENT)
				shim_warn("share: unmount %s: %s", path, strerror(errno));
			return;
		}
	}
}

void fs_share_unplace(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return;
	if (fs_share_is_mount(path)) {
		shim_warn("share: %s is still mounted: left in place", path);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (rmdir(path)) /* never more than an empty folder */
			shim_warn("share: remove %s: %s", path, strerror(errno));
	} else if (S_ISREG(st.st_mode) && st.st_size == 0) {
		if (unlink(path))
			shim_warn("share: remove %s: %s", path, strerror(errno));
	} else {
		shim_warn("share: %s is not an empty placeholder: left in place", path);
	}
}

/* Every entry of @root/@sub unmounted and its placeholder removed. */
static void fs_share_clear(const char *root, const char *sub)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	fs_share_path(root, sub, NULL, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		fs_share_path(root, sub, de->d_name, path, sizeof(path));
		fs_share_unmount(path);
		fs_share_unplace(path);
	}
	closedir(d);
}

void fs_share_remove(const char *root)
{
	static const char *const subs[] = { "shared", "mounts", "private" };
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	/* First what virtiofsd sees, so no entry outlives the rest there. */
	fs_share_path(root, "shared", NULL, path, sizeof(path));
	fs_share_unmount(path);
	fs_share_clear(root, "mounts");
	fs_share_clear(root, "private");
	fs_share_path(root, "mounts", NULL, path, sizeof(path));
	fs_share_unmount(path);
	fs_share_path(root, "private", NULL, path, sizeof(path));
	fs_share_unmount(path);
	/* Entries a first pass could not see under the self-binds (a partial share). */
	fs_share_clear(root, "mounts");
	fs_share_clear(root, "private");
	fs_share_path(root, FS_SHARE_SOCKET, NULL, path, sizeof(path));
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode) && unlink(path))
		shim_warn("share: remove %s: %s", path, strerror(errno));
	/* The Rust daemon may leave its pid file beside the socket. */
	fs_share_path(root, FS_SHARE_SOCKET ".pid", NULL, path, sizeof(path));
	if (!lstat(path, &st) && S_ISREG(st.st_mode) && unlink(path))
		shim_warn("share: remove %s: %s", path, strerror(errno));
	for (i = 0; i < 3; i++) {
		fs_share_path(root, subs[i], NULL, path, sizeof(path));
		fs_share_unplace(path);
	}
	if (rmdir(root) && errno != ENOENT)
		shim_warn("share: remove %s: %s", root, strerror(errno));
}
