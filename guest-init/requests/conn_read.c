// SPDX-License-Identifier: Apache-2.0
/*
 * conn_read.c - the listening socket and the input side of connections:
 * exact-length reads of a header, then of its payload, so nothing past a
 * STDIO_BIND or PORT_CONNECT frame is ever consumed; the header is checked
 * before the payload buffer (at most HUSK_AGENT_MAX_PAYLOAD) is allocated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "guest-init/replies/replies.h"
#include "guest-init/requests/requests.h"

#define CONN_MAX    256
#define CONN_FRAMES 16 /* frames per wake-up, then others get a turn */

static void conn_fail(struct conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An ERROR reply, after which the connection closes. */
static void conn_fail(struct conn *c, int code, const char *fmt, ...)
{
	struct husk_error *e = NULL;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	husk_err_received(&e, code, "%s", msg);
	reply_err(c, c->hdr.id, e);
	husk_error_free(e);
	c->closing = true;
}

static void conn_frame_done(struct conn *c)
{
	struct husk_agent_hdr h = c->hdr;
	uint8_t *payload = c->payload;
	struct husk_error *e = NULL;

	c->payload = NULL;
	c->hdr_len = c->got = 0;
	if (c->skip) {
		c->skip = false;
		husk_err(&e, EPROTONOSUPPORT, "protocol version %u (husk-init speaks %u)",
			 h.version, HUSK_AGENT_VERSION);
		reply_err(c, h.id, e);
	} else if ((h.type == HUSK_MSG_STDIO_BIND || h.type == HUSK_MSG_PORT_CONNECT) && c->used) {
		husk_err(&e, EPROTO, "%s must be a connection's first message",
			 husk_agent_type_name(h.type));
		reply_err(c, h.id, e);
	} else {
		c->used = true;
		dispatch(c, &h, payload);
		/* a refused PORT_CONNECT ends its connection: it has no other use */
		if (h.type == HUSK_MSG_PORT_CONNECT && !c->handed && !c->paused)
			c->closing = true;
	}
	husk_error_free(e);
	free(payload);
}

/* Header bytes; returns 1 when a frame's header is complete and accepted. */
static int conn_read_hdr(struct conn *c)
{
	ssize_t n = read(c->w.fd, c->hdr_buf + c->hdr_len, HUSK_AGENT_HDR_SIZE - c->hdr_len);
	int ret;

	if (n <= 0)
		return (int)n;
	c->hdr_len += (size_t)n;
	ret = husk_agent_hdr_decode(c->hdr_buf, c->hdr_len, &c->hdr);
	if (ret == -EAGAIN)
		return 2;
	if (ret == -EPROTO || ret == -EMSGSIZE) {
		conn_fail(c, -ret,
			  ret == -EPROTO ? "bad magic 0x%08x: not a husk frame" :
					   "payload of %u bytes is above the limit",
			  ret == -EPROTO ? c->hdr.magic : c->hdr.length);
		errno = EPROTO;
		return -1;
	}
	c->skip = ret == -EPROTONOSUPPORT;
	c->payload = malloc(c->hdr.length ? c->hdr.length : 1);
	if (!c->payload) {
		conn_fail(c, ENOMEM, "payload of %u bytes", c->hdr.length);
		errno = ENOMEM;
		return -1;
	}
	return 1;
}

/* Returns <0 with errno (EAGAIN: wait), 0 at EOF, or 1 (progress). */
static int conn_read_some(struct conn *c)
{
	ssize_t n;
	int ret;

	if (c->hdr_len < HUSK_AGENT_HDR_SIZE || !c->payload) {
		ret = conn_read_hdr(c);
		if (ret <= 0 || ret == 2)
			return ret == 2 ? 1 : ret;
	}
	if (c->got < c->hdr.length) {
		n = read(c->w.fd, c->payload + c->got, c->hdr.length - c->got);
		if (n <= 0)
			return (int)n;
		c->got += (size_t)n;
	}
	if (c->got == c->hdr.length)
		conn_frame_done(c);
	return 1;
}

static void conn_eof(struct conn *c)
{
	if (c->hdr_len < HUSK_AGENT_HDR_SIZE)
		c->hdr.id = 0; /* the id never arrived */
	if (c->hdr_len)
		conn_fail(
			c, EPROTO,
			"connection ended inside a message (%zu of %u payload bytes, %zu of %d header bytes)",
			c->got, c->hdr.length, c->hdr_len, HUSK_AGENT_HDR_SIZE);
	c->closing = true;
}

static void conn_read(struct conn *c)
{
	int i, ret;

	for (i = 0; i < CONN_FRAMES * 3 && !c->closing && !c->handed && !c->paused; i++) {
		ret = conn_read_some(c);
		if (ret == 0) {
			conn_eof(c);
		} else if (ret < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->closing = true;
			return;
		}
	}
}

static void conn_on_event(struct watch *w, uint32_t ev)
{
	struct conn *c = container_of(w, struct conn, w);

	if (ev & EPOLLOUT)
		conn_flush(c);
	if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->closing)
		conn_read(c);
	/* a paused conn belongs to its PORT_CONNECT until the connect ends */
	if (!c->handed && !c->closing && !c->paused && (ev & EPOLLERR))
		c->closing = true;
	if (!c->handed)
		conn_flush(c);
	if (c->handed || (c->closing && !c->out_len)) {
		conn_close(c);
		return;
	}
	conn_watch(c);
}

