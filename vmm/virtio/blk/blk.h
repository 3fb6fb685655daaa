/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blk.h - virtio-blk (virtio 1.2 section 5.2) over a raw image file or a
 * host block device.
 *
 * Threads: requests are popped and parsed on whichever thread delivers the
 * queue notification (event loop or vCPU), under the queue lock, at most
 * VIRTQ_TURN_BUDGET a turn before the loop's other sources get theirs. Reads,
 * writes, flushes and discards run on a small pool of worker threads so a
 * slow disk never stalls the event loop; a worker completes its request
 * by taking the queue lock, writing the status byte, pushing the used
 * element and raising the interrupt. The request pool and the worker
 * hand-off are under b->wlock (lock order: q->lock, then b->wlock).
 * With nr_workers 0, requests run inline on the notifying thread (tests,
 * fuzzing).
 */
#ifndef HUSK_VMM_VIRTIO_BLK_BLK_H
#define HUSK_VMM_VIRTIO_BLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/event_loop.h"
#include "vmm/base/guest_mem.h"
#include "vmm/base/log.h"
#include "vmm/base/rate_limiter.h"
#include "vmm/virtio/virtio.h"

/* Requests in flight per device; the queue is not popped beyond this. */
#define VIRTIO_BLK_MAX_INFLIGHT 32
#define VIRTIO_BLK_QUEUE_SIZE	256
#define VIRTIO_BLK_MAX_WORKERS	8

/* No path and fd < 0: an empty slot (capacity 0) for virtio_blk_attach(). */
struct virtio_blk_params {
	const char *path;	 /* image file or block device; used when fd < 0 */
	int fd;			 /* an open image (borrowed, dup'ed), or -1 */
	bool read_only;		 /* open O_RDONLY and offer VIRTIO_BLK_F_RO */
	const char *serial;	 /* GET_ID string, ≤ 20 bytes used; NULL: "" */
	unsigned int nr_workers; /* I/O threads, ≤ VIRTIO_BLK_MAX_WORKERS */
	/*
	 * rate_limit: all zero for none. Otherwise a request the buckets
	 * refuse waits, popped but not parsed, until the limiter's timer on
	 * @loop (required then) resumes the queue (vmm/base/rate_limiter.h).
	 * clock: NULL for CLOCK_MONOTONIC; tests pass their own.
	 */
	struct husk_rate_limit rate_limit;
	struct event_loop *loop;
	rate_clock_fn clock;
	void *clock_opaque;
	bool seccomp; /* each installs the disk I/O filter (vmm/seccomp/) */
};

struct virtio_blk;

/*
 * virtio_blk_create - open the backend, size it (regular file: st_size;
 * block device: BLKGETSIZE64; rounded down to 512-byte sectors), probe
 * discard / write-zeroes support (fallocate on regular files), start the
 * workers. Returns 0 or -errno with *err filled.
 */
int virtio_blk_create(struct virtio_blk **out, const struct virtio_blk_params *p,
		      struct guest_mem *mem, const struct log_sink *log, struct husk_error **err);

/* virtio_blk_destroy - reset the device, stop workers, close; NULL is fine. */
void virtio_blk_destroy(struct virtio_blk *b);

/* virtio_blk_dev - the transport-facing device (for virtio_mmio_init). */
struct virtio_dev *virtio_blk_dev(struct virtio_blk *b);

/*
 * virtio_blk_attach - give an empty slot a medium (@path, or a dup of @fd
 * when >= 0), safe while the guest runs: in-flight I/O is drained first,
 * then capacity is updated, ConfigGeneration bumped and a config interrupt
 * raised. @ro refuses writes with IOERR (the guest's F_RO was fixed at
 * probe). Returns 0, -EBUSY (a medium is in), or the open's -errno.
 */
int virtio_blk_attach(struct virtio_blk *b, const char *path, int fd, bool ro,
		      struct husk_error **err);

/*
 * virtio_blk_detach - remove the medium (closing its fd) the same way;
 * afterwards every request but GET_ID fails with IOERR. -ENXIO if empty.
 */
int virtio_blk_detach(struct virtio_blk *b, struct husk_error **err);

/* virtio_blk_throttled - requests its rate limit held back so far; any thread. */
uint64_t virtio_blk_throttled(const struct virtio_blk *b);

/* virtio_blk_capacity - disk size in 512-byte sectors. */
uint64_t virtio_blk_capacity(const struct virtio_blk *b);

#endif
