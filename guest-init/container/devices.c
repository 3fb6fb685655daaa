// SPDX-License-Identifier: Apache-2.0
/*
 * devices.c - a container's /dev: when the spec mounts a fresh /dev, the
 * default devices of the OCI spec (null, zero, full, random, urandom, tty)
 * are bound in from the VM's /dev (no mknod needed), with the usual
 * symlinks; then the spec's linux.devices are created with mknod, with
 * the folders above them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/container/inroot.h"

static const char *const dev_defaults[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

static const char *const dev_links[][2] = {
	{ "/dev/fd", "/proc/self/fd" },	      { "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
	{ "/dev/ptmx", "pts/ptmx" },	      { "/dev/core", "/proc/kcore" },
};

static int devices_bind(int rootfd, const char *name, struct husk_error **e)
{
	char src[64], dst[64], target[64];
	int fd, ret = 0;

	snprintf(src, sizeof(src), "/dev/%s", name);
	snprintf(dst, sizeof(dst), "/dev/%s", name);
	fd = inroot_open(rootfd, dst, INROOT_FILE, e);
	if (fd < 0)
		return fd;
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		ret = husk_err(e, errno, "bind %s into the container", src);
	close(fd);
	return ret;
}

static int devices_link(int rootfd, const char *path, const char *to, struct husk_error **e)
{
	const char *base;
	int dfd = inroot_parent(rootfd, path, &base, e);
	int ret = 0;

	if (dfd < 0)
		return dfd;
	if (symlinkat(to, dfd, base) < 0 && errno != EEXIST)
		ret = husk_err(e, errno, "symlink %s", path);
	close(dfd);
	return ret;
}

/*
 * The folders above a device node, made as runc makes them: a spec names
 * /dev/net/tun or /dev/input/event0 (a privileged container gets every
 * host device) in a /dev that is a fresh tmpfs.
 */
static int devices_parent_dirs(int rootfd, const char *path, struct husk_error **e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash || slash == path)
		return 0; /* "/" itself, or not absolute: inroot_parent() says so */
	if ((size_t)(slash - path) >= sizeof(dir))
		return husk_err(e, ENAMETOOLONG, "device %.100s", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	fd = inroot_open(rootfd, dir, INROOT_DIR, e);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int devices_node(int rootfd, const struct spec_device *d, struct husk_error **e)
{
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	mode_t perm = d->mode == SPEC_UNSET ? 0666 : (mode_t)d->mode & 07777;
	const char *base;
	int dfd, ret;
	bool made;

	ret = devices_parent_dirs(rootfd, d->path, e);
	if (ret < 0)
		return ret;
	dfd = inroot_parent(rootfd, d->path, &base, e);
	if (dfd < 0)
		return dfd;
	made = mknodat(dfd, base, type | perm, makedev(d->major, d->minor)) == 0;
	if (!made && errno != EEXIST)
		ret = husk_err(e, errno, "mknod %s", d->path);
	else if (fchownat(dfd, base, d->uid == SPEC_UNSET ? 0 : (uid_t)d->uid,
			  d->gid == SPEC_UNSET ? 0 : (gid_t)d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		ret = husk_err(e, errno, "chown %s", d->path);
	/* The mode as given, not under our umask; only on the node just made
	 * (fchmodat follows a symlink an image may have put there). */
	else if (made && fchmodat(dfd, base, perm, 0) < 0)
		ret = husk_err(e, errno, "chmod %s", d->path);
	close(dfd);
	return ret;
}

int devices_setup(int rootfd, bool dev_tmpfs, const struct spec *spec, struct husk_error **e)
{
	size_t i;

	for (i = 0; dev_tmpfs && i < sizeof(dev_defaults) / sizeof(dev_defaults[0]); i++)
		if (devices_bind(rootfd, dev_defaults[i], e) < 0)
			return -husk_error_errno(*e);
	for (i = 0; dev_tmpfs && i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (devices_link(rootfd, dev_links[i][0], dev_links[i][1], e) < 0)
			return -husk_error_errno(*e);
	for (i = 0; i < spec->ndevices; i++)
		if (devices_node(rootfd, &spec->devices[i], e) < 0)
			return -husk_error_errno(*e);
	return 0;
}
