// SPDX-License-Identifier: Apache-2.0
/* console_tail.c - the last lines of a console log (console_tail.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/sandbox/console_tail.h"

/*
 * The last @max lines of @buf, each ended in place by a NUL: their starts
 * into @start, oldest first. @cut_first: @buf starts mid-file, so its
 * first line is cut and left out.
 */
static size_t split_lines(char *buf, size_t len, size_t max, char **start, bool cut_first)
{
	size_t n = 0, i, at = 0;
	char *p;

	if (cut_first) {
		p = memchr(buf, '\n', len);
		at = p ? (size_t)(p - buf) + 1 : len;
	}
	while (at < len) {
		p = memchr(buf + at, '\n', len - at);
		i = p ? (size_t)(p - buf) : len;
		buf[i] = '\0';
		if (n == max) {
			memmove(start, start + 1, (max - 1) * sizeof(*start));
			n--;
		}
		start[n++] = buf + at;
		at = i + 1;
	}
	return n;
}

static void printable(char *line)
{
	size_t len = strlen(line);

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	for (; *line; line++)
		if ((unsigned char)*line < 0x20 || *line == 0x7f)
			*line = '?';
}

int console_tail(const char *path, size_t max_lines, void (*fn)(void *opaque, const char *line),
		 void *opaque)
{
	char buf[CONSOLE_TAIL_BYTES + 1], *start[CONSOLE_TAIL_LINES];
	size_t n, i, given = 0;
	struct stat st;
	off_t from;
	ssize_t got;
	int fd;

	if (!max_lines)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	from = st.st_size > CONSOLE_TAIL_BYTES ? st.st_size - CONSOLE_TAIL_BYTES : 0;
	got = pread(fd, buf, CONSOLE_TAIL_BYTES, from);
	close(fd);
	if (got < 0)
		return -errno;
	if (max_lines > CONSOLE_TAIL_LINES)
		max_lines = CONSOLE_TAIL_LINES;
	n = split_lines(buf, (size_t)got, max_lines, start, from > 0);
	for (i = 0; i < n; i++) {
		printable(start[i]);
		if (*start[i]) {
			fn(opaque, start[i]);
			given++;
		}
	}
	return (int)given;
}
