// SPDX-License-Identifier: Apache-2.0
/* shim_log.c - logfmt lines on fd 2, never blocking (see shim_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim/base/shim_log.h"

static enum shim_log_level log_level = SHIM_LOG_WARN;
static char log_id[128];

static const char *const level_names[] = { "error", "warning", "info", "debug" };

enum shim_log_level shim_log_get_level(void)
{
	return log_level;
}

void shim_log_set_level(enum shim_log_level level)
{
	log_level = level;
}

void shim_log_set_id(const char *id)
{
	snprintf(log_id, sizeof(log_id), "%s", id ? id : "");
}

/* Quote @msg for logfmt: escape backslash, quote and control bytes. */
static size_t quote(char *out, size_t cap, const char *msg)
{
	size_t o = 0;

	for (; *msg && o + 5 < cap; msg++) {
		unsigned char ch = (unsigned char)*msg;

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
	return o;
}

void shim_log(enum shim_log_level level, const char *fmt, ...)
{
	char msg[1024], q[2048], line[2400], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	quote(q, sizeof(q), msg);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line),
		     "time=\"%s.%09ldZ\" level=%s msg=\"%s\"%s%s runtime=io.containerd.husk.v2\n",
		     ts, now.tv_nsec, level_names[level], q, *log_id ? " id=" : "", log_id);
	if (n > (int)sizeof(line))
		n = sizeof(line);
	/* One write per line; a full pipe drops the line (EAGAIN). */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
	}
}

int shim_log_open_fifo(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st))
		return -errno;
	if (!S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode))
		return -EINVAL;
	/*
	 * containerd holds the FIFO open O_RDWR, so a non-blocking O_WRONLY
	 * open succeeds at once; ENXIO means nobody reads it.
	 */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_APPEND);
	if (fd < 0)
		return -errno;
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}
