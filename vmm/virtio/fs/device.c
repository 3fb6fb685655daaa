// SPDX-License-Identifier: Apache-2.0
/*
 * device.c - the virtio-fs device: config space, feature offer, and the
 * vhost-user backend's rings started at DRIVER_OK and stopped at reset
 * (see fs.h). What happens without a backend is fallback.c's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "vmm/virtio/fs/fs_internal.h"
#include "vmm/virtio/lifecycle.h"

#define VIRTIO_ID_FS 26
/* What the device may offer the guest if the backend supports it (never 26, 30). */
#define VIRTIO_FS_RING_FEATURES \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX))

static struct virtio_fs *fs_of(struct virtio_dev *dev)
{
	return (struct virtio_fs *)((char *)dev - offsetof(struct virtio_fs, dev));
}

struct virtio_dev *virtio_fs_dev(struct virtio_fs *fs)
{
	return &fs->dev;
}

const char *virtio_fs_tag(const struct virtio_fs *fs)
{
	return fs->tag;
}

bool virtio_fs_backend_dead(struct virtio_fs *fs)
{
	return __atomic_load_n(&fs->dead, __ATOMIC_ACQUIRE);
}

static void virtio_fs_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, fs_of(dev)->config + off, len); /* bounds checked by mmio.c */
}

/* Guest RAM as the backend maps it: every region, each with the memfd. */
static void virtio_fs_mem_table(const struct guest_mem *gm, struct vhost_front_mem *m)
{
	unsigned int i;

	m->nr = gm->nr_regions;
	for (i = 0; i < gm->nr_regions; i++) {
		m->regions[i] = (struct vhost_user_region){
			.gpa = gm->regions[i].gpa,
			.size = gm->regions[i].size,
			.hva = (uint64_t)(uintptr_t)gm->regions[i].hva,
			.mmap_offset = gm->regions[i].fd_offset,
		};
		m->fds[i] = gm->memfd;
	}
}

/*
 * The active queues as rings. virtq_activate() already resolved each ring
 * part with guest_mem_ptr() over its full length (or failed the device),
 * so these host addresses lie inside the memory table just sent.
 */
static unsigned int virtio_fs_rings(struct virtio_fs *fs, struct vhost_front_ring *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < VIRTIO_FS_QUEUES; i++) {
		struct virtq *q = &fs->queues[i];

		if (!q->active)
			continue;
		r[n++] = (struct vhost_front_ring){
			.index = i,
			.num = q->size,
			.base = 0,
			.desc = (uint64_t)(uintptr_t)q->desc,
			.used = (uint64_t)(uintptr_t)q->used,
			.avail = (uint64_t)(uintptr_t)q->avail,
			.kick_fd = fs->fq[i].kick_fd,
			.call_fd = fs->call_fd,
		};
	}
	return n;
}

static int virtio_fs_start_backend(struct virtio_fs *fs, struct husk_error **err)
{
	struct vhost_front_ring rings[VIRTIO_FS_QUEUES];
	struct vhost_front_mem mem;
	unsigned int i, n;
	int ret;

	if (fs->call_fd < 0 || fs->fq[0].kick_fd < 0 || fs->fq[1].kick_fd < 0)
		return husk_err(err, EINVAL, "%s: no kick/call eventfds wired",
				fs->front.conn.name);
	virtio_fs_mem_table(fs->dev.mem, &mem);
	n = virtio_fs_rings(fs, rings);
	ret = vhost_front_start(&fs->front, fs->dev.acked, &mem, rings, n, err);
	/* Even a failed start may have started some: stop() covers them. */
	for (i = 0; i < n; i++)
		fs->fq[rings[i].index].started = true;
	return ret;
}

/*
 * DRIVER_OK (dev->lock held). A backend failure is not the guest's fault:
 * the device stays usable and answers with ENOTCONN.
 */
static int virtio_fs_activate(struct virtio_dev *dev)
{
	struct virtio_fs *fs = fs_of(dev);
	struct husk_error *e = NULL;
	bool dead;

	pthread_mutex_lock(&fs->lock);
	fs->started = true;
	dead = fs->dead;
	if (dead)
		virtio_fs_fallback_start(fs);
	pthread_mutex_unlock(&fs->lock);
	if (dead)
		return 0;
	if (virtio_fs_start_backend(fs, &e) < 0)
		virtio_fs_backend_gone(fs, husk_error_message(e));
	else
		log_debug(fs->log, "virtio-fs %s: rings started", fs->name);
	husk_error_free(e);
	return 0;
}

