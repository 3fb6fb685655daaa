// SPDX-License-Identifier: Apache-2.0
/*
 * connection.c - connections: the table keyed by (host port, guest port),
 * slots, lifetime and deadlines, host fd events, writes towards the host,
 * the list of connections waiting to send the guest a packet and the
 * ring of RSTs owed to no connection (both served by rx.c).
 *
 * Each connection belongs to a face (host.c's in-process endpoints, or
 * unix_socket.c's multiplexer clients) and reaches it only through
 * c->face, so calls run one way: queues and faces -> connections.
 *
 * A connection's host fd is watched edge-triggered for input, output and
 * hang-up; `readable` remembers an input edge until a read finds the
 * socket empty, so a connection without credit simply stops reading and
 * costs the loop nothing until the guest frees space.
 *
 * Lifetime: HANDSHAKE (Unix mux only) -> CONNECTING (host-initiated) ->
 * ESTABLISHED -> DYING (host side closed, our RST still to send) -> freed.
 * A guest RST frees at once. A connection is freed on the loop thread
 * only, or by reset/destroy after every fd is unwatched.
 *
 * Slots: guest-initiated connections may fill v->guest_max of the
 * max_conns slots, host-initiated ones any. Nothing the guest does keeps
 * a slot from the host for good: every state that waits for the guest
 * has a deadline (vsock_conn_expire), except a connection whose host end
 * closed and whose data the guest does not take; that one is evicted
 * when a host connection needs its slot (vsock_conn_evict), once it is
 * stale (VSOCK_STALE_MS without data taken). A guest that closed while
 * its last bytes still wait for the host reader keeps its slot as long as
 * the reader takes some every VSOCK_STALE_MS. DYING waits VSOCK_DYING_MS for the RX queue to
 * take the RST; then the slot is freed and the RST moves to the reply
 * ring, which rx.c serves ahead of every connection, so the guest still
 * gets it first once it drains RX (unless the 64-entry ring was full: it
 * then learns on its next packet there, answered "no such connection").
 * Reuse of the port pair: host-initiated local ports count up through
 * 3 * 2^30 values before one comes back, and even then the old RST goes
 * out before the new REQUEST; a guest REQUEST drops any RST still queued
 * for its pair, which was owed to the pair's earlier connection and must
 * not reset the new one.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_internal.h"

static void vsock_conn_abandon(struct vsock_conn *c);

static unsigned int vsock_hash(uint32_t local, uint32_t peer)
{
	return (local * 0x9e3779b1u ^ peer) % VSOCK_HASH_SIZE;
}

/* Whether a connection may start: guest-initiated ones have fewer slots. */
bool vsock_conn_slot_free(const struct virtio_vsock *v, bool from_guest)
{
	return v->nr_conns < v->max_conns && (!from_guest || v->nr_guest < v->guest_max);
}

/*
 * A connection of @face owning @fd, in a guest slot when @from_guest; on
 * failure (-EAGAIN: no slot, -ENOMEM) @fd stays the caller's.
 */
int vsock_conn_new(struct virtio_vsock *v, int fd, const struct vsock_face *face, bool from_guest,
		   struct vsock_conn **out)
{
	struct vsock_conn *c;

	if (!from_guest && !vsock_conn_slot_free(v, false))
		vsock_conn_evict(v);
	if (!vsock_conn_slot_free(v, from_guest))
		return -EAGAIN;
	c = calloc(1, sizeof(*c));
	if (!c || vsock_ring_init(&c->ring, v->buf_alloc) < 0) {
		free(c);
		return -ENOMEM;
	}
	c->v = v;
	c->face = face;
	c->fd = fd;
	c->user_fd = -1;
	c->from_guest = from_guest;
	v->nr_conns++;
	v->nr_guest += from_guest;
	*out = c;
	return 0;
}

/* Its face's connect result, if it owes one (only the host face does). */
static void vsock_conn_complete(struct vsock_conn *c, int error)
{
	if (c->face->complete)
		c->face->complete(c, error);
}

