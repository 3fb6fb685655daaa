// SPDX-License-Identifier: Apache-2.0
/* mock_vsock.c - the test-side vsock guest driver; see mock_vsock.h. */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/mock_vsock.h"

#define mv_check(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

static void mv_irq(void *opaque, uint32_t cause)
{
	((struct mock_vsock *)opaque)->irqs++;
}

void mock_vsock_init(struct mock_vsock *mv, const struct virtio_vsock_params *p, bool bring_up)
{
	struct virtio_vsock_params params = *p;
	struct virtio_irq irq = { mv_irq, mv };
	unsigned int i;

	memset(mv, 0, sizeof(*mv));
	mock_guest_init(&mv->g);
	mv_check(event_loop_init(&mv->el, NULL) == 0);
	params.loop = &mv->el;
	if (!params.guest_cid)
		params.guest_cid = 3;
	mv->cid = params.guest_cid;
	mv_check(virtio_vsock_create(&mv->dev, &params, &mv->g.gm, NULL, NULL) == 0);
	virtio_dev_set_irq(virtio_vsock_dev(mv->dev), &irq);
	virtio_mmio_init(&mv->mmio, virtio_vsock_dev(mv->dev));
	for (i = 0; i < MV_QSIZE; i++) {
		mv->rx_buf[i] = mock_alloc(&mv->g, MV_BUF_LEN);
		mv->tx_buf[i] = mock_alloc(&mv->g, MV_BUF_LEN);
	}
	mv->big = mock_alloc(&mv->g, MV_BIG_LEN);
	if (bring_up)
		mock_vsock_bring_up(mv);
}

void mock_vsock_bring_up(struct mock_vsock *mv)
{
	unsigned int i;

	/* A fresh driver: rings zeroed, as a guest reallocates them. */
	for (i = 0; i < 3; i++) {
		memset(mock_ptr(&mv->g, MOCK_RING_BASE + i * MOCK_RING_STRIDE, MOCK_RING_STRIDE), 0,
		       MOCK_RING_STRIDE);
		mock_vq_init(&mv->mq[i], &mv->g.gm, i, MV_QSIZE);
	}
	mv->tx_out = 0;
	mv_check(mock_mmio_bring_up(&mv->mmio, virtio_vsock_dev(mv->dev)->offered, mv->mq, 3) ==
		 0xf);
	mock_vsock_post_rx(mv, MV_RX_POSTED, MV_BUF_LEN);
	mock_vsock_pump(mv, 0);
}

void mock_vsock_fini(struct mock_vsock *mv)
{
	virtio_vsock_destroy(mv->dev);
	event_loop_fini(&mv->el);
	mock_guest_fini(&mv->g);
}

static void mv_post_one(struct mock_vsock *mv, uint32_t len)
{
	struct mock_vq *q = &mv->mq[VIRTIO_VSOCK_RXQ];
	struct mock_buf b = { mv->rx_buf[q->next_desc], len, true };

	mock_vq_add_chain(q, &b, 1);
}

void mock_vsock_post_rx(struct mock_vsock *mv, unsigned int n, uint32_t len)
{
	mv->rx_len = len;
	while (n--)
		mv_post_one(mv, len);
	mock_mmio_write(&mv->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_RXQ);
}

/* Take back what the device consumed; pump when the pool runs dry. */
static void mv_tx_reclaim(struct mock_vsock *mv)
{
	uint32_t id, len;
	int tries = 0;

	for (;;) {
		while (mock_vq_get_used(&mv->mq[VIRTIO_VSOCK_TXQ], &id, &len))
			mv->tx_out--;
		if (mv->tx_out < MV_QSIZE / 2 || tries++ > 100)
			break;
		event_loop_run_once(&mv->el, 10);
	}
}

void mock_vsock_send_raw(struct mock_vsock *mv, const struct vsock_pkt *h, const void *payload,
			 uint32_t plen)
{
	struct mock_vq *q = &mv->mq[VIRTIO_VSOCK_TXQ];
	struct mock_buf b;
	uint8_t *p;

	mv_tx_reclaim(mv);
	b.addr = VSOCK_HDR_LEN + plen <= MV_BUF_LEN ? mv->tx_buf[q->next_desc] : mv->big;
	mv_check(VSOCK_HDR_LEN + plen <= MV_BIG_LEN);
	b.len = VSOCK_HDR_LEN + plen;
	b.write = false;
	p = mock_ptr(&mv->g, b.addr, b.len);
	vsock_pkt_encode(h, p);
	if (plen)
		memcpy(p + VSOCK_HDR_LEN, payload, plen);
	mock_vq_add_chain(q, &b, 1);
	mv->tx_out++;
	mock_mmio_write(&mv->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_TXQ);
}

void mock_vsock_send(struct mock_vsock *mv, uint16_t op, uint32_t src_port, uint32_t dst_port,
		     uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt, const void *payload,
		     uint32_t len)
{
	struct vsock_pkt h = {
		.src_cid = mv->cid,
		.dst_cid = VSOCK_HOST_CID,
		.src_port = src_port,
		.dst_port = dst_port,
		.len = len,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.flags = flags,
		.buf_alloc = buf_alloc,
		.fwd_cnt = fwd_cnt,
	};

	mock_vsock_send_raw(mv, &h, payload, len);
}

bool mock_vsock_recv(struct mock_vsock *mv, struct vsock_pkt *h, void *payload, uint32_t cap)
{
	struct mock_vq *q = &mv->mq[VIRTIO_VSOCK_RXQ];
	uint32_t id, len;
	const uint8_t *p;

	if (!mock_vq_get_used(q, &id, &len))
		return false;
	mv_check(id < MV_QSIZE && len >= VSOCK_HDR_LEN && len <= mv->rx_len);
	p = mock_ptr(&mv->g, mv->rx_buf[id], len);
	vsock_pkt_decode(p, h);
	mv_check(h->len == len - VSOCK_HDR_LEN);
	if (payload)
		memcpy(payload, p + VSOCK_HDR_LEN, h->len < cap ? h->len : cap);
	mv_post_one(mv, mv->rx_len);
	mock_mmio_write(&mv->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_RXQ);
	return true;
}

int mock_vsock_pump(struct mock_vsock *mv, int wait_ms)
{
	int n, total = 0;

	n = event_loop_run_once(&mv->el, wait_ms);
	while (n > 0) {
		total += n;
		n = event_loop_run_once(&mv->el, 0);
	}
	return total;
}
