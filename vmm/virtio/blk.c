// SPDX-License-Identifier: Apache-2.0
/*
 * blk.c - virtio-blk device (virtio 1.2 section 5.2): backend set-up,
 * config space, and the queue side of request handling. Request parsing
 * is in blk_req.c, the worker pool in blk_io.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/blk_internal.h"

static struct virtio_blk *blk_of(struct virtio_dev *dev)
{
	return (struct virtio_blk *)((char *)dev - offsetof(struct virtio_blk, dev));
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->dev;
}

uint64_t virtio_blk_capacity(const struct virtio_blk *b)
{
	return b->capacity;
}

static void blk_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)&blk_of(dev)->config + off, len);
}

static int blk_activate(struct virtio_dev *dev)
{
	__atomic_store_n(&blk_of(dev)->stopping, false, __ATOMIC_RELEASE);
	return 0;
}

static void blk_reset(struct virtio_dev *dev)
{
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

/* Size in 512-byte sectors: st_size for files, BLKGETSIZE64 for devices. */
static int blk_size(struct virtio_blk *b, struct husk_error **err)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(b->fd, &st) < 0)
		return husk_err(err, errno, "fstat");
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0)
			return husk_err(err, errno, "BLKGETSIZE64");
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
		b->regular = true;
	} else {
		return husk_err(err, 0, "not a regular file or block device");
	}
	b->capacity = bytes / VIRTIO_BLK_SECTOR;
	return 0;
}

/*
 * Discard and write-zeroes map to fallocate(); whether the filesystem
 * supports it is only known by trying, on a range past the end of the
 * file so no data is touched (KEEP_SIZE keeps the size; the punch after a
 * zero-range probe frees what that allocated).
 */
static void blk_probe_fallocate(struct virtio_blk *b)
{
	off_t off = (off_t)((b->capacity * VIRTIO_BLK_SECTOR + 4095) & ~4095ULL);

	if (!b->regular || b->ro)
		return;
	b->can_zero = fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				off, 4096) == 0;
	b->can_punch = fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 off, 4096) == 0;
}

/* Config space (5.2.4) and the feature offer (5.2.3), little-endian. */
static uint64_t blk_setup_config(struct virtio_blk *b)
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
	if (b->can_punch) {
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
		c->max_discard_sectors = htole32(VIRTIO_BLK_MAX_ZERO_SECTORS);
		c->max_discard_seg = htole32(1);
		c->discard_sector_alignment = htole32(4096 / VIRTIO_BLK_SECTOR);
	}
	if (b->can_punch || b->can_zero) {
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
		c->max_write_zeroes_sectors = htole32(VIRTIO_BLK_MAX_ZERO_SECTORS);
		c->max_write_zeroes_seg = htole32(1);
		c->write_zeroes_may_unmap = b->can_punch;
	}
	return f;
}

static int blk_open(struct virtio_blk *b, const struct virtio_blk_params *p,
		    struct husk_error **err)
{
	int flags = (p->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	b->ro = p->read_only;
	if (p->fd >= 0)
		b->fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	else if (p->path)
		b->fd = open(p->path, flags);
	else
		return husk_err(err, 0, "virtio-blk: no path or fd");
	if (b->fd < 0)
		return husk_err(err, errno, "virtio-blk: open %s", p->path ? p->path : "fd");
	return blk_size(b, err);
}

int virtio_blk_create(struct virtio_blk **out, const struct virtio_blk_params *p,
		      struct guest_mem *mem, const struct log_sink *log,
		      struct husk_error **err)
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
	ret = blk_open(b, p, err);
	if (ret < 0)
		goto fail;
	blk_probe_fallocate(b);
	features = blk_setup_config(b);
	if (p->serial)	/* NUL-padded; a 20-byte serial has no terminator (5.2.6) */
		memcpy(b->serial, p->serial, strnlen(p->serial, sizeof(b->serial)));
	ret = virtio_dev_init(&b->dev, "blk", VIRTIO_ID_BLOCK, features,
			      sizeof(b->config), &b->queue, 1, VIRTIO_BLK_QUEUE_SIZE,
			      &blk_ops, mem, log);
	if (ret < 0) {
		husk_err(err, -ret, "virtio-blk: device init");
		goto fail;
	}
	b->dev_inited = true;
	ret = blk_io_start(b, p->nr_workers, err);
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
		blk_io_stop(b);
		virtio_dev_fini(&b->dev);
	}
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}
