// SPDX-License-Identifier: Apache-2.0
/* config_file.c - reading a JSON document of the shim whole, under a size cap. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/config_file.h"

int config_file_read(const char *path, char **buf, size_t *len, struct husk_error **err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		close(fd);
		return husk_err(err, EINVAL, "%s: not a regular file of at most %u bytes", path,
				CONFIG_FILE_MAX);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return husk_err(err, ENOMEM, "read %s", path);
	}
	n = read(fd, *buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		return husk_err(err, n < 0 ? errno : EIO, "read %s", path);
	}
	*len = (size_t)n;
	return 0;
}
