/* SPDX-License-Identifier: Apache-2.0 */
/* blk_internal.h - state shared by device.c, request.c and io.c only. */
#ifndef HUSK_VMM_VIRTIO_BLK_INTERNAL_H
#define HUSK_VMM_VIRTIO_BLK_INTERNAL_H

#include <linux/virtio_blk.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/virtio/blk/blk.h"
#include "vmm/virtio/chain.h"
#include "vmm/virtio/queue.h"

#define VIRTIO_BLK_SECTOR	    512u
#define VIRTIO_BLK_SIZE_MAX	    (1u << 20) /* bytes per segment */
#define VIRTIO_BLK_MAX_ZERO_SECTORS (1u << 22) /* 2 GiB per discard */

/* What the parser decided. */
enum blk_verdict {
	BLK_DONE,   /* status (and any data) ready: complete now */
	BLK_IO,	    /* needs the backend: run blk_req_execute() */
	BLK_BROKEN, /* framing violated: the device was failed */
};

struct blk_req {
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_CHAIN_MAX_IOV]; /* data, for preadv/pwritev */
	int iovcnt;
	uint32_t type;		    /* VIRTIO_BLK_T_* */
	uint64_t offset, len;	    /* bytes on the backend */
	bool unmap;		    /* write-zeroes may deallocate */
	struct chain_writer status; /* the last writable byte (5.2.6) */
	uint32_t written;	    /* data bytes given to the driver */
	uint8_t result;		    /* VIRTIO_BLK_S_* */
	struct blk_req *next;
};

struct virtio_blk {
	struct virtio_dev dev;
	struct virtq queue;
	struct virtio_blk_config config; /* little-endian, as the guest sees it */
	int fd;				 /* the medium; -1: empty slot */
	uint64_t capacity;		 /* sectors; 0 when empty */
	bool ro, regular, can_punch, can_zero;
	bool dev_inited;
	bool seccomp; /* workers install the disk I/O filter */
	char serial[VIRTIO_BLK_ID_BYTES];

	/* under queue.lock: the rate limit and the request it refused */
	struct rate_limiter limiter;
	bool held;		       /* held_chain waits for tokens */
	struct virtq_chain held_chain; /* popped, not yet parsed */

	/* under wlock */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;	/* work queued, or exit */
	pthread_cond_t drained; /* inflight reached 0 */
	struct blk_req *free, *pending, **pending_tail;
	unsigned int inflight;
	bool stalled; /* pool ran dry: re-process on completion */
	bool exiting;
	bool stopping; /* atomic: reset in progress, pop nothing */
	pthread_t workers[VIRTIO_BLK_MAX_WORKERS];
	unsigned int nr_workers;
	bool io_started;
	struct blk_req reqs[VIRTIO_BLK_MAX_INFLIGHT];
};

/* request.c */
enum blk_verdict blk_req_parse(struct virtio_blk *b, struct blk_req *req);
void blk_req_execute(struct virtio_blk *b, struct blk_req *req);

/* media.c: open @path (or dup @fd) as the medium; at create time only. */
int blk_media_open(struct virtio_blk *b, const char *path, int fd, bool ro,
		   struct husk_error **err);

/* io.c */
int blk_io_start(struct virtio_blk *b, unsigned int nr_workers, struct husk_error **err);
void blk_io_stop(struct virtio_blk *b);
void blk_io_drain(struct virtio_blk *b);
void blk_process(struct virtio_blk *b);
void blk_resume(void *opaque); /* the rate limiter's timer: blk_process */
void blk_drop_held(struct virtio_blk *b);

#endif