/* An RST owed to a packet of no connection; dropped when the ring is full. */
void vsock_conn_reply_rst(struct virtio_vsock *v, const struct vsock_pkt *p)
{
	struct vsock_reply *r;

	if (v->reply_len == VSOCK_REPLY_RING)
		return;
	r = &v->replies[(v->reply_head + v->reply_len++) % VSOCK_REPLY_RING];
	r->src_port = p->src_port;
	r->dst_port = p->dst_port;
}

/* A guest REQUEST from @src_port to @dst_port: RSTs queued for that pair are stale. */
void vsock_conn_drop_replies(struct virtio_vsock *v, uint32_t src_port, uint32_t dst_port)
{
	unsigned int i, kept = 0;
	struct vsock_reply r;

	for (i = 0; i < v->reply_len; i++) {
		r = v->replies[(v->reply_head + i) % VSOCK_REPLY_RING];
		if (r.src_port != src_port || r.dst_port != dst_port)
			v->replies[(v->reply_head + kept++) % VSOCK_REPLY_RING] = r;
	}
	v->reply_len = kept;
}

/* On the RX wait list: it has a packet for the guest (rx.c serves the list). */
void vsock_conn_wait_rx(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	if (c->on_rx || c->dead)
		return;
	c->rx_next = NULL;
	c->rx_prev = v->rx_tail;
	if (v->rx_tail)
		v->rx_tail->rx_next = c;
	else
		v->rx_head = c;
	v->rx_tail = c;
	c->on_rx = true;
}

void vsock_conn_unwait_rx(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	if (!c->on_rx)
		return;
	if (c->rx_prev)
		c->rx_prev->rx_next = c->rx_next;
	else
		v->rx_head = c->rx_next;
	if (c->rx_next)
		c->rx_next->rx_prev = c->rx_prev;
	else
		v->rx_tail = c->rx_prev;
	c->on_rx = false;
}

/* The loop callback is the device's (v->conn_event): it pumps RX after. */
int vsock_conn_watch(struct vsock_conn *c)
{
	int ret = event_loop_add(c->v->loop, c->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 c->v->conn_event, c);

	c->watched = ret == 0;
	return ret;
}

struct vsock_conn *vsock_conn_find(struct virtio_vsock *v, uint32_t local, uint32_t peer)
{
	struct vsock_conn *c = v->table[vsock_hash(local, peer)];

	while (c && (c->local_port != local || c->peer_port != peer))
		c = c->next;
	return c;
}

void vsock_conn_hash(struct vsock_conn *c)
{
	struct vsock_conn **b = &c->v->table[vsock_hash(c->local_port, c->peer_port)];

	c->next = *b;
	*b = c;
	c->hashed = true;
}

/* Off the table, or off the handshake list; either is a singly linked list. */
void vsock_conn_unlink(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;
	struct vsock_conn **pp;

	if (c->hashed)
		pp = &v->table[vsock_hash(c->local_port, c->peer_port)];
	else if (c->state == VSOCK_HANDSHAKE)
		pp = &v->handshakes;
	else
		return;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	c->hashed = false;
}

/* A local port no connection to guest port @peer uses (ephemeral range). */
uint32_t vsock_conn_pick_port(struct virtio_vsock *v, uint32_t peer)
{
	uint32_t p;

	do {
		p = v->next_port++;
		if (v->next_port == 0xffffffffu) /* VMADDR_PORT_ANY */
			v->next_port = VSOCK_PORT_BASE;
	} while (vsock_conn_find(v, p, peer));
	return p;
}

static void vsock_conn_close_fd(struct vsock_conn *c)
{
	if (c->watched)
		event_loop_del(c->v->loop, c->fd);
	if (c->fd >= 0)
		close(c->fd);
	c->watched = false;
	c->fd = -1;
}

/* Guest RST, our RST sent, or a handshake given up: forget @c now. */
void vsock_conn_free(struct vsock_conn *c, int error)
{
	struct virtio_vsock *v = c->v;

	vsock_conn_complete(c, error ? error : -ECONNRESET);
	vsock_conn_unlink(c);
	vsock_conn_unwait_rx(c);
	vsock_conn_close_fd(c);
	if (c->user_fd >= 0)
		close(c->user_fd);
	vsock_ring_fini(&c->ring);
	v->nr_conns--;
	v->nr_guest -= c->from_guest;
	free(c);
}

