// SPDX-License-Identifier: Apache-2.0
/*
 * rx.c - the RX queue (virtio 1.2 section 5.10.6.4): packets for the
 * guest. Connections with something to say wait on a list (kept by
 * connection.c) and are served
 * one packet each, round-robin, so a busy stream cannot starve control
 * packets or other streams. RSTs owed to no connection (answers to stray
 * packets, and those of connections freed before the guest took them)
 * come from a small ring ahead of them (connection.c fills it).
 *
 * Host bytes are read straight into the driver's buffer after the header
 * space, at most what the guest's credit allows (5.10.6.3). A chain popped
 * but not used (the socket was empty after all) is held for the next
 * packet rather than returned empty.
 */
#include <errno.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_internal.h"

/* Packets per pump before yielding the loop to other sources. */
#define VSOCK_RX_BUDGET 512

/* The chain for the next packet: 1 ready, 0 none, <0 the device failed. */
static int vsock_rx_chain(struct virtio_vsock *v, struct virtq *q)
{
	int ret;

	if (v->rx_held)
		return 1;
	ret = virtq_pop(q, &v->rx_chain);
	if (ret <= 0)
		return ret;
	/* 5.10.6.4: every rx buffer must take at least a header. */
	if (v->rx_chain.in_len < VSOCK_HDR_LEN)
		return virtio_dev_fail(&v->dev, "vsock: rx buffer of %u bytes holds no header",
				       v->rx_chain.in_len);
	v->rx_held = true;
	return 1;
}

static void vsock_rx_hdr(const struct virtio_vsock *v, uint32_t src, uint32_t dst, uint16_t op,
			 struct vsock_pkt *h)
{
	*h = (struct vsock_pkt){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = v->guest_cid,
		.src_port = src,
		.dst_port = dst,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
	};
}

/* Header in front of the payload already there; the chain goes back. */
static int vsock_rx_put(struct virtio_vsock *v, struct virtq *q, struct vsock_conn *c,
			struct vsock_pkt *h)
{
	uint8_t raw[VSOCK_HDR_LEN];
	struct chain_writer w;

	if (c)
		vsock_credit_fill(c, h);
	vsock_pkt_encode(h, raw);
	chain_writer_init(&w, &v->rx_chain);
	chain_write(&w, raw, sizeof(raw));
	v->rx_held = false;
	return virtq_push(q, v->rx_chain.head, VSOCK_HDR_LEN + h->len) < 0 ? -EIO : 1;
}

static int vsock_rx_reply(struct virtio_vsock *v, struct virtq *q)
{
	struct vsock_reply *r = &v->replies[v->reply_head];
	struct vsock_pkt h;

	vsock_rx_hdr(v, r->dst_port, r->src_port, VIRTIO_VSOCK_OP_RST, &h);
	v->reply_head = (v->reply_head + 1) % VSOCK_REPLY_RING;
	v->reply_len--;
	return vsock_rx_put(v, q, NULL, &h);
}

/* The most urgent control packet @c owes. */
static int vsock_rx_control(struct virtio_vsock *v, struct virtq *q, struct vsock_conn *c,
			    struct vsock_pkt *h)
{
	static const struct {
		unsigned int bit;
		uint16_t op;
	} order[] = {
		{ VSOCK_PEND_RST, VIRTIO_VSOCK_OP_RST },
		{ VSOCK_PEND_REQUEST, VIRTIO_VSOCK_OP_REQUEST },
		{ VSOCK_PEND_RESPONSE, VIRTIO_VSOCK_OP_RESPONSE },
		{ VSOCK_PEND_SHUTDOWN, VIRTIO_VSOCK_OP_SHUTDOWN },
		{ VSOCK_PEND_CREDIT, VIRTIO_VSOCK_OP_CREDIT_UPDATE },
	};
	unsigned int i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (c->pend & order[i].bit)
			break;
	if (i == sizeof(order) / sizeof(order[0]))
		return 0;
	c->pend &= ~order[i].bit;
	h->op = order[i].op;
	if (h->op == VIRTIO_VSOCK_OP_SHUTDOWN)
		h->flags = c->shut_sent;
	return vsock_rx_put(v, q, c, h);
}

/* Host bytes into the chain as one RW packet: 1 sent, 0 nothing. */
static int vsock_rx_data(struct virtio_vsock *v, struct virtq *q, struct vsock_conn *c,
			 struct vsock_pkt *h)
{
	struct chain_writer w;
	size_t want;
	ssize_t n;
	int cnt;

	chain_writer_init(&w, &v->rx_chain);
	chain_writer_skip(&w, VSOCK_HDR_LEN);
	want = chain_writer_remaining(&w);
	if (want > VSOCK_MAX_PAYLOAD)
		want = VSOCK_MAX_PAYLOAD;
	if (want > vsock_credit_peer_free(c))
		want = vsock_credit_peer_free(c);
	cnt = chain_writer_export(&w, want, v->iov, VIRTQ_CHAIN_MAX_IOV);
	if (cnt <= 0)
		return 0;
	do
		n = readv(c->fd, v->iov, cnt);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		h->op = VIRTIO_VSOCK_OP_RW;
		h->len = (uint32_t)n;
		c->tx_cnt += (uint32_t)n;
		vsock_conn_progress(c);
		return vsock_rx_put(v, q, c, h);
	}
	if (n == 0)
		c->host_eof = true; /* announced by vsock_conn_update */
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		c->readable = false;
	else
		vsock_conn_reset(c, -ECONNRESET);
	return 0;
}

/* One packet for @c, if it still has one; then back in line or freed. */
static int vsock_rx_conn(struct virtio_vsock *v, struct virtq *q, struct vsock_conn *c)
{
	unsigned int urgent = VSOCK_PEND_RST | VSOCK_PEND_REQUEST | VSOCK_PEND_RESPONSE;
	struct vsock_pkt h;
	int ret = 0;

	vsock_conn_unwait_rx(c);
	vsock_rx_hdr(v, c->local_port, c->peer_port, 0, &h);
	if (c->pend & urgent)
		ret = vsock_rx_control(v, q, c, &h);
	else if (vsock_conn_can_read(c))
		ret = vsock_rx_data(v, q, c, &h);
	/* Data first, then SHUTDOWN (it follows the last byte) or credit. */
	if (ret == 0 && c->state != VSOCK_DYING && !vsock_conn_can_read(c))
		ret = vsock_rx_control(v, q, c, &h);
	if (c->state == VSOCK_DYING && !(c->pend & VSOCK_PEND_RST)) {
		vsock_conn_free(c, 0); /* our RST is out */
		return ret;
	}
	vsock_conn_update(c);
	return ret;
}

void vsock_rx_pump(struct virtio_vsock *v)
{
	struct virtq *q = &v->queues[VIRTIO_VSOCK_RXQ];
	unsigned int budget = VSOCK_RX_BUDGET, idle = 0;
	int ret;

	virtq_lock(q);
	while (v->reply_len || v->rx_head) {
		if (!budget--) {
			vsock_kick(v); /* more next time round the loop */
			break;
		}
		ret = vsock_rx_chain(v, q);
		if (ret <= 0)
			break;
		ret = v->reply_len ? vsock_rx_reply(v, q) : vsock_rx_conn(v, q, v->rx_head);
		if (ret < 0)
			break;
		/* A whole round with nothing sent: everyone left is stuck. */
		idle = ret ? 0 : idle + 1;
		if (idle > v->max_conns)
			break;
	}
	virtq_notify(q);
	virtq_unlock(q);
}
