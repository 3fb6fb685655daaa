// SPDX-License-Identifier: Apache-2.0
/*
 * device.c - virtio-vsock device (virtio 1.2 section 5.10): set-up, config
 * space, activation and reset, and the two loop sources that are not
 * sockets: the kick eventfd (a queue notification) and the timerfd
 * (connection deadlines, the mux listener's retry), and the callback for each
 * connection's host fd. It drives the queues (tx.c, rx.c) and the
 * connections (connection.c), and opens and closes the faces.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_internal.h"
#include "vmm/virtio/lifecycle.h"

static struct virtio_vsock *vsock_of(struct virtio_dev *dev)
{
	return (struct virtio_vsock *)((char *)dev - offsetof(struct virtio_vsock, dev));
}

struct virtio_dev *virtio_vsock_dev(struct virtio_vsock *v)
{
	return &v->dev;
}

/* Act on every deadline that passed and arm the timer for the next. */
static void vsock_deadlines(struct virtio_vsock *v)
{
	uint64_t now = vsock_now(v), next = 0;

	v->timer_at = 0;
	vsock_conn_expire(v, now, &next);
	vsock_uds_retry(v, now, &next);
	vsock_timer_update(v, next);
}

static void vsock_kick_event(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	uint64_t cnt;

	if (read(v->kick_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	vsock_lock(v);
	/* A deadline passed is due whichever source woke the loop first. */
	if (v->timer_at && v->timer_at <= vsock_now(v))
		vsock_deadlines(v);
	if (v->active) {
		vsock_tx_process(v);
		vsock_rx_pump(v);
	}
	vsock_unlock(v);
}

/* A connection's host fd (watched by vsock_conn_watch() through v->conn_event). */
static void vsock_conn_event(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct virtio_vsock *v = c->v;

	vsock_lock(v);
	/* Reset may have detached @c; it frees only after unwatching. */
	if (!c->dead) {
		vsock_conn_host_event(c, events);
		if (v->active)
			vsock_rx_pump(v);
	}
	vsock_unlock(v);
}

static void vsock_timer_event(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	uint64_t cnt;

	if (read(v->timer_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	vsock_lock(v);
	vsock_deadlines(v);
	if (v->active)
		vsock_rx_pump(v);
	vsock_unlock(v);
}

static void vsock_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)&vsock_of(dev)->config + off, len);
}

/* 5.10.3: stream only; SEQPACKET is not offered, so never acked. */
static bool vsock_features_ok(struct virtio_dev *dev)
{
	return virtio_dev_has(dev, VIRTIO_F_VERSION_1);
}

static int vsock_activate(struct virtio_dev *dev)
{
	struct virtio_vsock *v = vsock_of(dev);

	vsock_lock(v);
	v->active = true;
	v->rx_held = false;
	vsock_unlock(v);
	vsock_kick(v);
	return 0;
}

/*
 * 5.10.6: a reset loses every connection. Detach them all under the lock,
 * then unwatch and close outside it: event_loop_del() waits for a running
 * callback, which may be waiting for the lock.
 */
static void vsock_reset(struct virtio_dev *dev)
{
	struct virtio_vsock *v = vsock_of(dev);
	struct vsock_conn *list;

	vsock_lock(v);
	v->active = false;
	v->rx_held = false;
	v->reply_len = 0;
	vsock_conn_detach_all(v, &list);
	vsock_unlock(v);
	vsock_conn_destroy_list(v, list);
}

static void vsock_queue_notify(struct virtio_dev *dev, unsigned int index)
{
	/* Any thread: hand the work to the loop, where the sockets live. */
	if (index != VIRTIO_VSOCK_EVQ)
		vsock_kick(vsock_of(dev));
}

static const struct virtio_dev_ops vsock_ops = {
	.config_read = vsock_config_read,
	.features_ok = vsock_features_ok,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.queue_notify = vsock_queue_notify,
};

static int vsock_check_params(const struct virtio_vsock_params *p, struct husk_error **err)
{
	/* vsock(7): 0-2 are reserved, -1U is VMADDR_CID_ANY. */
	if (p->guest_cid < 3 || p->guest_cid >= 0xffffffffULL)
		return husk_err(err, 0, "virtio-vsock: guest CID %llu invalid",
				(unsigned long long)p->guest_cid);
	if (!p->loop)
		return husk_err(err, 0, "virtio-vsock: no event loop");
	if (p->buf_alloc && (p->buf_alloc < 4096 || p->buf_alloc > (64u << 20)))
		return husk_err(err, 0, "virtio-vsock: buf_alloc %u out of [4 KiB, 64 MiB]",
				p->buf_alloc);
	/* One slot could not be split between the guest and the host. */
	if (p->max_conns == 1)
		return husk_err(err, 0, "virtio-vsock: max_conns 1 leaves no slot to the host");
	return 0;
}

static int vsock_open_fds(struct virtio_vsock *v, struct husk_error **err)
{
	v->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->kick_fd < 0)
		return husk_err(err, errno, "virtio-vsock: eventfd");
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->timer_fd < 0)
		return husk_err(err, errno, "virtio-vsock: timerfd");
	if (event_loop_add(v->loop, v->kick_fd, EPOLLIN, vsock_kick_event, v) < 0 ||
	    event_loop_add(v->loop, v->timer_fd, EPOLLIN, vsock_timer_event, v) < 0)
		return husk_err(err, ENOMEM, "virtio-vsock: event loop");
	return 0;
}

