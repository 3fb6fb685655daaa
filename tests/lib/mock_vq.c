// SPDX-License-Identifier: Apache-2.0
/* mock_vq.c - the test-side virtio driver; see mock_vq.h. */
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"
#include "vmm/virtio/lifecycle.h"

/*
 * The mock is linked into Check suites and fuzz harnesses alike, so it
 * cannot use ck_assert; a broken test set-up aborts, which Check's fork
 * mode reports as an error of that one test.
 */
#define mock_check(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

void mock_guest_init(struct mock_guest *g)
{
	mock_check(guest_mem_init(&g->gm, MOCK_RAM, 0, NULL) == 0);
	g->data_next = MOCK_DATA_BASE;
}

void mock_guest_fini(struct mock_guest *g)
{
	guest_mem_fini(&g->gm);
}

gpa_t mock_alloc(struct mock_guest *g, uint32_t len)
{
	gpa_t p = g->data_next;

	g->data_next = (p + len + 15) & ~15ULL;
	mock_check(g->data_next <= MOCK_RAM);
	memset(mock_ptr(g, p, len), 0, len);
	return p;
}

void *mock_ptr(struct mock_guest *g, gpa_t gpa, uint64_t len)
{
	void *p = guest_mem_ptr(&g->gm, gpa, len);

	mock_check(p);
	return p;
}

static void mock_w16(struct guest_mem *gm, gpa_t a, uint16_t v)
{
	uint8_t b[2];

	le16_put(b, v);
	mock_check(guest_mem_write(gm, a, b, 2) == 0);
}

static uint16_t mock_r16(struct guest_mem *gm, gpa_t a)
{
	uint8_t b[2];

	mock_check(guest_mem_read(gm, a, b, 2) == 0);
	return le16_get(b);
}

/* The ring's three parts, zeroed in guest memory. */
static void mock_ring_zero(const struct mock_vq *mq)
{
	static const uint8_t zero[4096];
	gpa_t end = mq->used + 6 + 8ULL * mq->size, at;
	size_t n;

	for (at = mq->desc; at < end; at += n) {
		n = end - at < sizeof(zero) ? (size_t)(end - at) : sizeof(zero);
		mock_check(guest_mem_write(mq->gm, at, zero, n) == 0);
	}
}

void mock_vq_init(struct mock_vq *mq, struct guest_mem *gm, unsigned int index, uint16_t size)
{
	memset(mq, 0, sizeof(*mq));
	mq->gm = gm;
	mq->size = size;
	mq->desc = MOCK_RING_BASE + index * MOCK_RING_STRIDE;
	mq->avail = mq->desc + 16ULL * size;
	mq->used = (mq->avail + 6 + 2ULL * size + 3) & ~3ULL;
	/* A driver sets up a fresh ring zeroed: after a reset the device must
	 * not find the old avail index there (it may look at activation). */
	mock_ring_zero(mq);
}

void mock_desc_write(struct guest_mem *gm, gpa_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	le64_put(d, addr);
	le32_put(d + 8, len);
	le16_put(d + 12, flags);
	le16_put(d + 14, next);
	mock_check(guest_mem_write(gm, table + 16ULL * i, d, 16) == 0);
}

void mock_vq_desc(struct mock_vq *mq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next)
{
	mock_desc_write(mq->gm, mq->desc, i, addr, len, flags, next);
}

void mock_vq_publish(struct mock_vq *mq, uint16_t head)
{
	mock_w16(mq->gm, mq->avail + 4 + 2ULL * (mq->avail_idx % mq->size), head);
	mock_vq_set_avail_idx(mq, (uint16_t)(mq->avail_idx + 1));
}

void mock_vq_set_avail_idx(struct mock_vq *mq, uint16_t idx)
{
	mq->avail_idx = idx;
	mock_w16(mq->gm, mq->avail + 2, idx);
}

void mock_vq_set_avail_flags(struct mock_vq *mq, uint16_t flags)
{
	mock_w16(mq->gm, mq->avail, flags);
}

void mock_vq_set_used_event(struct mock_vq *mq, uint16_t v)
{
	mock_w16(mq->gm, mq->avail + 4 + 2ULL * mq->size, v);
}

uint16_t mock_vq_avail_event(struct mock_vq *mq)
{
	return mock_r16(mq->gm, mq->used + 4 + 8ULL * mq->size);
}

uint16_t mock_vq_used_flags(struct mock_vq *mq)
{
	return mock_r16(mq->gm, mq->used);
}

uint16_t mock_vq_used_idx(struct mock_vq *mq)
{
	return mock_r16(mq->gm, mq->used + 2);
}

static uint16_t mock_vq_take_slot(struct mock_vq *mq)
{
	uint16_t i = mq->next_desc;

	mq->next_desc = (uint16_t)((i + 1) % mq->size);
	return i;
}

