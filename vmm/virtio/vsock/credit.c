// SPDX-License-Identifier: Apache-2.0
/*
 * credit.c - stream flow control (virtio 1.2 section 5.10.6.3) and
 * the buffer it bounds.
 *
 * Each side tells the other buf_alloc (its receive buffer) and fwd_cnt
 * (bytes it has consumed, free-running mod 2^32) in every packet. The
 * sender keeps tx_cnt (bytes sent) and may have at most
 *
 *	peer_free = peer_buf_alloc - (tx_cnt - peer_fwd_cnt)
 *
 * bytes in flight. Host->guest we read no more than that from the host
 * socket. Guest->host our buffer is exactly buf_alloc bytes: what the
 * host socket has not taken waits in the ring, and fwd_cnt counts what it
 * did take. A packet that does not fit was sent without credit and is
 * refused (vsock_pkt_check).
 *
 * CREDIT_UPDATE: every packet we send carries fwd_cnt, so an explicit
 * update is owed only when the guest's idea of our free space has gone
 * low (below half the buffer, or below one maximal packet so a sender
 * waiting for room to send a big packet is never left waiting) while
 * fwd_cnt has moved since we last said it.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm/virtio/vsock/vsock_internal.h"

int vsock_ring_init(struct vsock_ring *r, uint32_t cap)
{
	/* malloc maps big blocks lazily: an idle connection costs no RAM. */
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	r->head = r->len = 0;
	return 0;
}

void vsock_ring_fini(struct vsock_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* Append @len bytes from @src; the caller checked they fit (credit). */
void vsock_ring_put(struct vsock_ring *r, struct chain_reader *src, uint32_t len)
{
	uint32_t tail = (r->head + r->len) % r->cap;
	uint32_t first = r->cap - tail < len ? r->cap - tail : len;

	if (!len || len > r->cap - r->len)
		return;
	chain_read(src, r->buf + tail, first);
	chain_read(src, r->buf, len - first);
	r->len += len;
}

/* The buffered bytes as one or two iovecs (the ring may wrap). */
int vsock_ring_iov(const struct vsock_ring *r, struct iovec iov[2])
{
	uint32_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;

	iov[0].iov_base = r->buf + r->head;
	iov[0].iov_len = first;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = r->len - first;
	return r->len > first ? 2 : 1;
}

void vsock_ring_drop(struct vsock_ring *r, uint32_t len)
{
	r->head = (r->head + len) % r->cap;
	r->len -= len;
	if (!r->len)
		r->head = 0;
}

uint32_t vsock_credit_peer_free(const struct vsock_conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;

	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

/* The guest's credit fields, already checked to be consistent. */
void vsock_credit_peer(struct vsock_conn *c, const struct vsock_pkt *p)
{
	c->peer_buf_alloc = p->buf_alloc;
	c->peer_fwd_cnt = p->fwd_cnt;
}

/* Would @len more guest bytes fit our buffer? */
bool vsock_credit_fits(const struct vsock_conn *c, uint32_t len)
{
	return len <= c->ring.cap - c->ring.len;
}

/* @n guest bytes reached the host socket. */
void vsock_credit_forwarded(struct vsock_conn *c, uint32_t n)
{
	uint32_t cap = c->v->buf_alloc, told = c->rx_cnt - c->fwd_cnt_sent;
	uint32_t seen_free = told >= cap ? 0 : cap - told;

	c->fwd_cnt += n;
	if (c->fwd_cnt == c->fwd_cnt_sent)
		return;
	if (seen_free < cap / 2 || seen_free < VSOCK_MAX_PAYLOAD)
		c->pend |= VSOCK_PEND_CREDIT;
}

/* Our credit into a packet about to go out; it doubles as an update. */
void vsock_credit_fill(struct vsock_conn *c, struct vsock_pkt *h)
{
	h->buf_alloc = c->v->buf_alloc;
	h->fwd_cnt = c->fwd_cnt;
	c->fwd_cnt_sent = c->fwd_cnt;
	c->pend &= ~VSOCK_PEND_CREDIT;
}
