// SPDX-License-Identifier: Apache-2.0
/*
 * conn.c - a connection's output: a bounded queue of frames flushed as
 * the peer reads, and closing. Input framing is in requests/conn_read.c.
 *
 * A conn is freed only from its own event callback, never from inside a
 * send, so replies and events can be sent from anywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-init/replies/replies.h"

#define CONN_OUT_MAX   (16u << 20) /* a peer this far behind is dropped */
#define CONN_OUT_PAUSE (1u << 20)  /* stop reading requests above this */

void conn_watch(struct conn *c)
{
	uint32_t ev = 0;

	if (c->handed)
		return;
	if (c->paused) {
		/* its PORT_CONNECT is connecting: no input, and no output yet */
		loop_set(c->ag->epfd, &c->w, 0);
		return;
	}
	if (!c->closing && c->out_len < CONN_OUT_PAUSE)
		ev |= EPOLLIN;
	if (c->out_len || c->closing)
		ev |= EPOLLOUT;
	if (loop_set(c->ag->epfd, &c->w, ev) < 0)
		c->closing = true;
}

void conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->out_len) {
		n = send(c->w.fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			c->out_len = 0; /* the peer is gone: drop, then close */
			c->closing = true;
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

void conn_send(struct conn *c, unsigned int type, uint64_t id, const void *p, size_t len)
{
	struct husk_agent_hdr h = { HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION,
				    (uint16_t)type,   0,
				    (uint32_t)len,    id };
	size_t need = c->out_len + HUSK_AGENT_HDR_SIZE + len;
	uint8_t *out;

	if (c->handed)
		return;
	if (need > CONN_OUT_MAX || len > HUSK_AGENT_MAX_PAYLOAD) {
		c->out_len = 0;
		c->closing = true;
		conn_watch(c);
		return;
	}
	if (need > c->out_cap) {
		out = realloc(c->out, need * 2);
		if (!out)
			return;
		c->out = out;
		c->out_cap = need * 2;
	}
	husk_agent_hdr_encode(&h, c->out + c->out_len);
	if (len)
		memcpy(c->out + c->out_len + HUSK_AGENT_HDR_SIZE, p, len);
	c->out_len = need;
	conn_flush(c);
	conn_watch(c);
}

static void conn_drop_waiters(struct conn *c)
{
	struct list *cp, *ct, *pp, *pt, *wp, *wt;

	list_for_each_safe(cp, ct, &c->ag->containers) {
		struct container *k = container_of(cp, struct container, link);

		list_for_each_safe(pp, pt, &k->procs) {
			struct proc *p = container_of(pp, struct proc, link);

			list_for_each_safe(wp, wt, &p->waiters) {
				struct waiter *w = container_of(wp, struct waiter, link);

				if (w->conn == c) {
					list_del(&w->link);
					free(w);
				}
			}
		}
	}
}

void conn_close(struct conn *c)
{
	conn_drop_waiters(c);
	if (!c->handed) {
		loop_set(c->ag->epfd, &c->w, 0);
		close(c->w.fd);
	}
	list_del(&c->link);
	free(c->payload);
	free(c->out);
	free(c);
}

int conn_take_fd(struct conn *c)
{
	loop_set(c->ag->epfd, &c->w, 0);
	c->handed = true;
	return c->w.fd;
}