uint16_t mock_vq_add_chain(struct mock_vq *mq, const struct mock_buf *bufs, unsigned int n)
{
	uint16_t head = mq->next_desc, i, cur;
	unsigned int k;

	for (k = 0, cur = mock_vq_take_slot(mq); k < n; k++, cur = i) {
		uint16_t flags = bufs[k].write ? VRING_DESC_F_WRITE : 0;

		i = k + 1 < n ? mock_vq_take_slot(mq) : 0;
		if (k + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		mock_vq_desc(mq, cur, bufs[k].addr, bufs[k].len, flags, i);
	}
	mock_vq_publish(mq, head);
	return head;
}

uint16_t mock_vq_add_indirect(struct mock_vq *mq, struct mock_guest *g, const struct mock_buf *bufs,
			      unsigned int n)
{
	gpa_t table = mock_alloc(g, 16 * n);
	uint16_t head = mock_vq_take_slot(mq);
	unsigned int k;

	for (k = 0; k < n; k++)
		mock_desc_write(mq->gm, table, (uint16_t)k, bufs[k].addr, bufs[k].len,
				(bufs[k].write ? VRING_DESC_F_WRITE : 0) |
					(k + 1 < n ? VRING_DESC_F_NEXT : 0),
				(uint16_t)(k + 1));
	mock_vq_desc(mq, head, table, 16 * n, VRING_DESC_F_INDIRECT, 0);
	mock_vq_publish(mq, head);
	return head;
}

bool mock_vq_get_used(struct mock_vq *mq, uint32_t *id, uint32_t *len)
{
	uint8_t e[8];
	gpa_t a;

	if (mock_vq_used_idx(mq) == mq->last_used)
		return false;
	a = mq->used + 4 + 8ULL * (mq->last_used % mq->size);
	mock_check(guest_mem_read(mq->gm, a, e, 8) == 0);
	*id = le32_get(e);
	*len = le32_get(e + 4);
	mq->last_used++;
	return true;
}

uint32_t mock_mmio_read(struct virtio_mmio *m, uint32_t off)
{
	uint8_t b[4];

	virtio_mmio_io(m, off, b, 4, false);
	return le32_get(b);
}

void mock_mmio_write(struct virtio_mmio *m, uint32_t off, uint32_t val)
{
	uint8_t b[4];

	le32_put(b, val);
	virtio_mmio_io(m, off, b, 4, true);
}

static void mock_mmio_write64(struct virtio_mmio *m, uint32_t lo, uint64_t v)
{
	mock_mmio_write(m, lo, (uint32_t)v);
	mock_mmio_write(m, lo + 4, (uint32_t)(v >> 32));
}

void mock_mmio_setup_queue(struct virtio_mmio *m, unsigned int index, const struct mock_vq *mq)
{
	mock_mmio_write(m, VIRTIO_MMIO_QUEUE_SEL, index);
	mock_mmio_write(m, VIRTIO_MMIO_QUEUE_NUM, mq->size);
	mock_mmio_write64(m, VIRTIO_MMIO_QUEUE_DESC_LOW, mq->desc);
	mock_mmio_write64(m, VIRTIO_MMIO_QUEUE_AVAIL_LOW, mq->avail);
	mock_mmio_write64(m, VIRTIO_MMIO_QUEUE_USED_LOW, mq->used);
	mock_mmio_write(m, VIRTIO_MMIO_QUEUE_READY, 1);
}

uint32_t mock_mmio_bring_up(struct virtio_mmio *m, uint64_t features, struct mock_vq *qs,
			    unsigned int nr)
{
	unsigned int i;

	mock_mmio_write(m, VIRTIO_MMIO_STATUS, 0);
	mock_mmio_write(m, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mock_mmio_write(m, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mock_mmio_write(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mock_mmio_write(m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	mock_mmio_write(m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mock_mmio_write(m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mock_mmio_write(m, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(mock_mmio_read(m, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return mock_mmio_read(m, VIRTIO_MMIO_STATUS);
	for (i = 0; i < nr; i++)
		mock_mmio_setup_queue(m, i, &qs[i]);
	mock_mmio_write(m, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return mock_mmio_read(m, VIRTIO_MMIO_STATUS);
}

static struct mock_dev *mock_dev_of(struct virtio_dev *dev)
{
	return (struct mock_dev *)((char *)dev - offsetof(struct mock_dev, dev));
}

static void mock_dev_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, mock_dev_of(dev)->config + off, len);
}

static void mock_dev_config_write(struct virtio_dev *dev, uint32_t off, const void *buf,
				  uint32_t len)
{
	memcpy(mock_dev_of(dev)->config + off, buf, len);
}

static bool mock_dev_features_ok(struct virtio_dev *dev)
{
	if (mock_dev_of(dev)->fail_in_features_ok)
		virtio_dev_fail(dev, "mock: failed during FEATURES_OK");
	return true;
}

static int mock_dev_activate(struct virtio_dev *dev)
{
	mock_dev_of(dev)->activations++;
	return mock_dev_of(dev)->activate_ret;
}

static void mock_dev_reset(struct virtio_dev *dev)
{
	mock_dev_of(dev)->resets++;
}

static void mock_dev_notify(struct virtio_dev *dev, unsigned int index)
{
	mock_dev_of(dev)->notifies++;
}

static void mock_dev_irq(void *opaque, uint32_t cause)
{
	struct mock_dev *md = opaque;

	if (cause & VIRTIO_INT_USED)
		md->used_irqs++;
	if (cause & VIRTIO_INT_CONFIG)
		md->config_irqs++;
}

static const struct virtio_dev_ops mock_dev_ops = {
	.config_read = mock_dev_config_read,
	.config_write = mock_dev_config_write,
	.features_ok = mock_dev_features_ok,
	.activate = mock_dev_activate,
	.reset = mock_dev_reset,
	.queue_notify = mock_dev_notify,
};

void mock_dev_init(struct mock_dev *md, struct guest_mem *gm, uint16_t max_size)
{
	struct virtio_irq irq = { mock_dev_irq, md };

	memset(md, 0, sizeof(*md));
	mock_check(virtio_dev_init(&md->dev, "mock", MOCK_DEV_ID, MOCK_DEV_FEATURE,
				   sizeof(md->config), md->queues, MOCK_DEV_QUEUES, max_size,
				   &mock_dev_ops, gm, NULL) == 0);
	virtio_dev_set_irq(&md->dev, &irq);
	virtio_mmio_init(&md->mmio, &md->dev);
}

void mock_dev_fini(struct mock_dev *md)
{
	virtio_dev_reset(&md->dev);
	virtio_dev_fini(&md->dev);
}
