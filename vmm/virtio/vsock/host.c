// SPDX-License-Identifier: Apache-2.0
/*
 * host.c - the in-process face: connections to guest ports handed
 * out as socketpair ends, and guest connections to host ports, delivered
 * to listener callbacks or (with no listener) dialled on the Unix socket
 * face. Connections reach it only through vsock_host_face.
 *
 * Results are queued as notes under v->lock and delivered by
 * vsock_unlock() (deferred.c) once the lock is dropped, so a callback may call back
 * into the device. A note is allocated when its connection starts, so a
 * result never fails to be delivered for want of memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/virtio/vsock/vsock_internal.h"

/* The connect result for @c (if one is owed): its user end, or @error. */
static void vsock_host_complete(struct vsock_conn *c, int error)
{
	struct vsock_note *n = c->note;

	if (!n)
		return;
	c->note = NULL;
	n->error = error;
	n->fd = error ? -1 : c->user_fd;
	if (error && c->user_fd >= 0)
		close(c->user_fd);
	c->user_fd = -1;
	vsock_note_queue(c->v, n);
}

/* The guest accepted our REQUEST: the caller gets its end. */
static int vsock_host_established(struct vsock_conn *c)
{
	vsock_host_complete(c, 0);
	return 0;
}

/* In-process connections and guest connections to a host port. */
static const struct vsock_face vsock_host_face = {
	.complete = vsock_host_complete,
	.established = vsock_host_established,
};

static int vsock_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* Only the device's end is nonblocking; the user's is theirs to set. */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	return 0;
}

static struct vsock_listener *vsock_listener_find(struct virtio_vsock *v, uint32_t port)
{
	struct vsock_listener *l = v->listeners;

	while (l && l->port != port)
		l = l->next;
	return l;
}

/* A guest REQUEST was accepted onto host fd @fd: answer RESPONSE. */
static struct vsock_conn *vsock_host_incoming(struct virtio_vsock *v, const struct vsock_pkt *p,
					      int fd)
{
	struct vsock_conn *c;

	if (vsock_conn_new(v, fd, &vsock_host_face, true, &c) < 0)
		return NULL;
	c->local_port = p->dst_port;
	c->peer_port = p->src_port;
	c->state = VSOCK_ESTABLISHED;
	c->pend = VSOCK_PEND_RESPONSE;
	vsock_credit_peer(c, p);
	if (vsock_conn_watch(c) < 0) {
		c->fd = -1; /* the caller still owns it */
		vsock_conn_free(c, -ENOMEM);
		return NULL;
	}
	vsock_conn_hash(c);
	vsock_conn_update(c);
	return c;
}

static int vsock_host_accept_local(struct virtio_vsock *v, const struct vsock_pkt *p,
				   const struct vsock_listener *l)
{
	struct vsock_note *n = calloc(1, sizeof(*n));
	int sv[2];

	if (!n || vsock_socketpair(sv) < 0) {
		free(n);
		return -ENOMEM;
	}
	if (!vsock_host_incoming(v, p, sv[0])) {
		close(sv[0]);
		close(sv[1]);
		free(n);
		return -EAGAIN;
	}
	*n = (struct vsock_note){ .accept_fn = l->fn,
				  .opaque = l->opaque,
				  .fd = sv[1],
				  .host_port = p->dst_port,
				  .guest_port = p->src_port };
	vsock_note_queue(v, n);
	return 0;
}

/* A guest REQUEST (5.10.6.5): listener, else "<uds_path>_<port>", else RST. */
void vsock_host_accept(struct virtio_vsock *v, const struct vsock_pkt *p)
{
	const struct vsock_listener *l = vsock_listener_find(v, p->dst_port);
	int fd, ret = -ECONNREFUSED;

	vsock_conn_drop_replies(v, p->src_port, p->dst_port);
	if (!vsock_conn_slot_free(v, true)) {
		log_debug(v->dev.log,
			  "virtio vsock: guest connection %u->%u refused: %u guest slots in use",
			  p->src_port, p->dst_port, v->guest_max);
	} else if (l) {
		ret = vsock_host_accept_local(v, p, l);
	} else if (v->uds_path) {
		fd = vsock_uds_connect(v, p->dst_port);
		ret = fd;
		if (fd >= 0 && !vsock_host_incoming(v, p, fd)) {
			close(fd);
			ret = -EAGAIN;
		}
	}
	if (ret < 0)
		vsock_conn_reply_rst(v, p);
}

/* Under v->lock: a connection on @fd REQUESTing @port; @fd stays ours on failure. */
static int vsock_host_start(struct virtio_vsock *v, int fd, uint32_t port, int timeout_ms,
			    struct vsock_note *n, int user_fd)
{
	struct vsock_conn *c;
	int ret;

	if (!v->active)
		return -ENOTCONN;
	ret = vsock_conn_new(v, fd, &vsock_host_face, false, &c);
	if (ret < 0)
		return ret;
	ret = vsock_conn_watch(c);
	if (ret < 0) {
		c->fd = -1;
		vsock_conn_free(c, ret);
		return ret;
	}
	c->note = n;
	c->user_fd = user_fd;
	vsock_conn_connect(c, port, timeout_ms);
	return 0;
}

