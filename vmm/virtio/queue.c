// SPDX-License-Identifier: Apache-2.0
/*
 * queue.c - split virtqueues (virtio 1.2 section 2.7): activation checks,
 * pop with every descriptor validated, push, notification suppression,
 * the per-turn budget of processing loops, and a read-only peek at the
 * indices for diagnostics.
 *
 * Ring fields are little-endian (2.7: "le16"/"le32"/"le64"); husk runs on
 * x86-64 only, but the le*toh calls keep the intent visible.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vmm/virtio/queue.h"

#define VIRTQ_DESC_SIZE 16u /* struct virtq_desc, 2.7.5 */

#define virtq_fail(q, fmt, ...) \
	virtio_dev_fail((q)->dev, "queue %u: " fmt, (q)->index, ##__VA_ARGS__)

/* A descriptor table being walked: the queue's own or an indirect one. */
struct virtq_table {
	const uint8_t *base;
	uint32_t nr; /* entries */
	bool indirect;
};

int virtq_init(struct virtq *q, struct virtio_dev *dev, unsigned int index, uint16_t max_size)
{
	if (!max_size || max_size > VIRTQ_MAX_SIZE || (max_size & (max_size - 1)))
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->index = index;
	q->max_size = max_size;
	return -pthread_mutex_init(&q->lock, NULL);
}

void virtq_fini(struct virtq *q)
{
	pthread_mutex_destroy(&q->lock);
}

void virtq_reset(struct virtq *q)
{
	/* 2.4: after reset a queue is as at power-on; only the binding (the
	 * fields before size) and the lock (the last field) survive. */
	memset(&q->size, 0, offsetof(struct virtq, lock) - offsetof(struct virtq, size));
}

/* Map one ring part: aligned (2.7 table "Alignment") and wholly in RAM. */
static void *virtq_map_part(struct virtq *q, const char *what, gpa_t gpa, uint64_t len,
			    uint64_t align)
{
	void *p;

	if (gpa & (align - 1)) {
		virtq_fail(q, "%s at 0x%llx not %llu-byte aligned", what, (unsigned long long)gpa,
			   (unsigned long long)align);
		return NULL;
	}
	p = guest_mem_ptr(q->dev->mem, gpa, len);
	if (!p)
		virtq_fail(q, "%s [0x%llx, +%llu) outside guest RAM", what, (unsigned long long)gpa,
			   (unsigned long long)len);
	return p;
}

int virtq_activate(struct virtq *q)
{
	uint32_t n = q->size;

	/* 4.2.2.3 / 2.7: size is a power of two no larger than QueueNumMax. */
	if (!n || n > q->max_size || (n & (n - 1))) {
		virtq_fail(q, "size %u invalid (max %u, power of two)", n, q->max_size);
		return -EINVAL;
	}
	/* Full sizes from the 2.7 table, event-index fields included. */
	q->desc = virtq_map_part(q, "descriptor table", q->desc_gpa, (uint64_t)VIRTQ_DESC_SIZE * n,
				 VRING_DESC_ALIGN_SIZE);
	q->avail = q->desc ? virtq_map_part(q, "available ring", q->avail_gpa, 6 + 2ULL * n,
					    VRING_AVAIL_ALIGN_SIZE) :
			     NULL;
	q->used = q->avail ? virtq_map_part(q, "used ring", q->used_gpa, 6 + 8ULL * n,
					    VRING_USED_ALIGN_SIZE) :
			     NULL;
	if (!q->used) {
		q->desc = NULL;
		q->avail = NULL;
		return -EINVAL;
	}
	q->used_event = (uint16_t *)&q->avail->ring[n];
	q->avail_event = (uint16_t *)&q->used->ring[n];
	q->event_idx = virtio_dev_has(q->dev, VIRTIO_RING_F_EVENT_IDX);
	q->indirect = virtio_dev_has(q->dev, VIRTIO_RING_F_INDIRECT_DESC);
	q->last_avail = 0;
	q->next_used = 0;
	q->signalled_valid = false;
	q->no_notify = false;
	q->active = true;
	return 0;
}

bool virtq_is_live(const struct virtq *q)
{
	return q->active && !virtio_dev_is_broken(q->dev);
}

/*
 * The driver's avail.idx. Acquire: the ring entries and descriptors it
 * covers are read after it; pairs with the driver's write barrier between
 * filling them and publishing the index (2.7.13.2 -> 2.7.13.3).
 */
static uint16_t virtq_avail_idx(const struct virtq *q)
{
	return le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
}

bool virtq_has_avail(struct virtq *q)
{
	return virtq_is_live(q) && virtq_avail_idx(q) != q->last_avail;
}

bool virtq_turn_next(struct virtq *q, unsigned int *left)
{
	const struct virtio_requeue *rq = &q->dev->requeue;

	if (*left) {
		(*left)--;
		return true;
	}
	if (!rq->fn)
		return true;
	if (virtq_has_avail(q))
		rq->fn(rq->opaque, q->index);
	return false;
}

/* Copy descriptor @i of @t into a host local: the guest may change it later. */
static void virtq_read_desc(const struct virtq_table *t, uint32_t i, struct vring_desc *d)
{
	memcpy(d, t->base + (size_t)i * VIRTQ_DESC_SIZE, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* 2.7.5.3: switch the walk to an indirect table, checked before use. */
static int virtq_enter_indirect(struct virtq *q, const struct vring_desc *d, struct virtq_table *t)
{
	if (!q->indirect)
		return virtq_fail(q, "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC");
	if (t->indirect)
		return virtq_fail(q, "nested indirect descriptor");
	if (d->flags & VRING_DESC_F_NEXT)
		return virtq_fail(q, "indirect descriptor with NEXT set");
	if (!d->len || d->len % VIRTQ_DESC_SIZE || d->len / VIRTQ_DESC_SIZE > VIRTQ_CHAIN_MAX_IOV)
		return virtq_fail(q, "indirect table length %u invalid", d->len);
	t->base = guest_mem_ptr(q->dev->mem, d->addr, d->len);
	if (!t->base)
		return virtq_fail(q, "indirect table [0x%llx, +%u) outside guest RAM",
				  (unsigned long long)d->addr, d->len);
	t->nr = d->len / VIRTQ_DESC_SIZE;
	t->indirect = true;
	return 0;
}

/* Append one buffer to @c: order, totals and the guest range all checked. */
static int virtq_add_buf(struct virtq *q, struct virtq_chain *c, const struct vring_desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	uint32_t *total = writable ? &c->in_len : &c->out_len;
	unsigned int n = c->nr_out + c->nr_in;
	void *p;

	/* 2.7.4.2: device-writable descriptors come after all readable ones. */
	if (!writable && c->nr_in)
		return virtq_fail(q, "readable descriptor after a writable one");
	if (n >= VIRTQ_CHAIN_MAX_IOV)
		return virtq_fail(q, "chain longer than %u descriptors", VIRTQ_CHAIN_MAX_IOV);
	/* 2.7.5: a chain is at most 2^32 bytes; keep each side within u32. */
	if (__builtin_add_overflow(*total, d->len, total))
		return virtq_fail(q, "chain length overflows 32 bits");
	p = guest_mem_ptr(q->dev->mem, d->addr, d->len);
	if (!p)
		return virtq_fail(q, "buffer [0x%llx, +%u) outside guest RAM",
				  (unsigned long long)d->addr, d->len);
	c->iov[n].iov_base = p;
	c->iov[n].iov_len = d->len;
	if (writable)
		c->nr_in++;
	else
		c->nr_out++;
	return 0;
}

/* Walk the chain at @head: every hop bounded, checked and copied once. */
static int virtq_walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	struct virtq_table t = { (const uint8_t *)q->desc, q->size, false };
	uint32_t i = head, ttl = q->size;
	struct vring_desc d;
	int ret;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		/* The hop budget is the table size: a longer walk is a loop. */
		if (ttl-- == 0)
			return virtq_fail(q, "descriptor loop in chain %u", head);
		virtq_read_desc(&t, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			ret = virtq_enter_indirect(q, &d, &t);
			if (ret < 0)
				return ret;
			i = 0;
			ttl = t.nr;
			continue;
		}
		ret = virtq_add_buf(q, c, &d);
		if (ret < 0)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= t.nr)
			return virtq_fail(q, "next %u beyond table of %u", d.next, t.nr);
		i = d.next;
	}
}

