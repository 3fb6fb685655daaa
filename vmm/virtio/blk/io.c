// SPDX-License-Identifier: Apache-2.0
/*
 * io.c - virtio-blk queue processing and the I/O worker pool.
 *
 * Who touches what: blk_process() pops and parses under q->lock on the
 * notifying thread, at most VIRTQ_TURN_BUDGET requests a turn (queue.h);
 * a parsed request needing I/O is handed to a worker through b->pending
 * (under b->wlock); the worker runs it without locks, then completes it
 * under q->lock. The pool of VIRTIO_BLK_MAX_INFLIGHT requests is
 * preallocated, so nothing on this path allocates. A rate limit is asked
 * before each request is taken (blk_next); one it refuses stays popped in
 * b->held_chain, first in line when the limiter's timer or the next
 * notification processes the queue again.
 */
#include <errno.h>
#include <string.h>

#include "vmm/seccomp/seccomp.h"
#include "vmm/virtio/blk/blk_internal.h"

static struct blk_req *blk_req_get(struct virtio_blk *b)
{
	struct blk_req *req = NULL;

	pthread_mutex_lock(&b->wlock);
	if (!__atomic_load_n(&b->stopping, __ATOMIC_ACQUIRE)) {
		req = b->free;
		if (req) {
			b->free = req->next;
			b->inflight++;
		} else {
			b->stalled = true;
		}
	}
	pthread_mutex_unlock(&b->wlock);
	return req;
}

/* Returns whether the queue went unprocessed for want of a request. */
static bool blk_req_put(struct virtio_blk *b, struct blk_req *req)
{
	bool stalled;

	pthread_mutex_lock(&b->wlock);
	req->next = b->free;
	b->free = req;
	stalled = b->stalled;
	b->stalled = false;
	if (--b->inflight == 0)
		pthread_cond_broadcast(&b->drained);
	pthread_mutex_unlock(&b->wlock);
	return stalled;
}

/* Status byte, used element; caller holds q->lock. */
static bool blk_complete_locked(struct virtio_blk *b, struct blk_req *req)
{
	if (chain_write(&req->status, &req->result, 1) == 0)
		virtq_push(&b->queue, req->chain.head, req->written + 1);
	return blk_req_put(b, req);
}

static void blk_submit(struct virtio_blk *b, struct blk_req *req)
{
	pthread_mutex_lock(&b->wlock);
	req->next = NULL;
	*b->pending_tail = req;
	b->pending_tail = &req->next;
	pthread_cond_signal(&b->wcond);
	pthread_mutex_unlock(&b->wlock);
}

/* One popped request: complete at once, run inline, or queue for a worker. */
static void blk_handle(struct virtio_blk *b, struct blk_req *req)
{
	switch (blk_req_parse(b, req)) {
	case BLK_BROKEN:
		blk_req_put(b, req);
		return;
	case BLK_IO:
		if (b->nr_workers) {
			blk_submit(b, req);
			return;
		}
		blk_req_execute(b, req); /* inline mode */
		break;
	case BLK_DONE:
		break;
	}
	blk_complete_locked(b, req);
}

/* A request's data bytes for its rate limit: the 16-byte header and status aside. */
static uint64_t blk_req_bytes(const struct virtq_chain *c)
{
	uint64_t all = (uint64_t)c->out_len + c->in_len;

	return all > 17 ? all - 17 : 0;
}

/*
 * The next request's chain into @req, under q->lock: the one the rate
 * limit held back, else a fresh pop. 1: go; 0: none, or it waits (kept in
 * b->held_chain) for the limiter's timer; <0: broken ring.
 */
static int blk_next(struct virtio_blk *b, struct blk_req *req)
{
	int ret;

	if (!b->held) {
		ret = virtq_pop(&b->queue, &req->chain);
		if (ret <= 0 || rate_limiter_admit(&b->limiter, blk_req_bytes(&req->chain)))
			return ret;
		b->held_chain = req->chain;
		b->held = true;
		return 0;
	}
	if (!rate_limiter_admit(&b->limiter, blk_req_bytes(&b->held_chain)))
		return 0;
	req->chain = b->held_chain;
	b->held = false;
	return 1;
}

