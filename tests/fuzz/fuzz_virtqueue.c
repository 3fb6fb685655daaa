// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtqueue.c - structure-aware fuzzing of vmm/virtio/queue.c and
 * chain.c: the input is decoded into driver operations (write a direct or
 * indirect descriptor, publish a head, jump avail.idx, set event fields,
 * pop/push, toggle notifications, reset) applied through the mock driver
 * to a live queue. Any crash or sanitizer report is a bug; a failed device
 * is an expected outcome.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/mock_vq.h"
#include "vmm/virtio/chain.h"

#define FUZZ_INDIRECT 0x100000ULL /* an indirect-table area in guest RAM */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static uint64_t fuzz_take(struct fuzz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v = v << 8 | (in->left ? *in->p : 0);
		if (in->left) {
			in->p++;
			in->left--;
		}
	}
	return v;
}

/* Mostly-valid addresses, sometimes anything at all. */
static uint64_t fuzz_addr(struct fuzz_in *in)
{
	uint8_t kind = (uint8_t)fuzz_take(in, 1);

	if (kind < 200)
		return 0x200000ULL + (fuzz_take(in, 2) << 4);
	if (kind < 240)
		return MOCK_RAM - fuzz_take(in, 2);
	return fuzz_take(in, 8);
}

static void fuzz_consume(struct virtq_chain *c)
{
	struct chain_reader r;
	struct chain_writer w, tail;
	uint8_t buf[64];
	struct iovec iov[8];

	chain_reader_init(&r, c);
	chain_writer_init(&w, c);
	while (chain_reader_remaining(&r) >= sizeof(buf))
		chain_read(&r, buf, sizeof(buf));
	chain_reader_export(&r, chain_reader_remaining(&r), iov, 8);
	if (chain_writer_split_tail(&w, 1, &tail) == 0)
		chain_write(&tail, "s", 1);
	while (chain_writer_remaining(&w) >= sizeof(buf))
		chain_write(&w, buf, sizeof(buf));
	chain_writer_skip(&w, chain_writer_remaining(&w));
}

static void fuzz_op(struct mock_dev *md, struct mock_vq *mq, struct fuzz_in *in)
{
	struct virtq *q = &md->queues[0];
	static struct virtq_chain c;
	uint8_t op = (uint8_t)fuzz_take(in, 1);
	uint16_t i, flags, next;
	uint64_t addr;
	uint32_t len;

	switch (op % 8) {
	case 0:
	case 1:
		i = (uint16_t)fuzz_take(in, 1);
		addr = fuzz_addr(in);
		len = (uint32_t)fuzz_take(in, op & 8 ? 4 : 2);
		flags = (uint16_t)(fuzz_take(in, 1) & 7);
		next = (uint16_t)fuzz_take(in, 1);
		if (op % 8 == 0)
			mock_vq_desc(mq, i % mq->size, addr, len, flags, next);
		else
			mock_desc_write(mq->gm, FUZZ_INDIRECT, i, addr, len, flags, next);
		break;
	case 2:
		mock_vq_publish(mq, (uint16_t)fuzz_take(in, 1));
		break;
	case 3:
		mock_vq_set_avail_idx(mq, (uint16_t)fuzz_take(in, 2));
		break;
	case 4:
		virtq_lock(q);
		if (virtq_pop(q, &c) == 1) {
			fuzz_consume(&c);
			virtq_push(q, op & 0x80 ? (uint16_t)fuzz_take(in, 2) : c.head, c.in_len);
		}
		virtq_unlock(q);
		break;
	case 5:
		virtq_lock(q);
		if (op & 0x10)
			virtq_disable_notify(q);
		else
			virtq_enable_notify(q);
		virtq_notify(q);
		virtq_unlock(q);
		break;
	case 6:
		mock_vq_set_used_event(mq, (uint16_t)fuzz_take(in, 2));
		mock_vq_set_avail_flags(mq, (uint16_t)fuzz_take(in, 1));
		break;
	case 7:
		mock_vq_init(mq, mq->gm, 0, mq->size);
		mock_mmio_bring_up(&md->mmio, md->dev.acked, mq, 1);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static struct mock_guest g;
	static struct mock_dev md;
	struct mock_vq mq;
	uint8_t cfg = (uint8_t)fuzz_take(&in, 1);
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	unsigned int ops = 0;

	if (cfg & 1)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (cfg & 2)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	mock_guest_init(&g);
	mock_dev_init(&md, &g.gm, VIRTQ_MAX_SIZE);
	mock_vq_init(&mq, &g.gm, 0, (uint16_t)(1u << ((cfg >> 2) % 9)));
	mock_mmio_bring_up(&md.mmio, features, &mq, 1);
	while (in.left && ops++ < 512)
		fuzz_op(&md, &mq, &in);
	mock_dev_fini(&md);
	mock_guest_fini(&g);
	return 0;
}
