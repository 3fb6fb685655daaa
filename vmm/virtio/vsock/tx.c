// SPDX-License-Identifier: Apache-2.0
/*
 * tx.c - the TX queue (virtio 1.2 section 5.10.6.4): packets the
 * guest sends, and the connection state machine they drive.
 *
 * Each chain is one packet: a 44-byte header, then len payload bytes
 * (framing is free, 2.6.4). A chain too short for a header is a framing
 * error and fails the device; any other bad packet is answered with RST
 * (5.10.6.5) and resets the connection it names. Chains are returned at
 * once: payload either went to the host socket or into the connection's
 * buffer, whose size the guest was told (credit), so the queue never
 * stalls on a slow host peer.
 */
#include <errno.h>

#include "vmm/virtio/vsock/vsock_internal.h"

/* Chains per kick before yielding the loop to other sources. */
#define VSOCK_TX_BUDGET 256

static void vsock_tx_reject(struct virtio_vsock *v, const struct vsock_pkt *p, struct vsock_conn *c,
			    const char *why)
{
	log_debug(v->dev.log, "virtio vsock: op %u %u->%u rejected: %s", p->op, p->src_port,
		  p->dst_port, why);
	/* 5.10.6.5: never answer an RST with an RST. */
	if (p->op == VIRTIO_VSOCK_OP_RST)
		return;
	if (c)
		vsock_conn_reset(c, -ECONNRESET);
	else
		vsock_conn_reply_rst(v, p);
}

/* RESPONSE to our REQUEST: the guest accepted (5.10.6.5). */
static void vsock_tx_response(struct vsock_conn *c)
{
	c->state = VSOCK_ESTABLISHED;
	c->deadline_ns = 0;
	if (c->face->established(c) < 0)
		vsock_conn_reset(c, -ECONNRESET);
	else
		vsock_conn_progress(c); /* the host end may have closed already */
}

static void vsock_tx_dispatch(struct virtio_vsock *v, const struct vsock_pkt *p,
			      struct vsock_conn *c, struct chain_reader *r)
{
	if (!c) { /* a REQUEST, vsock_pkt_check made sure */
		vsock_host_accept(v, p);
		return;
	}
	if (p->op == VIRTIO_VSOCK_OP_RST) {
		vsock_conn_free(c, c->state == VSOCK_CONNECTING ? -ECONNREFUSED : -ECONNRESET);
		return;
	}
	if (c->state == VSOCK_DYING) /* our RST is on its way */
		return;
	vsock_credit_peer(c, p);
	switch (p->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		vsock_tx_response(c);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		c->peer_shut |= p->flags & VSOCK_SHUT_MASK;
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (p->len)
			vsock_conn_send(c, r, p->len);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->pend |= VSOCK_PEND_CREDIT;
		break;
	default: /* CREDIT_UPDATE: the fields were the point */
		break;
	}
	vsock_conn_update(c);
}

/* One packet. Returns 0, or -EIO when the device was failed. */
static int vsock_tx_packet(struct virtio_vsock *v, const struct virtq_chain *ch)
{
	uint8_t raw[VSOCK_HDR_LEN];
	struct chain_reader r;
	struct vsock_conn *c = NULL;
	struct vsock_pkt p;
	const char *why;

	chain_reader_init(&r, ch);
	if (chain_read(&r, raw, sizeof(raw)) < 0)
		return virtio_dev_fail(&v->dev, "vsock: tx buffer of %u bytes holds no header",
				       ch->out_len);
	vsock_pkt_decode(raw, &p);
	if (vsock_pkt_addr_ok(v, &p))
		c = vsock_conn_find(v, p.dst_port, p.src_port);
	why = vsock_pkt_check(v, &p, chain_reader_remaining(&r), c);
	if (why)
		vsock_tx_reject(v, &p, c, why);
	else
		vsock_tx_dispatch(v, &p, c, &r);
	return 0;
}

void vsock_tx_process(struct virtio_vsock *v)
{
	struct virtq *q = &v->queues[VIRTIO_VSOCK_TXQ];
	unsigned int budget = VSOCK_TX_BUDGET;
	bool more = false;
	int ret;

	virtq_lock(q);
	while ((ret = virtq_pop(q, &v->tx_chain)) == 1) {
		ret = vsock_tx_packet(v, &v->tx_chain);
		/* The device only reads TX buffers: nothing written (5.10.6.4). */
		if (virtq_push(q, v->tx_chain.head, 0) < 0 || ret < 0)
			break;
		if (--budget == 0) {
			more = virtq_has_avail(q);
			break;
		}
	}
	virtq_notify(q);
	virtq_unlock(q);
	if (more)
		vsock_kick(v);
}