/*
 * The ring looked empty: with EVENT_IDX, may it be looked at again? The
 * driver publishes avail.idx, then (behind its own full barrier) reads
 * avail_event to decide whether to notify; we published avail_event (the
 * last pop did) and then read avail.idx. Without a full barrier between
 * our store and our load, the store may still sit in this CPU's store
 * buffer (x86 lets a later load pass an earlier store) while the driver
 * reads the older avail_event: it skips the notification, we read the
 * older avail.idx and stop, and its chain waits until some other kick,
 * which with EVENT_IDX never comes (the driver has passed avail_event).
 * Publish it again behind the barrier; true when the ring must be read
 * again (2.7.10; vhost's and QEMU's re-check after enabling likewise).
 */
static bool virtq_recheck_empty(struct virtq *q)
{
	if (!q->event_idx || q->no_notify)
		return false;
	__atomic_store_n(q->avail_event, htole16(q->last_avail), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return true;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;
	int ret;

	if (!virtq_is_live(q))
		return 0;
	avail_idx = virtq_avail_idx(q);
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (!pending && virtq_recheck_empty(q)) {
		avail_idx = virtq_avail_idx(q);
		pending = (uint16_t)(avail_idx - q->last_avail);
	}
	/* The driver cannot have more than `size` chains outstanding (2.7.13). */
	if (pending > q->size)
		return virtq_fail(q, "avail idx %u is %u ahead of %u (size %u)", avail_idx, pending,
				  q->last_avail, q->size);
	if (!pending)
		return 0;
	head = le16toh(
		__atomic_load_n(&q->avail->ring[q->last_avail & (q->size - 1)], __ATOMIC_RELAXED));
	if (head >= q->size)
		return virtq_fail(q, "head %u beyond table of %u", head, q->size);
	ret = virtq_walk(q, head, c);
	if (ret < 0)
		return ret;
	q->last_avail++;
	/* 2.7.10: with EVENT_IDX, ask to be notified once the driver passes
	 * what we have consumed. */
	if (q->event_idx && !q->no_notify)
		__atomic_store_n(q->avail_event, htole16(q->last_avail), __ATOMIC_RELAXED);
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct vring_used_elem *e;

	if (!virtq_is_live(q))
		return -EIO;
	if (head >= q->size)
		return virtq_fail(q, "used id %u beyond table of %u", head, q->size);
	e = &q->used->ring[q->next_used & (q->size - 1)];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(written), __ATOMIC_RELAXED);
	q->next_used++;
	/* Release: the element and the data written into the buffers become
	 * visible before the index; pairs with the driver's read barrier
	 * after it reads used.idx (2.7.14). */
	__atomic_store_n(&q->used->idx, htole16(q->next_used), __ATOMIC_RELEASE);
	return 0;
}

