// SPDX-License-Identifier: Apache-2.0
/* inroot.c - path resolution confined to a root directory (see inroot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-init/container/inroot.h"

static int inroot_raw(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* Create @path one component at a time; the last as a file when @file. */
static int inroot_mkpath(int rootfd, const char *path, bool file, struct husk_error **e)
{
	char prefix[PATH_MAX];
	const char *base;
	size_t len = strlen(path), i;
	int dfd, fd, ret;

	if (len >= sizeof(prefix))
		return husk_err(e, ENAMETOOLONG, "%.100s", path);
	for (i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		fd = inroot_raw(rootfd, prefix, O_PATH);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (fd != -ENOENT)
			return husk_err(e, -fd, "resolve %s in the rootfs", prefix);
		dfd = inroot_parent(rootfd, prefix, &base, e);
		if (dfd < 0)
			return dfd;
		if (i == len && file)
			ret = openat(dfd, base, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		else
			ret = mkdirat(dfd, base, 0755);
		close(dfd);
		if (ret < 0 && errno != EEXIST)
			return husk_err(e, errno, "create %s in the rootfs", prefix);
		if (ret >= 0 && i == len && file)
			close(ret);
	}
	return 0;
}

int inroot_parent(int rootfd, const char *path, const char **base, struct husk_error **e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (!slash || strlen(path) >= sizeof(dir))
		return husk_err(e, EINVAL, "path %.100s", path);
	n = slash == path ? 1 : (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	*base = slash + 1;
	fd = inroot_raw(rootfd, dir, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return husk_err(e, -fd, "resolve %s in the rootfs", dir);
	return fd;
}

int inroot_open(int rootfd, const char *path, enum inroot_create create, struct husk_error **e)
{
	int fd = inroot_raw(rootfd, path, O_PATH);

	if (fd >= 0)
		return fd;
	if (fd != -ENOENT || create == INROOT_EXISTING)
		return husk_err(e, -fd, "resolve %s in the rootfs", path);
	if (inroot_mkpath(rootfd, path, create == INROOT_FILE, e) < 0)
		return -husk_error_errno(*e);
	fd = inroot_raw(rootfd, path, O_PATH);
	if (fd < 0)
		return husk_err(e, -fd, "resolve %s in the rootfs", path);
	return fd;
}
