// SPDX-License-Identifier: Apache-2.0
/* socket.c - the group socket: naming, binding or reusing, address file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/sha256.h"
#include "shim/socket.h"
#include "shim/ttrpc/ttrpc.h"

static const char *socket_dir(void)
{
	const char *d = getenv(SHIM_SOCKET_DIR_ENV);

	return d && *d ? d : SHIM_SOCKET_DIR;
}

int shim_socket_path(const char *address, const char *ns, const char *group, char *buf, size_t len,
		     struct husk_error **err)
{
	struct sockaddr_un sa;
	char key[PATH_MAX + 512], hex[2 * SHA256_LEN + 1];
	size_t alen = strlen(address);
	int n;

	/* path.Join-like: no doubled slash after a trailing one. */
	while (alen > 1 && address[alen - 1] == '/')
		alen--;
	n = snprintf(key, sizeof(key), "%.*s/%s/%s", (int)alen, address, ns, group);
	if (n < 0 || (size_t)n >= sizeof(key))
		return husk_err(err, ENAMETOOLONG, "socket key for %s", group);
	sha256_hex(key, (size_t)n, hex);
	n = snprintf(buf, len, "%s/%s", socket_dir(), hex);
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sa.sun_path))
		return husk_err(err, ENAMETOOLONG, "socket path in %s", socket_dir());
	return 0;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

bool shim_socket_alive(const char *path)
{
	struct sockaddr_un sa;
	bool alive;
	int fd;

	if (fill_addr(&sa, path))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* A full backlog (EAGAIN) still means a live listener. */
	alive = !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno == EAGAIN;
	close(fd);
	return alive;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0711) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* bind + chmod + listen; on EADDRINUSE reuse a live socket or replace a stale one. */
static int bind_listen(const char *path, int *out)
{
	struct sockaddr_un sa;
	int fd, ret = fill_addr(&sa, path);

	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno != EADDRINUSE)
			goto fail;
		if (shim_socket_alive(path)) {
			close(fd);
			*out = -1;
			return 0;
		}
		/* A crashed shim left it behind; it would block the group forever. */
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			goto fail;
	}
	if (chmod(path, 0600) || listen(fd, 128))
		goto fail;
	*out = fd;
	return 0;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

int shim_socket_listen(const char *path, int *fd, struct husk_error **err)
{
	char dir[PATH_MAX];
	char *slash;
	int dfd, ret;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return husk_err(err, EINVAL, "socket path %s", path);
	*slash = '\0';
	ret = mkdir_p(dir, 0700);
	if (ret)
		return husk_err(err, -ret, "mkdir %s", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_err(err, errno, "open %s", dir);
	/* Held until listen(): a concurrent start then sees a live socket. */
	flock(dfd, LOCK_EX);
	ret = bind_listen(path, fd);
	close(dfd);
	if (ret)
		return husk_err(err, -ret, "listen on %s", path);
	return 0;
}

int shim_address_write(const char *dir, const char *path, struct husk_error **err)
{
	char file[PATH_MAX], tmp[PATH_MAX + 16];
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s", dir, SHIM_ADDRESS_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", file, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return husk_err(err, errno, "create %s", tmp);
	fprintf(f, "unix://%s", path);
	if (fclose(f)) {
		unlink(tmp);
		return husk_err(err, errno, "write %s", tmp);
	}
	if (rename(tmp, file)) {
		int e = errno;

		unlink(tmp);
		return husk_err(err, e, "rename %s", file);
	}
	return 0;
}

int shim_address_read(const char *dir, char *buf, size_t len)
{
	char file[PATH_MAX], raw[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/%s", dir, SHIM_ADDRESS_FILE);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	raw[n] = '\0';
	raw[strcspn(raw, "\r\n")] = '\0';
	if (snprintf(buf, len, "%s", ttrpc_unix_path(raw)) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}
