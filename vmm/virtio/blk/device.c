// SPDX-License-Identifier: Apache-2.0
/*
 * device.c - virtio-blk device (virtio 1.2 section 5.2): backend set-up,
 * config space, and the queue side of request handling. Request parsing
 * is in request.c, the worker pool in io.c, the medium (open, size,
 * attach and detach while the VM runs) in media.c.
 */
#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/virtio/blk/blk_internal.h"
#include "vmm/virtio/lifecycle.h"

static struct virtio_blk *blk_of(struct virtio_dev *dev)
{
	return (struct virtio_blk *)((char *)dev - offsetof(struct virtio_blk, dev));
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->dev;
}

uint64_t virtio_blk_throttled(const struct virtio_blk *b)
{
	return rate_limiter_throttled(&b->limiter);
}

uint64_t virtio_blk_capacity(const struct virtio_blk *b)
{
	return b->capacity;
}

static void blk_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)&blk_of(dev)->config + off, len);
}

/*
 * virtio_dev_activate() marks the device active before calling this, and
 * after a reset b->stopping is still set from the drain: a kick landing in
 * between reached blk_process(), which popped nothing and dropped it.
 * Serving whatever the driver made available once stopping is clear
 * closes that window (a kick after this finds the queue open anyway).
 */
static int blk_activate(struct virtio_dev *dev)
{
	struct virtio_blk *b = blk_of(dev);

	__atomic_store_n(&b->stopping, false, __ATOMIC_RELEASE);
	blk_process(b);
	return 0;
}

static void blk_reset(struct virtio_dev *dev)
{
	blk_drop_held(blk_of(dev));
	blk_io_drain(blk_of(dev));
}

static void blk_queue_notify(struct virtio_dev *dev, unsigned int index)
{
	blk_process(blk_of(dev));
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
	.queue_notify = blk_queue_notify,
};

/* Config space (5.2.4) and the feature offer (5.2.3), little-endian. */
static uint64_t blk_setup_config(struct virtio_blk *b, bool empty)
{
	struct virtio_blk_config *c = &b->config;
	uint64_t f = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(b->capacity);
	c->size_max = htole32(VIRTIO_BLK_SIZE_MAX);
	/* header and status take two of a chain's segments */
	c->seg_max = htole32(VIRTQ_CHAIN_MAX_IOV - 2);
	c->blk_size = htole32(VIRTIO_BLK_SECTOR);
	if (b->ro)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	/*
	 * Features are negotiated once, at probe: an empty slot offers
	 * discard and write-zeroes for whatever medium comes later (a medium
	 * that cannot do them answers UNSUPP per request).
	 */
	if (b->can_punch || empty) {
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
		c->max_discard_sectors = htole32(VIRTIO_BLK_MAX_ZERO_SECTORS);
		c->max_discard_seg = htole32(1);
		c->discard_sector_alignment = htole32(4096 / VIRTIO_BLK_SECTOR);
	}
	if (b->can_punch || b->can_zero || empty) {
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
		c->max_write_zeroes_sectors = htole32(VIRTIO_BLK_MAX_ZERO_SECTORS);
		c->max_write_zeroes_seg = htole32(1);
		c->write_zeroes_may_unmap = b->can_punch || empty;
	}
	return f;
}

int virtio_blk_create(struct virtio_blk **out, const struct virtio_blk_params *p,
		      struct guest_mem *mem, const struct log_sink *log, struct husk_error **err)
{
	struct virtio_blk *b;
	uint64_t features;
	int ret;

	if (p->nr_workers > VIRTIO_BLK_MAX_WORKERS)
		return husk_err(err, 0, "virtio-blk: at most %d workers", VIRTIO_BLK_MAX_WORKERS);
	b = calloc(1, sizeof(*b));
	if (!b)
		return husk_err(err, ENOMEM, "virtio-blk");
	b->fd = -1;
	b->limiter.timer_fd = -1;
	if (p->path || p->fd >= 0) {
		ret = blk_media_open(b, p->path, p->fd, p->read_only, err);
		if (ret < 0)
			goto fail;
	}
	features = blk_setup_config(b, b->fd < 0);
	if (p->serial) /* NUL-padded; a 20-byte serial has no terminator (5.2.6) */
		memcpy(b->serial, p->serial, strnlen(p->serial, sizeof(b->serial)));
	ret = virtio_dev_init(&b->dev, "blk", VIRTIO_ID_BLOCK, features, sizeof(b->config),
			      &b->queue, 1, VIRTIO_BLK_QUEUE_SIZE, &blk_ops, mem, log);
	if (ret < 0) {
		husk_err(err, -ret, "virtio-blk: device init");
		goto fail;
	}
	b->dev_inited = true;
	b->seccomp = p->seccomp;
	ret = blk_io_start(b, p->nr_workers, err);
	if (ret < 0)
		goto fail;
	ret = rate_limiter_init(&b->limiter, &p->rate_limit, p->loop, blk_resume, b, p->clock,
				p->clock_opaque, err);
	if (ret < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	virtio_blk_destroy(b);
	return ret;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	if (b->dev_inited) {
		pthread_mutex_lock(&b->dev.lock);
		virtio_dev_reset(&b->dev);
		pthread_mutex_unlock(&b->dev.lock);
		/* before the workers' locks go: the timer's callback takes them */
		rate_limiter_fini(&b->limiter);
		blk_io_stop(b);
		virtio_dev_fini(&b->dev);
	}
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}