/* The reset sequence for every ring the backend had; keeps the socket. */
static void virtio_fs_stop_backend(struct virtio_fs *fs)
{
	struct husk_error *e = NULL;
	unsigned int i;
	uint16_t base;

	for (i = 0; i < VIRTIO_FS_QUEUES; i++) {
		if (!fs->fq[i].started)
			continue;
		fs->fq[i].started = false;
		if (fs->closing || virtio_fs_backend_dead(fs))
			continue;
		if (vhost_front_stop(&fs->front, i, &base, &e) < 0) {
			virtio_fs_backend_gone(fs, husk_error_message(e));
			husk_error_free(e);
			e = NULL;
		} else {
			log_debug(fs->log, "virtio-fs %s: ring %u stopped at %u", fs->name, i,
				  base);
		}
	}
}

/* Driver reset or teardown (dev->lock held). */
static void virtio_fs_reset(struct virtio_dev *dev)
{
	struct virtio_fs *fs = fs_of(dev);

	pthread_mutex_lock(&fs->lock);
	fs->started = false;
	__atomic_store_n(&fs->fallback, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fs->lock);
	/* Outside fs->lock: this waits for kick watchers, which take q->lock only. */
	virtio_fs_fallback_stop(fs);
	virtio_fs_stop_backend(fs);
}

/*
 * A QueueNotify that reached the VMM: a trapped write (KVM's ioeventfd did
 * not catch it) is passed on to the backend through the kick eventfd; in
 * fallback mode the device answers itself.
 */