/* The host side is gone or the guest broke a rule: RST and forget (5.10.6.5). */
void vsock_conn_reset(struct vsock_conn *c, int error)
{
	if (c->state == VSOCK_DYING)
		return;
	if (c->state == VSOCK_HANDSHAKE) {
		vsock_conn_free(c, error);
		return;
	}
	vsock_conn_complete(c, error ? error : -ECONNRESET);
	vsock_conn_close_fd(c);
	vsock_ring_fini(&c->ring);
	c->state = VSOCK_DYING;
	c->pend = VSOCK_PEND_RST;
	c->deadline_ns = vsock_now(c->v) + VSOCK_DYING_MS * 1000000ULL;
	vsock_timer_update(c->v, c->deadline_ns);
	vsock_conn_wait_rx(c);
}

/* Bring @c's deadline forward to @ms from now, if that is earlier. */
static void vsock_conn_deadline(struct vsock_conn *c, unsigned int ms)
{
	uint64_t at = vsock_now(c->v) + ms * 1000000ULL;

	if (c->deadline_ns && c->deadline_ns <= at)
		return;
	c->deadline_ns = at;
	vsock_timer_update(c->v, at);
}

/*
 * The guest took data of @c, or the host end just closed. Once the host
 * end closed, a connection whose guest takes no data for VSOCK_STALE_MS
 * (control packets do not count: asking for credit is not taking data)
 * is stale: a host connection that finds no free slot evicts it. Until a
 * slot is wanted, a slow reader keeps its data.
 */
void vsock_conn_progress(struct vsock_conn *c)
{
	if (c->state == VSOCK_ESTABLISHED && c->host_hup)
		c->stale_at = vsock_now(c->v) + VSOCK_STALE_MS * 1000000ULL;
}

/* No slot for a host connection: reset the stalest stale one, if any, at once. */
bool vsock_conn_evict(struct virtio_vsock *v)
{
	struct vsock_conn *c, *pick = NULL;
	uint64_t now = vsock_now(v);
	unsigned int i;

	for (i = 0; i < VSOCK_HASH_SIZE; i++)
		for (c = v->table[i]; c; c = c->next)
			if (c->state == VSOCK_ESTABLISHED && c->stale_at && c->stale_at <= now &&
			    (!pick || c->stale_at < pick->stale_at))
				pick = c;
	if (!pick)
		return false;
	log_debug(v->dev.log,
		  "virtio vsock: %u->%u: host end closed, no data taken in %d ms: reset for a slot",
		  pick->local_port, pick->peer_port, VSOCK_STALE_MS);
	vsock_conn_reset(pick, 0);
	vsock_conn_abandon(pick);
	return true;
}

/* sendmsg, never blocking, never raising SIGPIPE. */
static ssize_t vsock_sendv(int fd, struct iovec *iov, int cnt)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
	ssize_t n;

	do
		n = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * The guest closed both ways with its last bytes still in our buffer: the
 * host reader gets VSOCK_STALE_MS from the last bytes it took (a fixed
 * VSOCK_CLOSE_MS from the close cut the tail off a reader slower than
 * that), then the connection is reset and its slot freed.
 */
static void vsock_conn_drain_deadline(struct vsock_conn *c)
{
	c->deadline_ns = vsock_now(c->v) + VSOCK_STALE_MS * 1000000ULL;
	vsock_timer_update(c->v, c->deadline_ns);
}

/* Buffered guest bytes to the host socket, as far as it takes them. */
void vsock_conn_flush(struct vsock_conn *c)
{
	struct iovec iov[2];
	ssize_t n;

	while (c->ring.len) {
		n = vsock_sendv(c->fd, iov, vsock_ring_iov(&c->ring, iov));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT will come */
		if (n <= 0) {
			vsock_conn_reset(c, -ECONNRESET);
			return;
		}
		vsock_ring_drop(&c->ring, (uint32_t)n);
		vsock_credit_forwarded(c, (uint32_t)n);
		if (c->peer_shut == VSOCK_SHUT_MASK)
			vsock_conn_drain_deadline(c); /* the reader still takes bytes */
	}
}

