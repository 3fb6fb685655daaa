// SPDX-License-Identifier: Apache-2.0
/* sandbox_net_etc.c - hosts, resolv.conf and hostname for the VM (sandbox_net_etc.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"
#include "shim/net/sandbox_net_etc.h"

char *sandbox_net_etc_read(const char *path)
{
	char *buf = malloc(SANDBOX_NET_ETC_MAX + 1);
	size_t len = 0;
	ssize_t n = 0;
	struct stat st;
	/* O_NONBLOCK: a FIFO there must not hang the shim (only files are read). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0 || !buf || fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto fail;
	while (len <= SANDBOX_NET_ETC_MAX &&
	       (n = read(fd, buf + len, SANDBOX_NET_ETC_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len > SANDBOX_NET_ETC_MAX || memchr(buf, '\0', len))
		goto fail;
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

void sandbox_net_etc_clear(struct sandbox_net_etc *etc)
{
	free(etc->hosts);
	free(etc->resolv);
	free(etc->hostname);
	memset(etc, 0, sizeof(*etc));
}
