// SPDX-License-Identifier: Apache-2.0
/*
 * port_forward_relay.c - accepting forwarded connections (port_forward.h):
 * an acceptor thread, and per connection a thread that finds the original
 * port, opens a connection to husk-init, says PORT_CONNECT and copies.
 * Connections live in a fixed table of PF_MAX_CONNS slots, so the cap
 * and joining every thread at stop need no list. The stop eventfd stays
 * readable once written: every thread polls it and returns.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "husk.h"
#include "shim/agent/agent_client.h"
#include "shim/base/shim_log.h"
#include "shim/net/port_forward.h"

/* linux/netfilter_ipv4.h's, which clashes with netinet/in.h. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif

struct pf_conn {
	struct pf_relay *r;
	int tcp;
	pthread_t thread;
	bool used;	  /* thread started, not yet joined (acceptor only) */
	atomic_bool done; /* the thread is about to return */
};

struct pf_relay {
	int listen_fd;
	int stop_fd;
	struct pf_relay_ops ops;
	pthread_t acceptor;
	struct pf_conn conns[PF_MAX_CONNS];
};

int pf_original_port(void *opaque, int fd, uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	(void)opaque;
	if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &sa, &len) < 0) {
		/* ENOENT: no NAT entry, the client dialled the listener itself. */
		len = sizeof(sa);
		if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
			return -errno;
	}
	if (sa.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*port = ntohs(sa.sin_port);
	return 0;
}

/* The guest's side of one connection: connected and past PORT_CONNECT. */
static int pf_conn_guest(struct pf_conn *c, uint16_t port, int *gfd)
{
	const struct pf_relay_ops *ops = &c->r->ops;
	struct husk_error *err = NULL;
	int ret;

	ret = ops->connect(ops->opaque, gfd, &err);
	if (!ret) {
		ret = agent_port_connect(*gfd, port, ops->handshake_ms, &err);
		if (ret)
			close(*gfd);
	}
	/* Usually nothing listens on that port in the pod: not the shim's fault. */
	if (ret)
		shim_debug("port-forward to %u: %s", port, husk_error_message(err));
	husk_error_free(err);
	return ret;
}

static void *pf_conn_thread(void *arg)
{
	struct pf_conn *c = arg;
	pf_port_fn *port_fn = c->r->ops.port ? c->r->ops.port : pf_original_port;
	uint16_t port = 0;
	int gfd = -1, ret;

	ret = port_fn(c->r->ops.opaque, c->tcp, &port);
	if (ret)
		shim_debug("port-forward: original port: %s", strerror(-ret));
	else
		ret = pf_conn_guest(c, port, &gfd);
	if (!ret) {
		ret = pf_copy(c->tcp, gfd, c->r->stop_fd);
		if (ret && ret != -ECANCELED)
			shim_debug("port-forward to %u ended: %s", port, strerror(-ret));
		close(gfd);
	}
	close(c->tcp);
	c->tcp = -1;
	atomic_store(&c->done, true);
	return NULL;
}

/* Join finished connections; a free slot, or NULL at the cap. */
static struct pf_conn *pf_slot(struct pf_relay *r)
{
	struct pf_conn *free_slot = NULL;
	size_t i;

	for (i = 0; i < PF_MAX_CONNS; i++) {
		struct pf_conn *c = &r->conns[i];

		if (c->used && atomic_load(&c->done)) {
			pthread_join(c->thread, NULL);
			c->used = false;
		}
		if (!c->used && !free_slot)
			free_slot = c;
	}
	return free_slot;
}

static void pf_accept_one(struct pf_relay *r)
{
	struct pf_conn *c;
	int fd, ret;

	fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			shim_warn("port-forward: accept: %s", strerror(errno));
		return;
	}
	c = pf_slot(r);
	if (!c) {
		shim_warn("port-forward: %d connections open already, refusing one", PF_MAX_CONNS);
		close(fd);
		return;
	}
	c->r = r;
	c->tcp = fd;
	atomic_store(&c->done, false);
	ret = pthread_create(&c->thread, NULL, pf_conn_thread, c);
	if (ret) {
		shim_warn("port-forward: connection thread: %s", strerror(ret));
		close(fd);
		return;
	}
	c->used = true;
}

static void *pf_accept_thread(void *arg)
{
	struct pf_relay *r = arg;
	struct pollfd p[2] = { { .fd = r->listen_fd, .events = POLLIN },
			       { .fd = r->stop_fd, .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			shim_warn("port-forward: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents)
			pf_accept_one(r);
	}
	return NULL;
}

int pf_relay_start(int listen_fd, const struct pf_relay_ops *ops, struct pf_relay **out,
		   struct husk_error **err)
{
	struct pf_relay *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return husk_err(err, ENOMEM, "port-forward relay");
	r->listen_fd = listen_fd;
	r->ops = *ops;
	if (!r->ops.handshake_ms)
		r->ops.handshake_ms = PF_HANDSHAKE_MS;
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (r->stop_fd < 0) {
		ret = husk_err(err, errno, "eventfd");
		free(r);
		return ret;
	}
	ret = pthread_create(&r->acceptor, NULL, pf_accept_thread, r);
	if (ret) {
		close(r->stop_fd);
		free(r);
		return husk_err(err, ret, "port-forward accept thread");
	}
	*out = r;
	return 0;
}

void pf_relay_stop(struct pf_relay *r)
{
	uint64_t one = 1;
	size_t i;

	if (!r)
		return;
	if (write(r->stop_fd, &one, sizeof(one)) < 0)
		shim_warn("port-forward: cannot stop the relay: %s", strerror(errno));
	pthread_join(r->acceptor, NULL);
	/* A thread in its handshake sees the stop only after PF_HANDSHAKE_MS. */
	for (i = 0; i < PF_MAX_CONNS; i++)
		if (r->conns[i].used)
			pthread_join(r->conns[i].thread, NULL);
	close(r->stop_fd);
	free(r);
}
