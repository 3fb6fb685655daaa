/* SPDX-License-Identifier: Apache-2.0 */
/*
 * queue.h - the split virtqueue (virtio 1.2 section 2.7), one implementation
 * for every device, and the only code that reads descriptors.
 *
 * Validation lives here so no device can bypass it:
 *   activation - size non-zero, a power of two, ≤ the device maximum;
 *                descriptor table / available ring / used ring aligned
 *                16 / 2 / 4 (2.7) and wholly inside guest RAM, event-index
 *                fields included (2.7.10);
 *   pop        - avail.idx may run at most `size` ahead of what was popped;
 *                head and every `next` < table size; at most table-size
 *                hops (so a loop ends); indirect tables only when
 *                negotiated, never nested, length a non-zero multiple of 16
 *                and ≤ VIRTQ_CHAIN_MAX_IOV entries (2.7.5.3); no readable
 *                descriptor after a writable one (2.7.4.2); byte totals fit
 *                32 bits; every buffer resolved with guest_mem_ptr(addr,
 *                len). Descriptors are copied into host locals once.
 *   push       - the id must be < size.
 * Any violation fails the device (virtio_dev_fail) instead of the host.
 *
 * Locking: the transport writes the driver-programmed fields (size, ready,
 * *_gpa) under dev->lock while the device is not live. Everything else, and
 * every function below except virtq_init, runs with q->lock held by the
 * caller (virtq_lock). The hot path never allocates.
 */
#ifndef HUSK_VMM_VIRTIO_QUEUE_H
#define HUSK_VMM_VIRTIO_QUEUE_H

#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/base/guest_mem.h"
#include "vmm/virtio/chain.h"
#include "vmm/virtio/virtio.h"
#include "husk.h"

/* Largest queue any husk device offers (QueueNumMax, 4.2.2): virtio-fs's 1024. */
#define VIRTQ_MAX_SIZE 1024

struct virtq {
	/* fixed at virtq_init */
	struct virtio_dev *dev;
	unsigned int index;
	uint16_t max_size;

	/* programmed by the driver through the transport (dev->lock) */
	uint16_t size; /* QueueNum */
	bool ready;    /* QueueReady */
	gpa_t desc_gpa, avail_gpa, used_gpa;

	/* set by virtq_activate, then under q->lock */
	bool active;
	bool event_idx;		 /* VIRTIO_RING_F_EVENT_IDX acked */
	bool indirect;		 /* VIRTIO_RING_F_INDIRECT_DESC acked */
	struct vring_desc *desc; /* host views of the three parts */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event;	 /* avail->ring[size] (2.7.10) */
	uint16_t *avail_event;	 /* used->ring[size] */
	uint16_t last_avail;	 /* next avail slot to pop */
	uint16_t next_used;	 /* used.idx as we will publish it */
	uint16_t signalled_used; /* next_used at the last interrupt */
	bool signalled_valid;	 /* signalled_used means something */
	bool no_notify;		 /* virtq_disable_notify() in effect */

	pthread_mutex_t lock; /* must stay last: virtq_reset() clears what precedes it */
};

/* virtq_init - bind to @dev as queue @index; @max_size a power of two ≤ VIRTQ_MAX_SIZE. */
int virtq_init(struct virtq *q, struct virtio_dev *dev, unsigned int index, uint16_t max_size);
void virtq_fini(struct virtq *q);

static inline void virtq_lock(struct virtq *q)
{
	pthread_mutex_lock(&q->lock);
}

static inline void virtq_unlock(struct virtq *q)
{
	pthread_mutex_unlock(&q->lock);
}

/*
 * virtq_activate - validate the driver's programming (see top) and map the
 * rings. Called for each ready queue at DRIVER_OK. Returns 0, or -EINVAL
 * after failing the device with the reason.
 */
int virtq_activate(struct virtq *q);

/* virtq_reset - forget the driver's programming and ring positions (2.4). */
void virtq_reset(struct virtq *q);

/*
 * virtq_pop - take the next available chain into @c. Returns 1 with @c
 * filled, 0 when the ring is empty (or the queue is not live), or -EIO when
 * the chain broke a rule (the device is failed; stop processing).
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/*
 * virtq_push - return chain @head with @written bytes written by the device
 * to the used ring and publish the new used index. Returns 0, or -EIO (the
 * device is failed) if @head is not a valid id. Call virtq_notify() after
 * a batch.
 */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/*
 * virtq_notify - raise a used-buffer interrupt if the driver wants one for
 * what was pushed since the last interrupt: VRING_AVAIL_F_NO_INTERRUPT, or
 * with EVENT_IDX the used_event index (2.7.7.2, 2.7.10). Returns true when
 * it raised.
 */
bool virtq_notify(struct virtq *q);

/*
 * virtq_need_event - the EVENT_IDX test: true when moving the used index
 * from @old to @new_idx crosses @event (the driver asked to be told once
 * the index passes @event). Exposed for tests.
 */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	/* Everything is mod 2^16: the interval (old, new_idx] contains event+1
	 * exactly when new_idx - (event + 1) < new_idx - old. */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/*
 * virtq_enable_notify / virtq_disable_notify - ask the driver for (or to
 * skip) notifications of new buffers: VRING_USED_F_NO_NOTIFY, or with
 * EVENT_IDX the avail_event index. enable returns true when buffers became
 * available meanwhile, so the caller should pop again (the classic
 * "re-check after enabling" race, 2.7.10).
 */
bool virtq_enable_notify(struct virtq *q);
void virtq_disable_notify(struct virtq *q);

/*
 * Chains one processing turn takes from a queue before it yields the
 * thread every device shares. Small enough that a guest refilling a ring
 * from several vCPUs cannot hold the event loop (vsock, which carries the
 * shim's control traffic, is served there too), big enough that the
 * requeue costs little next to the chains' own work.
 */
#define VIRTQ_TURN_BUDGET 64

/*
 * virtq_turn_next - the per-turn budget: call before each pop of a
 * processing loop, with *@left starting at VIRTQ_TURN_BUDGET. True while
 * the turn may take another chain. Once *@left chains were taken it
 * returns false and, if the driver has more chains waiting, asks the
 * device's requeue hook (virtio.h) to deliver this queue's notification
 * again, so the rest is served on a later turn. A device without a hook
 * is never stopped (nothing would come back for the rest).
 */
bool virtq_turn_next(struct virtq *q, unsigned int *left);

/* virtq_has_avail - true when the driver has made buffers available. */
bool virtq_has_avail(struct virtq *q);

/* virtq_is_live - activated, and the device not broken. */
bool virtq_is_live(const struct virtq *q);

/*
 * virtq_peek - the ring's indices and the device's own, for diagnostics
 * (husk_vm_get_queue_status). Caller holds q->lock; reads the guest's
 * fields once each, changes nothing.
 */
void virtq_peek(const struct virtq *q, struct husk_queue_status *st);

#endif
