// SPDX-License-Identifier: Apache-2.0
/* fs_daemon_cache.c - virtiofsd's flavour remembered per file (fs_daemon_cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/share/fs_daemon_cache.h"

#define IDENTITY_MAX   96 /* "v1" and five numbers */
#define CACHE_LINE_MAX (PATH_MAX + 160)

static const char *const flavour_names[] = { [FS_DAEMON_C] = "C", [FS_DAEMON_RUST] = "Rust" };

/* What identifies the file @bin now: "v1 DEV INO SIZE MTIME-S MTIME-NS". */
static int identity(const char *bin, char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat(bin, &st))
		return -errno;
	n = snprintf(buf, len, "v1 %llu %llu %lld %lld %ld", (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino, (long long)st.st_size,
		     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The cache's whole text for @bin of identity @id and flavour @f; its length, or -errno. */
static int cache_line(const char *id, const char *bin, enum fs_daemon_flavour f, char *buf,
		      size_t len)
{
	int n = snprintf(buf, len, "%s %s %s\n", id, flavour_names[f], bin);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

int fs_daemon_cache_get(const char *cache, const char *bin, enum fs_daemon_flavour *out)
{
	const enum fs_daemon_flavour flavours[] = { FS_DAEMON_C, FS_DAEMON_RUST };
	char have[CACHE_LINE_MAX], want[CACHE_LINE_MAX], id[IDENTITY_MAX];
	ssize_t n;
	int fd = open(cache, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -ENOENT;
	n = read(fd, have, sizeof(have) - 1);
	close(fd);
	if (n <= 0 || identity(bin, id, sizeof(id)))
		return -ENOENT;
	have[n] = '\0';
	/* The whole file must be the line this file would have now, for one flavour. */
	for (size_t i = 0; i < 2; i++) {
		if (cache_line(id, bin, flavours[i], want, sizeof(want)) > 0 &&
		    !strcmp(have, want)) {
			*out = flavours[i];
			return 0;
		}
	}
	return -ENOENT;
}

int fs_daemon_cache_put(const char *cache, const char *bin, enum fs_daemon_flavour f)
{
	char line[CACHE_LINE_MAX], tmp[PATH_MAX], id[IDENTITY_MAX];
	int n = identity(bin, id, sizeof(id));
	int fd, ret = 0;

	if (!n)
		n = cache_line(id, bin, f, line, sizeof(line));
	if (n < 0)
		return n;
	if (snprintf(tmp, sizeof(tmp), "%s.%d", cache, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, cache))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