/* A reset forgets the held request with the rest of the queue. */
void blk_drop_held(struct virtio_blk *b)
{
	virtq_lock(&b->queue);
	b->held = false;
	virtq_unlock(&b->queue);
}

void blk_resume(void *opaque)
{
	blk_process(opaque);
}

void blk_process(struct virtio_blk *b)
{
	struct virtq *q = &b->queue;
	unsigned int left = VIRTQ_TURN_BUDGET;
	struct blk_req *req;
	int ret;

	virtq_lock(q);
	while (virtq_turn_next(q, &left) && (req = blk_req_get(b))) {
		ret = blk_next(b, req);
		if (ret <= 0) {
			blk_req_put(b, req);
			break;
		}
		blk_handle(b, req);
	}
	virtq_notify(q);
	virtq_unlock(q);
}

static void blk_finish(struct virtio_blk *b, struct blk_req *req)
{
	bool stalled;

	virtq_lock(&b->queue);
	stalled = blk_complete_locked(b, req);
	virtq_notify(&b->queue);
	virtq_unlock(&b->queue);
	/* The pool was empty when the driver last notified: pop what waits. */
	if (stalled)
		blk_process(b);
}

static void *blk_worker(void *arg)
{
	struct virtio_blk *b = arg;
	struct blk_req *req;

	pthread_mutex_lock(&b->wlock);
	for (;;) {
		while (!b->pending && !b->exiting)
			pthread_cond_wait(&b->wcond, &b->wlock);
		if (!b->pending)
			break;
		req = b->pending;
		b->pending = req->next;
		if (!b->pending)
			b->pending_tail = &b->pending;
		pthread_mutex_unlock(&b->wlock);
		blk_req_execute(b, req);
		blk_finish(b, req);
		pthread_mutex_lock(&b->wlock);
	}
	pthread_mutex_unlock(&b->wlock);
	return NULL;
}

int blk_io_start(struct virtio_blk *b, unsigned int nr_workers, struct husk_error **err)
{
	unsigned int i;
	int ret;

	pthread_mutex_init(&b->wlock, NULL);
	pthread_cond_init(&b->wcond, NULL);
	pthread_cond_init(&b->drained, NULL);
	b->pending_tail = &b->pending;
	for (i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++) {
		b->reqs[i].next = b->free;
		b->free = &b->reqs[i];
	}
	b->io_started = true;
	for (i = 0; i < nr_workers; i++) {
		ret = seccomp_thread_create(&b->workers[i], blk_worker, b, b->seccomp,
					    SECCOMP_THREAD_BLK_IO, err);
		if (ret < 0)
			return husk_err_wrap(err, "virtio-blk: worker thread");
		b->nr_workers++;
		pthread_setname_np(b->workers[i], "husk-blk-io");
	}
	return 0;
}

/* Wait until no request is in flight; new pops are refused meanwhile. */
void blk_io_drain(struct virtio_blk *b)
{
	if (!b->io_started)
		return;
	__atomic_store_n(&b->stopping, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&b->wlock);
	while (b->inflight)
		pthread_cond_wait(&b->drained, &b->wlock);
	b->stalled = false;
	pthread_mutex_unlock(&b->wlock);
}

void blk_io_stop(struct virtio_blk *b)
{
	unsigned int i;

	if (!b->io_started)
		return;
	blk_io_drain(b);
	pthread_mutex_lock(&b->wlock);
	b->exiting = true;
	pthread_cond_broadcast(&b->wcond);
	pthread_mutex_unlock(&b->wlock);
	for (i = 0; i < b->nr_workers; i++)
		pthread_join(b->workers[i], NULL);
	pthread_mutex_destroy(&b->wlock);
	pthread_cond_destroy(&b->wcond);
	pthread_cond_destroy(&b->drained);
	b->io_started = false;
}