/*
 * RW payload of @len bytes at @r (credit checked): straight to the host
 * socket when nothing is queued before it, the rest into the buffer.
 */
int vsock_conn_send(struct vsock_conn *c, struct chain_reader *r, uint32_t len)
{
	struct chain_reader probe = *r;
	ssize_t n = 0;
	int cnt;

	c->rx_cnt += len;
	if (!c->ring.len) {
		cnt = chain_reader_export(&probe, len, c->v->iov, VIRTQ_CHAIN_MAX_IOV);
		n = cnt > 0 ? vsock_sendv(c->fd, c->v->iov, cnt) : 0;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			vsock_conn_reset(c, -ECONNRESET);
			return -ECONNRESET;
		}
		n = n < 0 ? 0 : n;
		chain_reader_skip(r, (size_t)n);
	}
	vsock_ring_put(&c->ring, r, len - (uint32_t)n);
	vsock_credit_forwarded(c, (uint32_t)n);
	return 0;
}

bool vsock_conn_can_read(const struct vsock_conn *c)
{
	return c->state == VSOCK_ESTABLISHED && c->readable && !c->host_eof &&
	       !(c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) && vsock_credit_peer_free(c);
}

static void vsock_conn_announce(struct vsock_conn *c, uint32_t flags)
{
	c->shut_sent |= flags;
	c->pend |= VSOCK_PEND_SHUTDOWN;
	/* 5.10.6.5: the guest should answer with RST; do not wait forever. */
	if (c->shut_sent == VSOCK_SHUT_MASK)
		vsock_conn_deadline(c, VSOCK_CLOSE_MS);
}

