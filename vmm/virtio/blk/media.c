// SPDX-License-Identifier: Apache-2.0
/*
 * media.c - the medium behind a virtio-blk device: opening and sizing
 * it, and swapping it while the guest runs (hot media change, the way a
 * CD drive or a card reader changes media: the device stays, its
 * capacity changes and the driver is told through a config interrupt).
 *
 * Why a swap is safe against I/O: requests read b->fd, b->capacity and
 * b->ro when they are parsed (under q->lock) and executed (on a worker,
 * no lock). The swap holds dev->lock, which keeps reset and activate
 * away, sets b->stopping so nothing new is popped, and waits until no
 * request is in flight (blk_io_drain, the reset path's own quiesce):
 * requests already popped complete on the old medium, later ones see the
 * new one. Workers never take dev->lock, so waiting under it cannot
 * deadlock. Afterwards it pops whatever the driver queued meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/virtio/blk/blk_internal.h"

struct blk_media {
	int fd;
	uint64_t capacity; /* sectors */
	bool ro, regular, can_punch, can_zero;
};

/* Size in 512-byte sectors: st_size for files, BLKGETSIZE64 for devices. */
static int media_size(struct blk_media *m, struct husk_error **err)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(m->fd, &st) < 0)
		return husk_err(err, errno, "fstat");
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(m->fd, BLKGETSIZE64, &bytes) < 0)
			return husk_err(err, errno, "BLKGETSIZE64");
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
		m->regular = true;
	} else {
		return husk_err(err, 0, "not a regular file or block device");
	}
	m->capacity = bytes / VIRTIO_BLK_SECTOR;
	return 0;
}

/*
 * Discard and write-zeroes map to fallocate(); whether the filesystem
 * supports it is only known by trying, on a range past the end of the
 * file so no data is touched (KEEP_SIZE keeps the size; the punch after a
 * zero-range probe frees what that allocated).
 */
static void media_probe_fallocate(struct blk_media *m)
{
	off_t off = (off_t)((m->capacity * VIRTIO_BLK_SECTOR + 4095) & ~4095ULL);

	if (!m->regular || m->ro)
		return;
	m->can_zero = fallocate(m->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, 4096) == 0;
	m->can_punch = fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, 4096) == 0;
}

static int media_open(struct blk_media *m, const char *path, int fd, bool ro,
		      struct husk_error **err)
{
	int ret;

	memset(m, 0, sizeof(*m));
	m->ro = ro;
	if (fd >= 0)
		m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	else if (path)
		m->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	else
		return husk_err(err, EINVAL, "virtio-blk: no path or fd");
	if (m->fd < 0)
		return husk_err(err, errno, "virtio-blk: open %s", path ? path : "fd");
	ret = media_size(m, err);
	if (ret < 0) {
		close(m->fd);
		return ret;
	}
	media_probe_fallocate(m);
	return 0;
}

/* Returns the old fd (or -1) for the caller to close. */
static int media_install(struct virtio_blk *b, const struct blk_media *m)
{
	int old = b->fd;

	b->fd = m->fd;
	b->capacity = m->capacity;
	b->ro = m->ro;
	b->regular = m->regular;
	b->can_punch = m->can_punch;
	b->can_zero = m->can_zero;
	b->config.capacity = htole64(m->capacity);
	return old;
}

int blk_media_open(struct virtio_blk *b, const char *path, int fd, bool ro, struct husk_error **err)
{
	struct blk_media m;
	int ret = media_open(&m, path, fd, ro, err);

	if (!ret)
		media_install(b, &m);
	return ret;
}

/* Under dev->lock: quiesce, install @m, resume, tell the driver. */
static void media_swap(struct virtio_blk *b, const struct blk_media *m)
{
	bool was_stopping = __atomic_load_n(&b->stopping, __ATOMIC_ACQUIRE);
	int old;

	blk_io_drain(b);
	old = media_install(b, m);
	if (old >= 0)
		close(old);
	if (!was_stopping) {
		__atomic_store_n(&b->stopping, false, __ATOMIC_RELEASE);
		/* Notifications during the drain popped nothing: pop now. */
		if (__atomic_load_n(&b->dev.active, __ATOMIC_ACQUIRE))
			blk_process(b);
	}
	virtio_dev_config_changed(&b->dev);
}

int virtio_blk_attach(struct virtio_blk *b, const char *path, int fd, bool ro,
		      struct husk_error **err)
{
	struct blk_media m;
	int ret;

	/* Open before taking the lock: a slow or failing open stalls no I/O. */
	ret = media_open(&m, path, fd, ro, err);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&b->dev.lock);
	if (b->fd >= 0) {
		pthread_mutex_unlock(&b->dev.lock);
		close(m.fd);
		return husk_err(err, EBUSY, "virtio-blk: the slot already has a medium");
	}
	media_swap(b, &m);
	pthread_mutex_unlock(&b->dev.lock);
	return 0;
}

int virtio_blk_detach(struct virtio_blk *b, struct husk_error **err)
{
	struct blk_media none = { .fd = -1 };

	pthread_mutex_lock(&b->dev.lock);
	if (b->fd < 0) {
		pthread_mutex_unlock(&b->dev.lock);
		return husk_err(err, ENXIO, "virtio-blk: the slot is empty");
	}
	media_swap(b, &none);
	pthread_mutex_unlock(&b->dev.lock);
	return 0;
}