static int vsock_init(struct virtio_vsock *v, const struct virtio_vsock_params *p,
		      struct guest_mem *mem, const struct log_sink *log, struct husk_error **err)
{
	int ret;

	v->kick_fd = v->timer_fd = v->uds_fd = -1;
	v->loop = p->loop;
	v->conn_event = vsock_conn_event;
	v->guest_cid = p->guest_cid;
	v->buf_alloc = p->buf_alloc ? p->buf_alloc : VIRTIO_VSOCK_DEFAULT_BUF_ALLOC;
	v->max_conns = p->max_conns ? p->max_conns : VIRTIO_VSOCK_DEFAULT_MAX_CONNS;
	/* A quarter (at least one) is the host's: the guest cannot take it. */
	v->guest_max = v->max_conns - (v->max_conns / 4 ? v->max_conns / 4 : 1);
	v->clock_ns = p->clock_ns;
	v->clock_opaque = p->clock_opaque;
	v->next_port = VSOCK_PORT_BASE;
	v->config.guest_cid = htole64(p->guest_cid);
	if (pthread_mutex_init(&v->lock, NULL))
		return husk_err(err, ENOMEM, "virtio-vsock: lock");
	v->lock_inited = true;
	ret = virtio_dev_init(&v->dev, "vsock", VIRTIO_ID_VSOCK, 1ULL << VSOCK_F_STREAM,
			      sizeof(v->config), v->queues, 3, VIRTIO_VSOCK_QUEUE_SIZE, &vsock_ops,
			      mem, log);
	if (ret < 0)
		return husk_err(err, -ret, "virtio-vsock: device init");
	v->dev_inited = true;
	ret = vsock_open_fds(v, err);
	if (ret == 0 && p->uds_path)
		ret = vsock_uds_open(v, p->uds_path, err);
	return ret;
}

int virtio_vsock_create(struct virtio_vsock **out, const struct virtio_vsock_params *p,
			struct guest_mem *mem, const struct log_sink *log, struct husk_error **err)
{
	struct virtio_vsock *v;
	int ret;

	ret = vsock_check_params(p, err);
	if (ret < 0)
		return ret;
	v = calloc(1, sizeof(*v));
	if (!v)
		return husk_err(err, ENOMEM, "virtio-vsock");
	ret = vsock_init(v, p, mem, log, err);
	if (ret < 0) {
		virtio_vsock_destroy(v);
		return ret;
	}
	*out = v;
	return 0;
}

static void vsock_close_fd(struct virtio_vsock *v, int fd)
{
	if (fd < 0)
		return;
	event_loop_del(v->loop, fd);
	close(fd);
}

void virtio_vsock_destroy(struct virtio_vsock *v)
{
	if (!v)
		return;
	if (v->dev_inited) {
		pthread_mutex_lock(&v->dev.lock);
		virtio_dev_reset(&v->dev);
		pthread_mutex_unlock(&v->dev.lock);
	}
	vsock_uds_close(v);
	vsock_close_fd(v, v->kick_fd);
	vsock_close_fd(v, v->timer_fd);
	/* Pending handshakes live outside the driver's lifetime: reset again. */
	if (v->dev_inited) {
		vsock_reset(&v->dev);
		virtio_dev_fini(&v->dev);
	}
	vsock_listeners_free(v);
	if (v->lock_inited)
		pthread_mutex_destroy(&v->lock);
	free(v);
}
