// SPDX-License-Identifier: Apache-2.0
/*
 * fallback.c - virtio-fs without its backend: once virtiofsd is gone the
 * device serves the queues itself and answers every FUSE request with
 * ENOTCONN, so guest processes get an error instead of waiting forever
 * (see fs.h). Chains go through queue.c like any other device's.
 */
#include <endian.h>
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vmm/virtio/fs/fs_internal.h"

/*
 * One chain. Every request starts with a device-readable fuse_in_header;
 * one that expects a reply has a device-writable part for at least the
 * fuse_out_header. Hiprio requests (FORGET) and no-reply requests have
 * no writable part and need no answer, only their buffers back.
 */
static int virtio_fs_answer(struct virtq *q, struct virtq_chain *c)
{
	struct fuse_in_header in;
	struct fuse_out_header out;
	struct chain_reader r;
	struct chain_writer w;

	chain_reader_init(&r, c);
	if (chain_read(&r, &in, sizeof(in)) < 0)
		return virtio_dev_fail(q->dev,
				       "queue %u: request of %u readable bytes, "
				       "shorter than a FUSE header",
				       q->index, c->out_len);
	if (q->index == VIRTIO_FS_HIPRIO || c->in_len == 0)
		return virtq_push(q, c->head, 0);
	if (c->in_len < sizeof(out))
		return virtio_dev_fail(q->dev,
				       "queue %u: reply buffer of %u bytes, shorter "
				       "than a FUSE reply header",
				       q->index, c->in_len);
	out.len = htole32(sizeof(out));
	out.error = (int32_t)htole32((uint32_t)-ENOTCONN);
	out.unique = in.unique; /* as the guest wrote it, byte for byte */
	chain_writer_init(&w, c);
	chain_write(&w, &out, sizeof(out)); /* fits: checked above */
	return virtq_push(q, c->head, sizeof(out));
}

void virtio_fs_fallback_process(struct virtio_fs *fs, unsigned int index)
{
	struct virtq *q = &fs->queues[index];
	struct virtq_chain *c = &fs->fq[index].chain;

	virtq_lock(q);
	while (virtq_pop(q, c) == 1)
		if (virtio_fs_answer(q, c) < 0)
			break;
	virtq_notify(q);
	virtq_unlock(q);
}

/* Event loop: the guest kicked a queue nobody else reads any more. */
static void virtio_fs_kick(void *opaque, uint32_t events)
{
	struct virtio_fs_queue *fq = opaque;
	uint64_t n;

	if (read(fq->kick_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (__atomic_load_n(&fq->fs->fallback, __ATOMIC_ACQUIRE))
		virtio_fs_fallback_process(fq->fs, fq->index);
}

/*
 * The backend published used entries up to used.idx and no further; what
 * lies between it and avail.idx was never answered. Serving resumes there
 * with notifications re-enabled (the backend may have suppressed them).
 */
static void virtio_fs_resume_queue(struct virtq *q)
{
	uint16_t idx;

	virtq_lock(q);
	if (q->active) {
		idx = le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));
		q->last_avail = idx;
		q->next_used = idx;
		q->signalled_valid = false;
		virtq_enable_notify(q);
	}
	virtq_unlock(q);
}

#define VIRTIO_FS_SETTLE_STEP_MS  20
#define VIRTIO_FS_SETTLE_QUIET_MS 300 /* used rings unchanged this long */
#define VIRTIO_FS_SETTLE_MAX_MS	  2000

/* The sum of the started queues' used.idx: it moves while anyone completes. */
static unsigned int virtio_fs_used_sum(struct virtio_fs *fs)
{
	unsigned int i, sum = 0;
	struct virtq *q;

	for (i = 0; i < VIRTIO_FS_QUEUES; i++) {
		q = &fs->queues[i];
		virtq_lock(q);
		if (q->active)
			sum += le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));
		virtq_unlock(q);
	}
	return sum;
}

/*
 * A backend that hung up may not be gone yet: virtiofsd closes the socket
 * in its main thread while its worker threads can still complete the
 * requests they had taken. Two writers of one used ring would lose a
 * completion and leave a guest process waiting for good, so the takeover
 * waits until the used rings stood still for a while (bounded).
 */
static void virtio_fs_settle(struct virtio_fs *fs)
{
	unsigned int sum = virtio_fs_used_sum(fs), now, quiet = 0, waited = 0;

	while (quiet < VIRTIO_FS_SETTLE_QUIET_MS && waited < VIRTIO_FS_SETTLE_MAX_MS) {
		usleep(VIRTIO_FS_SETTLE_STEP_MS * 1000);
		waited += VIRTIO_FS_SETTLE_STEP_MS;
		now = virtio_fs_used_sum(fs);
		quiet = now == sum ? quiet + VIRTIO_FS_SETTLE_STEP_MS : 0;
		sum = now;
	}
}

void virtio_fs_fallback_start(struct virtio_fs *fs)
{
	struct virtio_fs_queue *fq;
	unsigned int i;
	int ret;

	virtio_fs_settle(fs);
	__atomic_store_n(&fs->fallback, true, __ATOMIC_RELEASE);
	for (i = 0; i < VIRTIO_FS_QUEUES; i++) {
		fq = &fs->fq[i];
		virtio_fs_resume_queue(&fs->queues[i]);
		if (fq->kick_fd < 0 || fq->watched)
			continue;
		ret = event_loop_add(fs->loop, fq->kick_fd, EPOLLIN, virtio_fs_kick, fq);
		if (ret < 0)
			log_err(fs->log, "virtio-fs %s: queue %u: watching kicks: %s", fs->name, i,
				strerror(-ret));
		else
			fq->watched = true;
	}
	/* Requests posted before the takeover get their answer now. */
	for (i = 0; i < VIRTIO_FS_QUEUES; i++)
		virtio_fs_fallback_process(fs, i);
}

void virtio_fs_fallback_stop(struct virtio_fs *fs)
{
	unsigned int i;

	for (i = 0; i < VIRTIO_FS_QUEUES; i++) {
		if (!fs->fq[i].watched)
			continue;
		event_loop_del(fs->loop, fs->fq[i].kick_fd);
		fs->fq[i].watched = false;
	}
}

void virtio_fs_backend_gone(struct virtio_fs *fs, const char *why)
{
	bool was_dead;

	pthread_mutex_lock(&fs->lock);
	was_dead = fs->dead;
	__atomic_store_n(&fs->dead, true, __ATOMIC_RELEASE);
	if (fs->started && !fs->fallback)
		virtio_fs_fallback_start(fs);
	pthread_mutex_unlock(&fs->lock);
	/* The backend exits when it sees the hang-up; nothing more is sent. */
	vhost_conn_shutdown(&fs->front.conn);
	if (!was_dead)
		log_err(fs->log, "virtio-fs %s: %s; FUSE requests now fail with ENOTCONN", fs->name,
			why);
}
