// SPDX-License-Identifier: Apache-2.0
/* relay.c - non-blocking one-way byte pumps (see relay.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/clock.h"
#include "guest-init/system/list.h"
#include "guest-init/stdio/relay.h"

static void relay_finish(struct relay *r)
{
	loop_set(r->epfd, &r->rw, 0);
	loop_set(r->epfd, &r->ww, 0);
	close(r->rw.fd);
	close(r->ww.fd);
	if (r->count)
		r->count->ended = true;
	if (r->owner)
		*r->owner = NULL;
	free(r);
}

/* Wait for the source (buffer empty) or for the destination (buffer full). */
static void relay_wait(struct relay *r, bool for_dst)
{
	r->wait_dst = for_dst;
	if (loop_set(r->epfd, &r->rw, for_dst ? 0 : EPOLLIN) < 0 ||
	    loop_set(r->epfd, &r->ww, for_dst ? EPOLLOUT : 0) < 0)
		relay_finish(r); /* cannot wait: end the stream, not PID 1 */
}

static void relay_progress(struct relay *r, size_t moved)
{
	if (!r->count)
		return;
	r->count->moved += moved;
	r->count->progress_ms = husk_now_ms();
}

/* Returns 1 when the buffer got data, 0 at EOF, -1 when it must wait. */
static int relay_fill(struct relay *r)
{
	ssize_t n = read(r->rw.fd, r->buf, sizeof(r->buf));

	if (n > 0) {
		r->off = 0;
		r->len = (size_t)n;
		relay_progress(r, 0);
		return 1;
	}
	if (n < 0 && errno == EAGAIN && r->end_when_idle)
		n = 0;
	else if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	/* 0, or an error such as EIO from a pty master whose slave closed */
	r->eof = true;
	return 0;
}

/* Returns 0 when the buffer is flushed (or dropped), -1 when it must wait. */
static int relay_flush(struct relay *r)
{
	ssize_t n;

	while (r->off < r->len) {
		if (r->drain) {
			r->off = r->len;
			break;
		}
		n = write(r->ww.fd, r->buf + r->off, r->len - r->off);
		if (n > 0) {
			r->off += (size_t)n;
			relay_progress(r, (size_t)n);
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return -1;
		} else if (r->drain_on_error) {
			r->drain = true;
		} else {
			r->eof = true;
			r->off = r->len;
		}
	}
	return 0;
}

static void relay_pump(struct relay *r)
{
	int burst;

	for (burst = 0; burst < RELAY_BURST; burst++) {
		if (relay_flush(r) < 0) {
			relay_wait(r, true);
			return;
		}
		if (r->eof) {
			relay_finish(r);
			return;
		}
		if (relay_fill(r) < 0) {
			relay_wait(r, false);
			return;
		}
	}
	/* burst used up: come back through the loop, after other work */
	relay_wait(r, r->off < r->len);
}

static void relay_on_src(struct watch *w, uint32_t ev)
{
	relay_pump(container_of(w, struct relay, rw));
}

static void relay_on_dst(struct watch *w, uint32_t ev)
{
	relay_pump(container_of(w, struct relay, ww));
}

int relay_new(int epfd, int src, int dst, bool drain_on_error, struct relay **owner,
	      struct relay_count *count, struct husk_error **e)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (!r) {
		close(src);
		close(dst);
		count->ended = true;
		return husk_err(e, ENOMEM, "stdio relay");
	}
	r->epfd = epfd;
	r->rw = (struct watch){ .fd = src, .fn = relay_on_src };
	r->ww = (struct watch){ .fd = dst, .fn = relay_on_dst };
	r->drain_on_error = drain_on_error;
	r->owner = owner;
	*owner = r;
	r->count = count;
	count->progress_ms = husk_now_ms();
	if (fcntl(src, F_SETFL, fcntl(src, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(dst, F_SETFL, fcntl(dst, F_GETFL) | O_NONBLOCK) < 0) {
		husk_err(e, errno, "stdio relay: O_NONBLOCK");
		relay_finish(r);
		return -husk_error_errno(*e);
	}
	relay_pump(r);
	return 0;
}

void relay_end_input(struct relay *r)
{
	r->end_when_idle = true;
	relay_pump(r);
}

void relay_close(struct relay *r)
{
	relay_finish(r);
}

void relay_detach(struct relay *r)
{
	r->owner = NULL;
	r->count = NULL;
}

enum amsg_relay_state relay_state(const struct relay *r, uint64_t *buffered)
{
	*buffered = r->len - r->off;
	if (r->drain)
		return AMSG_RELAY_DRAINING;
	return r->wait_dst ? AMSG_RELAY_WAIT_DST : AMSG_RELAY_WAIT_SRC;
}