/* Half-closes both ways (5.10.6.5), once buffered data has drained. */
static void vsock_conn_shutdowns(struct vsock_conn *c)
{
	if (c->host_hup && (c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV))
		c->host_eof = true; /* nothing left the guest would take */
	if ((c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) && !c->ring.len && !c->wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	if (c->peer_shut == VSOCK_SHUT_MASK && !c->ring.len) {
		vsock_conn_reset(c, 0); /* clean close: our RST completes it */
		return;
	}
	if (c->peer_shut == VSOCK_SHUT_MASK && !c->deadline_ns)
		vsock_conn_drain_deadline(c); /* moved on by every flush */
	if (c->host_eof && c->host_hup && c->shut_sent != VSOCK_SHUT_MASK)
		vsock_conn_announce(c, VSOCK_SHUT_MASK);
	else if (c->host_eof && !(c->shut_sent & VIRTIO_VSOCK_SHUTDOWN_SEND))
		vsock_conn_announce(c, VIRTIO_VSOCK_SHUTDOWN_SEND);
}

/* Re-evaluate @c after anything changed: shutdowns, then the RX wait list. */
void vsock_conn_update(struct vsock_conn *c)
{
	if (c->state == VSOCK_ESTABLISHED)
		vsock_conn_shutdowns(c);
	if (c->pend || vsock_conn_can_read(c))
		vsock_conn_wait_rx(c);
	else
		vsock_conn_unwait_rx(c);
}

/* @events on the host fd, under v->lock (device.c's loop callback). */
void vsock_conn_host_event(struct vsock_conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = true;
	if ((events & (EPOLLHUP | EPOLLERR)) && !c->host_hup) {
		c->host_hup = true;
		vsock_conn_progress(c); /* starts the linger deadline */
	}
	if (c->state == VSOCK_HANDSHAKE) {
		c->face->handshake(c);
		return;
	}
	if (c->state == VSOCK_ESTABLISHED && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		vsock_conn_flush(c);
	vsock_conn_update(c);
}

/* Host-initiated: REQUEST guest port @port (5.10.6.5) from a fresh local port. */
void vsock_conn_connect(struct vsock_conn *c, uint32_t port, int timeout_ms)
{
	struct virtio_vsock *v = c->v;

	if (timeout_ms <= 0)
		timeout_ms = VIRTIO_VSOCK_DEFAULT_TIMEOUT_MS;
	c->peer_port = port;
	c->local_port = vsock_conn_pick_port(v, port);
	c->state = VSOCK_CONNECTING;
	c->pend = VSOCK_PEND_REQUEST;
	c->deadline_ns = vsock_now(v) + (uint64_t)timeout_ms * 1000000ULL;
	vsock_timer_update(v, c->deadline_ns);
	vsock_conn_hash(c);
	vsock_conn_wait_rx(c);
}

/* DYING, its slot wanted: free it, leave the RST to the reply ring. */
static void vsock_conn_abandon(struct vsock_conn *c)
{
	struct vsock_pkt p = { .src_port = c->peer_port, .dst_port = c->local_port };

	vsock_conn_reply_rst(c->v, &p);
	vsock_conn_free(c, 0);
}

static void vsock_conn_expire_one(struct vsock_conn *c, uint64_t now, uint64_t *next)
{
	if (!c->deadline_ns)
		return;
	if (c->deadline_ns > now) {
		if (!*next || c->deadline_ns < *next)
			*next = c->deadline_ns;
		return;
	}
	c->deadline_ns = 0;
	if (c->state == VSOCK_DYING) {
		log_debug(c->v->dev.log, "virtio vsock: %u->%u: RST not taken in %d ms, slot freed",
			  c->local_port, c->peer_port, VSOCK_DYING_MS);
		vsock_conn_abandon(c);
	} else
		vsock_conn_reset(c, c->state == VSOCK_ESTABLISHED ? 0 : -ETIMEDOUT);
}

/*
 * Timer: act on every passed deadline; *@next gets the earliest left.
 * HANDSHAKE: the CONNECT line is late (freed); CONNECTING: no RESPONSE
 * (-ETIMEDOUT, RST); ESTABLISHED: no RST after our SHUTDOWN, or a closed
 * guest's last bytes not taken by the host for VSOCK_STALE_MS (RST);
 * DYING: the RST was not taken (freed, vsock_conn_abandon).
 */
void vsock_conn_expire(struct virtio_vsock *v, uint64_t now, uint64_t *next)
{
	struct vsock_conn *c, *n;
	unsigned int i;

	for (i = 0; i < VSOCK_HASH_SIZE; i++)
		for (c = v->table[i]; c; c = n) {
			n = c->next;
			vsock_conn_expire_one(c, now, next);
		}
	for (c = v->handshakes; c; c = n) {
		n = c->next;
		vsock_conn_expire_one(c, now, next); /* frees a handshake */
	}
}

static void vsock_conn_detach(struct vsock_conn *c, struct vsock_conn **list)
{
	vsock_conn_complete(c, -ECONNRESET);
	c->dead = true;
	c->hashed = c->on_rx = false;
	c->next = *list;
	*list = c;
}

/* Reset: every connection off the table, marked dead, onto @list. */
void vsock_conn_detach_all(struct virtio_vsock *v, struct vsock_conn **list)
{
	struct vsock_conn *c, *n;
	unsigned int i;

	*list = NULL;
	for (i = 0; i < VSOCK_HASH_SIZE; i++) {
		for (c = v->table[i]; c; c = n) {
			n = c->next;
			vsock_conn_detach(c, list);
		}
		v->table[i] = NULL;
	}
	for (c = v->handshakes; c; c = n) {
		n = c->next;
		vsock_conn_detach(c, list);
	}
	v->handshakes = NULL;
	v->rx_head = v->rx_tail = NULL;
	v->nr_conns = v->nr_guest = 0;
}

/* Without v->lock: unwatching waits for a callback that may want it. */
void vsock_conn_destroy_list(struct virtio_vsock *v, struct vsock_conn *list)
{
	struct vsock_conn *c;

	while ((c = list)) {
		list = c->next;
		vsock_conn_close_fd(c);
		if (c->user_fd >= 0)
			close(c->user_fd);
		vsock_ring_fini(&c->ring);
		free(c);
	}
}
