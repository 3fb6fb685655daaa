// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_mmio.c - a sequence of guest register reads and writes
 * against the virtio-mmio transport of a mock device: 8 bytes per access
 * (offset, width, direction, value). After each write the queues are
 * polled, so whatever geometry the sequence activated is exercised too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_poll(struct mock_dev *md)
{
	static struct virtq_chain c;
	unsigned int i;

	for (i = 0; i < MOCK_DEV_QUEUES; i++) {
		virtq_lock(&md->queues[i]);
		if (virtq_pop(&md->queues[i], &c) == 1)
			virtq_push(&md->queues[i], c.head, 0);
		virtq_notify(&md->queues[i]);
		virtq_unlock(&md->queues[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[4] = { 1, 2, 4, 8 };
	static struct mock_guest g;
	static struct mock_dev md;
	size_t off;

	mock_guest_init(&g);
	mock_dev_init(&md, &g.gm, 64);
	for (off = 0; off + 8 <= size; off += 8) {
		const uint8_t *a = data + off;
		uint64_t reg = le16_get(a) % (VIRTIO_MMIO_WINDOW + 8);
		uint32_t len = widths[a[2] & 3];
		uint8_t buf[8];

		/* Mostly aligned 32-bit accesses, or the state machine never moves. */
		if (!(a[2] & 4)) {
			reg &= ~3ULL;
			len = 4;
		}
		memcpy(buf, a + 4, 4);
		memcpy(buf + 4, a + 4, 4);
		virtio_mmio_io(&md.mmio, reg, buf, len, a[3] & 1);
		if (a[3] & 1)
			fuzz_poll(&md);
	}
	mock_dev_fini(&md);
	mock_guest_fini(&g);
	return 0;
}
