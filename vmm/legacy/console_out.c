// SPDX-License-Identifier: Apache-2.0
/* console_out.c - guest console bytes to the embedder's fd, dropped rather than waited for. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/legacy/console_out.h"

/* Non-blocking calls do not sleep, so EINTR is rare; a few tries bound it. */
#define CONSOLE_OUT_TRIES 3

/*
 * A second open file description of the same pipe, non-blocking: the
 * embedder's description (and its flags) stay as they were. -1 when
 * /proc is not there or the pipe is not ours to open.
 */
static int console_out_reopen(int fd)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

static enum console_out_way console_out_pick(struct console_out *co, int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return CONSOLE_OUT_POLL;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return CONSOLE_OUT_WRITE;
	if (S_ISSOCK(st.st_mode))
		return CONSOLE_OUT_SEND;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return CONSOLE_OUT_WRITE;
	if (S_ISFIFO(st.st_mode)) {
		co->own_fd = console_out_reopen(fd);
		if (co->own_fd >= 0) {
			co->fd = co->own_fd;
			return CONSOLE_OUT_WRITE;
		}
	}
	/* A terminal: opening it again could make a new pty (ptmx), so poll. */
	return CONSOLE_OUT_POLL;
}

void console_out_init(struct console_out *co, int fd)
{
	co->fd = fd;
	co->own_fd = -1;
	co->dropped = 0;
	co->way = fd < 0 ? CONSOLE_OUT_NONE : console_out_pick(co, fd);
}

static int console_out_room(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

/* One attempt at @len bytes: how many went, or -1 with errno. */
static ssize_t console_out_once(struct console_out *co, const uint8_t *buf, size_t len)
{
	switch (co->way) {
	case CONSOLE_OUT_SEND:
		return send(co->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case CONSOLE_OUT_POLL:
		/* Room for one byte is all poll promises on a terminal. */
		if (!console_out_room(co->fd)) {
			errno = EAGAIN;
			return -1;
		}
		return write(co->fd, buf, 1);
	default:
		return write(co->fd, buf, len);
	}
}

void console_out_write(struct console_out *co, const uint8_t *buf, size_t len)
{
	unsigned int eintr = 0;
	ssize_t n;

	if (co->way == CONSOLE_OUT_NONE)
		return;
	while (len) {
		n = console_out_once(co, buf, len);
		if (n < 0 && errno == EINTR && ++eintr < CONSOLE_OUT_TRIES)
			continue;
		if (n <= 0)
			break; /* full (EAGAIN), closed (EPIPE) or broken: drop */
		buf += n;
		len -= (size_t)n;
	}
	if (len)
		__atomic_add_fetch(&co->dropped, len, __ATOMIC_RELAXED);
}

uint64_t console_out_dropped(const struct console_out *co)
{
	return __atomic_load_n(&co->dropped, __ATOMIC_RELAXED);
}

void console_out_fini(struct console_out *co)
{
	if (co->own_fd >= 0)
		close(co->own_fd);
	co->own_fd = -1;
	co->fd = -1;
	co->way = CONSOLE_OUT_NONE;
}
