// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_blk.c - virtio-blk request parsing and execution: the input is
 * split into up to 8 descriptors (a 3-byte header each: length, flags;
 * then the readable ones' contents), published as one chain on a live
 * device backed by a 64 KiB memfd, and notified. Requests run inline
 * (no workers) so every input is deterministic.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"
#include "vmm/virtio/blk/blk.h"

#define FUZZ_DISK (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned int fuzz_bufs(struct mock_guest *g, const uint8_t *data, size_t size,
			      struct mock_buf *b)
{
	unsigned int n = 0, nr = size ? (data[0] % 8) + 1 : 0;
	size_t off = 1;

	while (n < nr && off + 3 <= size) {
		uint32_t len = le16_get(data + off) % 8192;
		bool w = data[off + 2] & 1;

		off += 3;
		b[n] = (struct mock_buf){ mock_alloc(g, len ? len : 1), len, w };
		if (!w && off < size) {
			size_t c = size - off < len ? size - off : len;

			memcpy(mock_ptr(g, b[n].addr, c), data + off, c);
			off += c;
		}
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_blk_params p = { .fd = -1, .serial = "fuzz", .read_only = size & 1 };
	struct mock_guest g;
	struct mock_vq mq;
	struct virtio_mmio mmio;
	struct virtio_blk *blk;
	struct mock_buf b[8];
	unsigned int n;
	int fd;

	fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, FUZZ_DISK) < 0)
		abort();
	p.fd = fd;
	mock_guest_init(&g);
	if (virtio_blk_create(&blk, &p, &g.gm, NULL, NULL) < 0)
		abort();
	virtio_mmio_init(&mmio, virtio_blk_dev(blk));
	mock_vq_init(&mq, &g.gm, 0, 16);
	mock_mmio_bring_up(&mmio, virtio_blk_dev(blk)->offered, &mq, 1);
	n = fuzz_bufs(&g, data, size, b);
	if (n) {
		mock_vq_add_chain(&mq, b, n);
		mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	virtio_blk_destroy(blk);
	mock_guest_fini(&g);
	close(fd);
	return 0;
}
