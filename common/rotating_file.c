// SPDX-License-Identifier: Apache-2.0
/*
 * rotating_file.c - a size-capped log file with one rotated file PATH.1,
 * rotated by copying and truncating fds opened up front.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rotating_file.h"

/* One of the two files; -errno with @err set ("open PATH: ...") on failure. */
static int rotating_file_open_one(const char *path, int flags, mode_t mode, struct husk_error **err)
{
	int fd = open(path, flags | O_CREAT | O_CLOEXEC, mode);

	return fd >= 0 ? fd : husk_err(err, errno, "open %s", path);
}

/*
 * Both files are opened here, on the caller's thread: rotation runs in the
 * VMM's console callback, on a vCPU thread that may not open or rename
 * files (HUSK_VM_SECCOMP), so it only copies and truncates these fds.
 * PATH is read back when it rotates, so it is opened read-write.
 */
int rotating_file_open(struct rotating_file *rf, const char *path, uint64_t max_bytes,
		       bool truncate, mode_t mode, struct husk_error **err)
{
	int trunc = truncate ? O_TRUNC : 0;
	struct stat st;

	memset(rf, 0, sizeof(*rf));
	rf->fd = rf->old_fd = -1;
	rf->max_bytes = max_bytes;
	rf->path = strdup(path);
	if (!rf->path || asprintf(&rf->old_path, "%s.1", path) < 0) {
		rf->old_path = NULL;
		free(rf->path);
		rf->path = NULL;
		return husk_err(err, ENOMEM, "console file %s", path);
	}
	/* A fresh start without a cap: PATH.1 left from an earlier writer is not this one's. */
	if (truncate && !max_bytes)
		unlink(rf->old_path);
	rf->fd = rotating_file_open_one(path, O_RDWR | O_APPEND | trunc, mode, err);
	if (rf->fd >= 0 && max_bytes) {
		rf->old_fd = rotating_file_open_one(rf->old_path, O_RDWR | trunc, mode, err);
		rf->copy_buf = malloc(ROTATING_FILE_COPY_BUF);
		if (rf->old_fd >= 0 && !rf->copy_buf)
			rf->old_fd = husk_err(err, ENOMEM, "console file %s", path);
	}
	if (rf->fd < 0 || (max_bytes && rf->old_fd < 0)) {
		int ret = rf->fd < 0 ? rf->fd : rf->old_fd;

		rotating_file_close(rf);
		return ret;
	}
	rf->size = fstat(rf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* PATH's @size bytes over PATH.1's. 0, or -1 when a read or write failed. */
static int rotating_file_copy_to_old(struct rotating_file *rf)
{
	uint64_t off = 0;
	ssize_t n;

	if (ftruncate(rf->old_fd, 0) < 0)
		return -1;
	while (off < rf->size) {
		n = pread(rf->fd, rf->copy_buf, ROTATING_FILE_COPY_BUF, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || pwrite(rf->old_fd, rf->copy_buf, (size_t)n, (off_t)off) != n)
			return -1;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * PATH's text becomes PATH.1's and PATH starts empty (appends then go at
 * its start again). When the copy fails PATH is emptied all the same: the
 * cap holds, the older text is lost.
 */
static void rotating_file_rotate(struct rotating_file *rf)
{
	rf->rotations++;
	rotating_file_copy_to_old(rf);
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
	if (rf->path && rf->old_fd >= 0)
		close(rf->old_fd);
	rf->fd = rf->old_fd = -1;
	free(rf->copy_buf);
	rf->copy_buf = NULL;
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