static void virtio_fs_queue_notify(struct virtio_dev *dev, unsigned int index)
{
	struct virtio_fs *fs = fs_of(dev);
	uint64_t one = 1;

	if (__atomic_load_n(&fs->fallback, __ATOMIC_ACQUIRE))
		return virtio_fs_fallback_process(fs, index);
	if (fs->fq[index].kick_fd >= 0 && write(fs->fq[index].kick_fd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		log_debug(fs->log, "virtio-fs %s: queue %u: kick eventfd write failed", fs->name,
			  index);
}

static void virtio_fs_set_notify_fds(struct virtio_dev *dev, unsigned int index, int kick_fd,
				     int call_fd)
{
	struct virtio_fs *fs = fs_of(dev);

	fs->fq[index].kick_fd = kick_fd;
	fs->call_fd = call_fd;
}

static const struct virtio_dev_ops virtio_fs_ops = {
	.config_read = virtio_fs_config_read,
	.activate = virtio_fs_activate,
	.reset = virtio_fs_reset,
	.queue_notify = virtio_fs_queue_notify,
	.set_notify_fds = virtio_fs_set_notify_fds,
};

/* Event loop: the backend hung up (or the socket failed). */
static void virtio_fs_sock_event(void *opaque, uint32_t events)
{
	struct virtio_fs *fs = opaque;

	if (__atomic_exchange_n(&fs->sock_watched, false, __ATOMIC_SEQ_CST))
		event_loop_del(fs->loop, fs->front.conn.fd);
	virtio_fs_backend_gone(fs, events & EPOLLERR ? "the backend's socket failed" :
						       "the backend closed the connection");
}

static int virtio_fs_check(const struct virtio_fs_params *p, const struct guest_mem *mem,
			   uint16_t qsize, struct husk_error **err)
{
	size_t len = p->tag ? strlen(p->tag) : 0;

	if (len == 0 || len > VIRTIO_FS_TAG_MAX)
		return husk_err(err, 0, "tag must be 1..%d bytes", VIRTIO_FS_TAG_MAX);
	if (qsize < VIRTIO_FS_MIN_QUEUE_SIZE || qsize > VIRTIO_FS_MAX_QUEUE_SIZE ||
	    (qsize & (qsize - 1)))
		return husk_err(err, 0, "queue size %u is not a power of two in %d..%d", qsize,
				VIRTIO_FS_MIN_QUEUE_SIZE, VIRTIO_FS_MAX_QUEUE_SIZE);
	if (mem->memfd < 0)
		return husk_err(err, 0,
				"guest RAM is not in a memfd the backend can map "
				"(create the VM with HUSK_VM_MEMFD)");
	if (!p->socket_path && p->socket_fd < 0)
		return husk_err(err, 0, "neither a socket path nor a socket fd");
	return 0;
}

static struct virtio_fs *virtio_fs_alloc(const struct virtio_fs_params *p)
{
	struct virtio_fs *fs = calloc(1, sizeof(*fs));
	unsigned int i;

	if (!fs)
		return NULL;
	fs->call_fd = -1;
	for (i = 0; i < VIRTIO_FS_QUEUES; i++)
		fs->fq[i] = (struct virtio_fs_queue){ .fs = fs, .index = i, .kick_fd = -1 };
	fs->front.conn.fd = -1;
	fs->loop = p->loop;
	snprintf(fs->name, sizeof(fs->name), "%s", p->name ? p->name : "fs");
	snprintf(fs->tag, sizeof(fs->tag), "%s", p->tag);
	/* 5.11.4: the tag NUL-padded (not terminated at 36 bytes), one request queue. */
	memcpy(fs->config, p->tag, strlen(p->tag));
	le32_put(fs->config + VIRTIO_FS_TAG_MAX, 1);
	pthread_mutex_init(&fs->lock, NULL);
	return fs;
}

/* The device part, once the backend said what it supports. */
static int virtio_fs_dev_setup(struct virtio_fs *fs, uint16_t qsize, struct guest_mem *mem,
			       const struct log_sink *log, struct husk_error **err)
{
	int ret;

	ret = virtio_dev_init(&fs->dev, fs->name, VIRTIO_ID_FS, 0, VIRTIO_FS_CONFIG_SIZE,
			      fs->queues, VIRTIO_FS_QUEUES, qsize, &virtio_fs_ops, mem, log);
	if (ret < 0)
		return husk_err(err, -ret, "virtio-fs device");
	fs->dev.offered = (1ULL << VIRTIO_F_VERSION_1) |
			  (fs->front.features & VIRTIO_FS_RING_FEATURES);
	fs->dev.external_rings = true;
	ret = event_loop_add(fs->loop, fs->front.conn.fd, EPOLLRDHUP, virtio_fs_sock_event, fs);
	if (ret < 0) {
		virtio_dev_fini(&fs->dev);
		return husk_err(err, -ret, "watching the backend's socket");
	}
	fs->sock_watched = true;
	return 0;
}

int virtio_fs_create(struct virtio_fs **out, const struct virtio_fs_params *p,
		     struct guest_mem *mem, const struct log_sink *log, struct husk_error **err)
{
	uint16_t qsize = p->queue_size ? p->queue_size : VIRTIO_FS_DEFAULT_QUEUE_SIZE;
	struct virtio_fs *fs;
	int ret;

	ret = virtio_fs_check(p, mem, qsize, err);
	if (ret < 0)
		return ret;
	fs = virtio_fs_alloc(p);
	if (!fs)
		return husk_err(err, ENOMEM, "virtio-fs");
	fs->log = log;
	ret = vhost_conn_open(&fs->front.conn, fs->name, p->socket_path, p->socket_fd,
			      p->reply_timeout_ms, err);
	if (!ret)
		ret = vhost_front_handshake(&fs->front, VIRTIO_FS_QUEUES, err);
	if (!ret)
		ret = virtio_fs_dev_setup(fs, qsize, mem, log, err);
	if (ret < 0) {
		vhost_conn_close(&fs->front.conn);
		pthread_mutex_destroy(&fs->lock);
		free(fs);
		return ret;
	}
	log_debug(log, "virtio-fs %s: tag %s, backend features 0x%llx, protocol 0x%llx", fs->name,
		  fs->tag, (unsigned long long)fs->front.features,
		  (unsigned long long)fs->front.protocol_features);
	*out = fs;
	return 0;
}

void virtio_fs_destroy(struct virtio_fs *fs)
{
	if (!fs)
		return;
	/* No more messages: closing the socket is the backend's signal to exit. */
	fs->closing = true;
	if (__atomic_exchange_n(&fs->sock_watched, false, __ATOMIC_SEQ_CST))
		event_loop_del(fs->loop, fs->front.conn.fd);
	virtio_dev_reset(&fs->dev);
	virtio_dev_fini(&fs->dev);
	vhost_conn_close(&fs->front.conn);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}
