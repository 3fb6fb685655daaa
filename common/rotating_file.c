// SPDX-License-Identifier: Apache-2.0
/* rotating_file.c - a size-capped log file with one rotated file PATH.1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rotating_file.h"

static int rotating_file_reopen(struct rotating_file *rf, bool truncate)
{
	struct stat st;

	rf->fd = open(rf->path,
		      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
		      rf->mode);
	if (rf->fd < 0)
		return -errno;
	rf->size = fstat(rf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int rotating_file_open(struct rotating_file *rf, const char *path, uint64_t max_bytes,
		       bool truncate, mode_t mode, struct husk_error **err)
{
	int ret;

	memset(rf, 0, sizeof(*rf));
	rf->fd = -1;
	rf->mode = mode;
	rf->max_bytes = max_bytes;
	rf->path = strdup(path);
	if (!rf->path || asprintf(&rf->old_path, "%s.1", path) < 0) {
		rf->old_path = NULL;
		free(rf->path);
		rf->path = NULL;
		return husk_err(err, ENOMEM, "console file %s", path);
	}
	/* A fresh start: PATH.1 left from an earlier writer is not this one's. */
	if (truncate)
		unlink(rf->old_path);
	ret = rotating_file_reopen(rf, truncate);
	if (ret < 0) {
		rotating_file_close(rf);
		return husk_err(err, ret, "open %s", path);
	}
	return 0;
}

/*
 * PATH becomes PATH.1 and a new PATH starts. When the rename fails PATH is
 * emptied instead: the cap holds, the older text is lost.
 */
static void rotating_file_rotate(struct rotating_file *rf)
{
	rf->rotations++;
	if (rename(rf->path, rf->old_path) == 0) {
		close(rf->fd);
		if (rotating_file_reopen(rf, true) < 0)
			rf->fd = -1;
		return;
	}
	if (ftruncate(rf->fd, 0) == 0)
		rf->size = 0;
}

/* How many of @len bytes fit before the cap (rotating first when full). */
static size_t rotating_file_room(struct rotating_file *rf, size_t len)
{
	if (!rf->max_bytes)
		return len;
	if (rf->size >= rf->max_bytes)
		rotating_file_rotate(rf);
	if (rf->fd < 0 || rf->size >= rf->max_bytes)
		return 0;
	return rf->max_bytes - rf->size < len ? (size_t)(rf->max_bytes - rf->size) : len;
}

void rotating_file_write(struct rotating_file *rf, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t room;
	ssize_t n;

	while (len && rf->fd >= 0) {
		room = rotating_file_room(rf, len);
		if (!room)
			break;
		n = write(rf->fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a full disk: drop, never wait */
		rf->size += (uint64_t)n;
		p += n;
		len -= (size_t)n;
	}
	rf->dropped += len;
}

void rotating_file_close(struct rotating_file *rf)
{
	/* A zeroed struct (path NULL) was never opened: its fd 0 is not ours. */
	if (rf->path && rf->fd >= 0)
		close(rf->fd);
	rf->fd = -1;
	free(rf->path);
	free(rf->old_path);
	rf->path = rf->old_path = NULL;
}

int rotating_file_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
