// SPDX-License-Identifier: Apache-2.0
/*
 * port_forward_copy.c - one forwarded connection's bytes, both ways, on
 * the connection's thread (port_forward.h). Each direction has one
 * bounded buffer: a side is read only while its buffer is empty, so a
 * slow reader holds back its writer (TCP's and vsock's own flow control)
 * instead of growing memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/net/port_forward.h"

/* One direction: bytes read from `from` waiting to be written to `to`. */
struct pf_dir {
	int from, to;
	char *buf;
	size_t off, len;
	bool eof;  /* `from` said EOF */
	bool shut; /* and `to` got its SHUT_WR */
};

static int pf_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static bool pf_dir_wants_read(const struct pf_dir *d)
{
	return !d->eof && !d->len;
}

/* Read what there is; 0, or -errno when the side failed. */
static int pf_dir_read(struct pf_dir *d)
{
	ssize_t n = read(d->from, d->buf, PF_BUF_SIZE);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		d->eof = true;
	d->off = 0;
	d->len = (size_t)n;
	return 0;
}

/* Write what is buffered; once drained after EOF, pass the half-close on. */
static int pf_dir_write(struct pf_dir *d)
{
	ssize_t n;

	if (d->len) {
		n = send(d->to, d->buf + d->off, d->len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		d->off += (size_t)n;
		d->len -= (size_t)n;
	}
	if (!d->len && d->eof && !d->shut) {
		/* The peer may have gone already: nothing more to tell it. */
		if (shutdown(d->to, SHUT_WR) < 0 && errno != ENOTCONN)
			return -errno;
		d->shut = true;
	}
	return 0;
}

/*
 * The events @fd is polled for; a side with none is left out (fd -1):
 * a hung-up socket would otherwise wake poll again and again.
 */
static void pf_poll_set(struct pollfd *p, int fd, const struct pf_dir *rd, const struct pf_dir *wr)
{
	p->events = (short)((pf_dir_wants_read(rd) ? POLLIN : 0) | (wr->len ? POLLOUT : 0));
	p->fd = p->events ? fd : -1;
	p->revents = 0;
}

static int pf_step(struct pf_dir *d, const struct pollfd *in)
{
	int ret = 0;

	if (in->revents && pf_dir_wants_read(d))
		ret = pf_dir_read(d);
	/* Write at once after a read: the other side is usually ready. */
	if (!ret && (d->len || (d->eof && !d->shut)))
		ret = pf_dir_write(d);
	return ret;
}

static int pf_loop(struct pf_dir d[2], int stop_fd)
{
	struct pollfd p[3] = { [2] = { .fd = stop_fd, .events = POLLIN } };
	int ret = 0;

	while (!ret && !(d[0].shut && d[1].shut)) {
		pf_poll_set(&p[0], d[0].from, &d[0], &d[1]);
		pf_poll_set(&p[1], d[1].from, &d[1], &d[0]);
		if (poll(p, 3, -1) < 0) {
			ret = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (p[2].revents)
			return -ECANCELED;
		ret = pf_step(&d[0], &p[0]);
		if (!ret)
			ret = pf_step(&d[1], &p[1]);
	}
	return ret;
}

int pf_copy(int a, int b, int stop_fd)
{
	struct pf_dir d[2] = { { .from = a, .to = b }, { .from = b, .to = a } };
	int ret;

	ret = pf_nonblock(a);
	if (!ret)
		ret = pf_nonblock(b);
	if (ret)
		return ret;
	d[0].buf = malloc(PF_BUF_SIZE);
	d[1].buf = malloc(PF_BUF_SIZE);
	ret = d[0].buf && d[1].buf ? pf_loop(d, stop_fd) : -ENOMEM;
	free(d[0].buf);
	free(d[1].buf);
	return ret;
}
