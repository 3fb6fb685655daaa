// SPDX-License-Identifier: Apache-2.0
/* util.c - small file helpers husk-init uses everywhere. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest-init/system/system.h"

int util_mkdir_p(const char *path, mode_t mode, struct husk_error **e)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return husk_err(e, ENAMETOOLONG, "mkdir %.100s", path);
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return husk_err(e, errno, "mkdir %s", buf);
		buf[i] = i < len ? '/' : '\0';
	}
	return 0;
}

int util_write_file(const char *path, const char *data, size_t len, struct husk_error **e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return husk_err(e, errno, "open %s", path);
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len) {
		husk_err(e, n < 0 ? errno : EIO, "write \"%.*s\" to %s", (int)(len > 40 ? 40 : len),
			 data, path);
		close(fd);
		return -husk_error_errno(*e);
	}
	if (close(fd) < 0)
		return husk_err(e, errno, "close %s", path);
	return 0;
}

/* Reads at most @size - 1 bytes and terminates them; -errno on failure. */
ssize_t util_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

int64_t util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