int virtio_vsock_connect_async(struct virtio_vsock *v, uint32_t port, int timeout_ms,
			       vsock_connect_fn fn, void *opaque, struct husk_error **err)
{
	struct vsock_note *n = calloc(1, sizeof(*n));
	int sv[2], ret;

	if (!n || !fn) {
		free(n);
		return husk_err(err, fn ? ENOMEM : 0, "vsock connect to port %u", port);
	}
	ret = vsock_socketpair(sv);
	if (ret < 0) {
		free(n);
		return husk_err(err, -ret, "vsock connect to port %u: socketpair", port);
	}
	n->connect_fn = fn;
	n->opaque = opaque;
	vsock_lock(v);
	ret = vsock_host_start(v, sv[0], port, timeout_ms, n, sv[1]);
	vsock_unlock(v);
	if (ret < 0) {
		close(sv[0]);
		close(sv[1]);
		free(n);
		if (ret == -ENOTCONN)
			return husk_err(err, ENOTCONN, "vsock connect to port %u: driver not ready",
					port);
		if (ret == -EAGAIN)
			return husk_err(err, EAGAIN,
					"vsock connect to port %u: all %u slots in use", port,
					v->max_conns);
		return husk_err(err, -ret, "vsock connect to port %u", port);
	}
	vsock_kick(v);
	return 0;
}

/* The blocking connect's rendezvous; freed by whichever side is last. */
struct vsock_waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs, fd, error;
	bool done, abandoned;
};

static void vsock_waiter_put(struct vsock_waiter *w)
{
	bool last = --w->refs == 0;

	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static void vsock_waiter_done(void *opaque, int fd, int error)
{
	struct vsock_waiter *w = opaque;

	pthread_mutex_lock(&w->lock);
	if (w->abandoned && fd >= 0)
		close(fd); /* the caller gave up waiting */
	w->fd = fd;
	w->error = error;
	w->done = true;
	pthread_cond_signal(&w->cond);
	vsock_waiter_put(w);
}

static void vsock_waiter_wait(struct vsock_waiter *w, int timeout_ms)
{
	/* The device enforces the timeout; the margin only guards a stopped loop. */
	struct timespec ts = husk_timespec_after_ms(CLOCK_MONOTONIC, (long long)timeout_ms + 2000);
	int ret = 0;

	while (!w->done && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	if (!w->done) {
		w->abandoned = true;
		w->error = -ETIMEDOUT;
	}
}

static struct vsock_waiter *vsock_waiter_new(void)
{
	struct vsock_waiter *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (!w)
		return NULL;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->lock, NULL);
	w->refs = 2;
	w->fd = -1;
	return w;
}

int virtio_vsock_connect(struct virtio_vsock *v, uint32_t port, int timeout_ms, int *fd,
			 struct husk_error **err)
{
	struct vsock_waiter *w = vsock_waiter_new();
	int ret;

	if (!w)
		return husk_err(err, ENOMEM, "vsock connect to port %u", port);
	if (timeout_ms <= 0)
		timeout_ms = VIRTIO_VSOCK_DEFAULT_TIMEOUT_MS;
	ret = virtio_vsock_connect_async(v, port, timeout_ms, vsock_waiter_done, w, err);
	pthread_mutex_lock(&w->lock);
	if (ret < 0) {
		w->refs--; /* the callback will never run */
		vsock_waiter_put(w);
		return ret;
	}
	vsock_waiter_wait(w, timeout_ms);
	ret = w->error;
	*fd = w->fd;
	vsock_waiter_put(w);
	if (ret < 0)
		return husk_err(err, -ret, "vsock connect to guest port %u", port);
	return 0;
}

int virtio_vsock_listen(struct virtio_vsock *v, uint32_t port, vsock_accept_fn fn, void *opaque,
			struct husk_error **err)
{
	struct vsock_listener *l;
	int ret = 0;

	if (!fn)
		return husk_err(err, 0, "vsock listen on port %u: no callback", port);
	l = calloc(1, sizeof(*l));
	if (!l)
		return husk_err(err, ENOMEM, "vsock listen on port %u", port);
	*l = (struct vsock_listener){ .port = port, .fn = fn, .opaque = opaque };
	vsock_lock(v);
	if (vsock_listener_find(v, port)) {
		ret = husk_err(err, EADDRINUSE, "vsock listen on port %u", port);
		free(l);
	} else {
		l->next = v->listeners;
		v->listeners = l;
	}
	vsock_unlock(v);
	return ret;
}

int virtio_vsock_unlisten(struct virtio_vsock *v, uint32_t port)
{
	struct vsock_listener **pp, *l = NULL;

	vsock_lock(v);
	for (pp = &v->listeners; *pp; pp = &(*pp)->next)
		if ((*pp)->port == port) {
			l = *pp;
			*pp = l->next;
			break;
		}
	vsock_unlock(v);
	free(l);
	return l ? 0 : -ENOENT;
}

void vsock_listeners_free(struct virtio_vsock *v)
{
	struct vsock_listener *l;

	while ((l = v->listeners)) {
		v->listeners = l->next;
		free(l);
	}
}
