// SPDX-License-Identifier: Apache-2.0
/* duplex.c - two-way non-blocking byte pump between sockets (see duplex.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-init/system/list.h"
#include "guest-init/stdio/duplex.h"

static void duplex_finish(struct duplex *x)
{
	int i;

	for (i = 0; i < 2; i++) {
		loop_set(x->epfd, &x->w[i], 0);
		close(x->w[i].fd);
	}
	if (x->live)
		(*x->live)--;
	free(x);
}

/* What socket @i waits for: input while its direction's buffer is empty,
 * output while the other direction has bytes for it. */
static uint32_t duplex_events(const struct duplex *x, int i)
{
	const struct duplex_dir *in = &x->d[i], *out = &x->d[1 - i];
	uint32_t ev = 0;

	if (!in->eof && in->off == in->len)
		ev |= EPOLLIN;
	if (out->off < out->len)
		ev |= EPOLLOUT;
	return ev;
}

/* Returns 0 when the buffer is empty, 1 when the destination is full,
 * -1 on a write error (the peer is gone). */
static int duplex_flush(struct duplex *x, int i)
{
	struct duplex_dir *d = &x->d[i];
	ssize_t n;

	while (d->off < d->len) {
		n = send(x->w[1 - i].fd, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
		if (n > 0)
			d->off += (size_t)n;
		else if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 1;
		else
			return -1;
	}
	return 0;
}

/* Move what direction @i can move now. Returns -1 when the duplex must end. */
static int duplex_pump_dir(struct duplex *x, int i)
{
	struct duplex_dir *d = &x->d[i];
	ssize_t n;
	int burst, ret;

	for (burst = 0; burst < DUPLEX_BURST && !d->done; burst++) {
		ret = duplex_flush(x, i);
		if (ret)
			return ret < 0 ? -1 : 0;
		if (d->eof) {
			/* the peer sees EOF, and can still answer the other way */
			shutdown(x->w[1 - i].fd, SHUT_WR);
			d->done = true;
			return 0;
		}
		n = recv(x->w[i].fd, d->buf, sizeof(d->buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n < 0)
			return -1; /* reset: forwarding on would lose bytes silently */
		d->off = 0;
		d->len = (size_t)n;
		d->eof = n == 0;
	}
	return 0;
}

static void duplex_pump(struct duplex *x)
{
	int i;

	if (duplex_pump_dir(x, 0) < 0 || duplex_pump_dir(x, 1) < 0 ||
	    (x->d[0].done && x->d[1].done)) {
		duplex_finish(x);
		return;
	}
	for (i = 0; i < 2; i++)
		if (loop_set(x->epfd, &x->w[i], duplex_events(x, i)) < 0) {
			duplex_finish(x); /* cannot wait: end this forward, not PID 1 */
			return;
		}
}

static void duplex_on_a(struct watch *w, uint32_t ev)
{
	duplex_pump(container_of(w, struct duplex, w[0]));
}

static void duplex_on_b(struct watch *w, uint32_t ev)
{
	duplex_pump(container_of(w, struct duplex, w[1]));
}

int duplex_new(int epfd, int a, int b, int *live, struct husk_error **e)
{
	struct duplex *x = malloc(sizeof(*x));

	if (!x) {
		close(a);
		close(b);
		if (live)
			(*live)--;
		return husk_err(e, ENOMEM, "port forward buffers");
	}
	x->epfd = epfd;
	x->live = live;
	x->w[0] = (struct watch){ .fd = a, .fn = duplex_on_a };
	x->w[1] = (struct watch){ .fd = b, .fn = duplex_on_b };
	x->d[0].off = x->d[0].len = x->d[1].off = x->d[1].len = 0;
	x->d[0].eof = x->d[0].done = x->d[1].eof = x->d[1].done = false;
	if (fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK) < 0) {
		husk_err(e, errno, "port forward: O_NONBLOCK");
		duplex_finish(x);
		return -husk_error_errno(*e);
	}
	duplex_pump(x);
	return 0;
}