static int conn_count(struct agent *ag)
{
	struct list *pos, *tmp;
	int n = 0;

	list_for_each_safe(pos, tmp, &ag->conns)
		n++;
	return n;
}

static void conn_on_accept(struct watch *w, uint32_t ev)
{
	struct agent *ag = container_of(w, struct agent, listen_w);
	struct conn *c;
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			usleep(10000); /* out of fds: do not spin on the ready listener */
		return;
	}
	c = conn_count(ag) < CONN_MAX ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->ag = ag;
	c->w = (struct watch){ .fd = fd, .fn = conn_on_event };
	list_add_tail(&ag->conns, &c->link);
	conn_watch(c);
}

static int conn_socket(const char *spec, struct husk_error **e)
{
	struct sockaddr_vm vm = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	bool is_vsock = strncmp(spec, "vsock:", 6) == 0;
	int fd;

	if (!is_vsock && strncmp(spec, "unix:", 5) != 0)
		return husk_err(e, 0, "listen address \"%s\" is not vsock:PORT or unix:PATH", spec);
	if (!is_vsock && strlen(spec + 5) >= sizeof(un.sun_path))
		return husk_err(e, ENAMETOOLONG, "%s", spec);
	fd = socket(is_vsock ? AF_VSOCK : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return husk_err(e, errno, "socket for %s", spec);
	if (is_vsock) {
		vm.svm_port = (unsigned int)strtoul(spec + 6, NULL, 10);
	} else {
		strcpy(un.sun_path, spec + 5);
		unlink(un.sun_path);
	}
	if ((is_vsock ? bind(fd, (struct sockaddr *)&vm, sizeof(vm)) :
			bind(fd, (struct sockaddr *)&un, sizeof(un))) < 0 ||
	    listen(fd, 64) < 0) {
		husk_err(e, errno, "listen on %s", spec);
		close(fd);
		return -husk_error_errno(*e);
	}
	return fd;
}

int conn_listen(struct agent *ag, struct husk_error **e)
{
	int fd = conn_socket(ag->listen, e);

	if (fd < 0)
		return fd;
	ag->listen_w = (struct watch){ .fd = fd, .fn = conn_on_accept };
	if (loop_set(ag->epfd, &ag->listen_w, EPOLLIN) < 0) {
		close(fd);
		return husk_err(e, errno, "watch %s", ag->listen);
	}
	return 0;
}