bool virtq_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, new_idx = q->next_used;
	bool valid = q->signalled_valid, need;

	if (!virtq_is_live(q))
		return false;
	/* Full barrier: the used.idx store must be visible before we read the
	 * driver's used_event/flags; pairs with the driver's barrier between
	 * writing used_event and re-reading used.idx (2.7.10), else both
	 * sides could decide the other will act and an interrupt is lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = new_idx;
	q->signalled_valid = true;
	if (valid && old == new_idx)
		return false;
	if (q->event_idx)
		need = !valid ||
		       virtq_need_event(le16toh(__atomic_load_n(q->used_event, __ATOMIC_RELAXED)),
					new_idx, old);
	else
		need = !(le16toh(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	if (need)
		virtio_dev_interrupt(q->dev, VIRTIO_INT_USED);
	return need;
}

bool virtq_enable_notify(struct virtq *q)
{
	if (!virtq_is_live(q))
		return false;
	q->no_notify = false;
	if (q->event_idx)
		__atomic_store_n(q->avail_event, htole16(q->last_avail), __ATOMIC_RELAXED);
	else
		__atomic_store_n(&q->used->flags, 0, __ATOMIC_RELAXED);
	/* Full barrier: publish the request before re-reading avail.idx;
	 * pairs with the driver's barrier between its avail.idx update and
	 * its read of flags/avail_event (2.7.13.4). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_avail_idx(q) != q->last_avail;
}

void virtq_disable_notify(struct virtq *q)
{
	if (!virtq_is_live(q))
		return;
	q->no_notify = true;
	/* With EVENT_IDX, avail_event simply stops moving (2.7.10). */
	if (!q->event_idx)
		__atomic_store_n(&q->used->flags, htole16(VRING_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
}

void virtq_peek(const struct virtq *q, struct husk_queue_status *st)
{
	st->active = q->active && !virtio_dev_is_broken(q->dev);
	st->size = q->active ? q->size : 0;
	st->event_idx = q->active && q->event_idx;
	st->external = q->dev->external_rings;
	if (!q->active)
		return;
	st->avail_idx = le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
	st->used_idx = le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));
	st->avail_flags = le16toh(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED));
	st->used_flags = le16toh(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED));
	st->used_event = le16toh(__atomic_load_n(q->used_event, __ATOMIC_RELAXED));
	st->avail_event = le16toh(__atomic_load_n(q->avail_event, __ATOMIC_RELAXED));
	/* A vhost-user backend keeps its own; ours would be stale zeros. */
	st->last_avail = st->external ? 0 : q->last_avail;
}
