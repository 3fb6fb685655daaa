// SPDX-License-Identifier: Apache-2.0
/*
 * forward.c - PORT_CONNECT: a connection's first message asks for a TCP
 * connection to 127.0.0.1:port in the VM's network namespace (Kubernetes
 * port-forward). The connect is non-blocking and completes through the
 * event loop (a timerfd bounds it), so a port that never answers stalls
 * nothing else. Meanwhile the host connection is paused: it may carry
 * nothing until the reply. Then the OK reply, and both sockets go to a
 * duplex pump (stdio/duplex.c); or the ERROR reply, and the connection
 * closes once it is flushed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "guest-init/requests/handlers.h"
#include "guest-init/replies/replies.h"
#include "guest-init/stdio/duplex.h"

struct fwd_connect {
	struct watch sw, tw; /* the TCP socket (writable = done), the timeout */
	struct conn *c;
	uint64_t id;
	int port;
};

static void fwd_free(struct fwd_connect *f, bool close_sock)
{
	loop_set(f->c->ag->epfd, &f->sw, 0);
	loop_set(f->c->ag->epfd, &f->tw, 0);
	if (close_sock)
		close(f->sw.fd);
	if (f->tw.fd >= 0)
		close(f->tw.fd);
	free(f);
}

/* The host connection leaves frames behind: its socket joins the TCP one. */
static int fwd_start(struct conn *c, uint64_t id, int sock, yajl_gen g, struct husk_error **e)
{
	reply_ok(c, id, g);
	if (c->out_len) {
		/* a fresh socket cannot be this full; refuse rather than mix */
		close(sock);
		c->ag->forwards--;
		c->closing = true;
		return 0;
	}
	return duplex_new(c->ag->epfd, conn_take_fd(c), sock, &c->ag->forwards, e);
}

/* A deferred connect ended (@err 0: connected); reply and resume @c. */
static void fwd_done(struct fwd_connect *f, int err)
{
	struct conn *c = f->c;
	struct husk_error *e = NULL;
	yajl_gen g = err ? NULL : reply_gen();
	uint64_t id = f->id;
	int sock = f->sw.fd, port = f->port;

	c->paused = false;
	fwd_free(f, err || !g);
	if (!err && !g)
		err = ENOMEM;
	if (err) {
		c->ag->forwards--;
		husk_err(&e, err, "connect 127.0.0.1:%d", port);
		reply_err(c, id, e);
		c->closing = true;
	} else if (fwd_start(c, id, sock, g, &e) < 0) {
		log_err(e, "port forward");
	}
	husk_error_free(e);
	if (c->handed)
		conn_close(c); /* nothing holds it: we run from the forward's watch */
	else
		conn_watch(c);
}

static void fwd_on_sock(struct watch *w, uint32_t ev)
{
	struct fwd_connect *f = container_of(w, struct fwd_connect, sw);
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	else if (!err && (ev & (EPOLLERR | EPOLLHUP)))
		err = ECONNREFUSED; /* an error without a code: say what it looks like */
	fwd_done(f, err);
}

static void fwd_on_timer(struct watch *w, uint32_t ev)
{
	fwd_done(container_of(w, struct fwd_connect, tw), ETIMEDOUT);
}

/* Wait for the connect in progress on @sock, for at most the timeout. */
static int fwd_defer(struct conn *c, uint64_t id, int port, int sock, struct husk_error **e)
{
	struct itimerspec its = { .it_value = {
					  .tv_sec = HUSK_AGENT_FORWARD_TIMEOUT_MS / 1000,
					  .tv_nsec = HUSK_AGENT_FORWARD_TIMEOUT_MS % 1000 *
						     1000000L,
				  } };
	struct fwd_connect *f = calloc(1, sizeof(*f));

	if (!f)
		return husk_err(e, ENOMEM, "connect 127.0.0.1:%d", port);
	*f = (struct fwd_connect){ .c = c, .id = id, .port = port };
	f->sw = (struct watch){ .fd = sock, .fn = fwd_on_sock };
	f->tw = (struct watch){ .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
				.fn = fwd_on_timer };
	if (f->tw.fd < 0 || timerfd_settime(f->tw.fd, 0, &its, NULL) < 0 ||
	    loop_set(c->ag->epfd, &f->tw, EPOLLIN) < 0 ||
	    loop_set(c->ag->epfd, &f->sw, EPOLLOUT) < 0) {
		husk_err(e, errno, "connect 127.0.0.1:%d: wait for it", port);
		fwd_free(f, false);
		return -husk_error_errno(*e);
	}
	c->paused = true; /* no more frames, and no close, until fwd_done */
	return 0;
}

int handle_port_connect(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g,
			struct husk_error **e)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)m->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int port = (int)m->port, sock, ret;

	if (c->ag->forwards >= HUSK_AGENT_MAX_FORWARDS)
		return husk_err(e, EMFILE, "port %d: %d port forwards are open already", port,
				c->ag->forwards);
	sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return husk_err(e, errno, "connect 127.0.0.1:%d: socket", port);
	c->ag->forwards++;
	if (connect(sock, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		if (fwd_start(c, id, sock, g, e) < 0)
			log_err(*e, "port forward");
		return HANDLER_DONE;
	}
	ret = errno == EINPROGRESS ? fwd_defer(c, id, port, sock, e) :
				     husk_err(e, errno, "connect 127.0.0.1:%d", port);
	if (ret < 0) {
		close(sock);
		c->ag->forwards--;
		return ret;
	}
	return HANDLER_DEFERRED;
}
