// SPDX-License-Identifier: Apache-2.0
/*
 * rx.c - virtio-net receive (virtio 1.2 section 5.1.6.3-5.1.6.4): tap
 * frames into the driver's receive buffers.
 *
 * A frame is read whole into n->rx_buf (the tap hands out one frame per
 * read), then copied into one receive chain. When the driver has no
 * buffers the frame waits there and the tap fd is paused in the event
 * loop, so a level-triggered fd cannot spin the loop; the driver's next RX
 * notification resumes it. A frame the rate limit refuses waits the same
 * way, resumed by the limiter's timer. A turn delivers at most
 * VIRTQ_TURN_BUDGET frames (queue.h); a tap with more stays readable, so
 * the loop comes back to it after its other sources. All under the RX
 * queue lock.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "vmm/virtio/net/net_internal.h"

#define NET_HDR_LEN	    sizeof(struct virtio_net_hdr_v1)
#define NET_NUM_BUFFERS_OFF offsetof(struct virtio_net_hdr_v1, num_buffers)

static void net_rx_event(void *opaque, uint32_t events)
{
	net_rx_kick(opaque);
}

static void net_rx_pause(struct virtio_net *n, bool pause)
{
	if (!n->rx_watched || n->rx_paused == pause)
		return;
	if (event_loop_mod(n->loop, n->fd, pause ? 0 : EPOLLIN) == 0)
		n->rx_paused = pause;
}

/* Read the next frame unless one is pending; false when the tap is empty. */
static bool net_rx_fill(struct virtio_net *n)
{
	ssize_t len;

	while (!n->rx_len) {
		len = read(n->fd, n->rx_buf, sizeof(n->rx_buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return false;
		if ((size_t)len < NET_HDR_LEN + 14) { /* not even an Ethernet header */
			net_count(&n->rx_dropped);
			continue;
		}
		/* 5.1.6.4: without MRG_RXBUF, num_buffers is 1; the tap leaves it alone. */
		le16_put(n->rx_buf + NET_NUM_BUFFERS_OFF, 1);
		n->rx_len = (size_t)len;
	}
	return true;
}

/* Copy the pending frame into one chain: 1 done, 0 no buffer, <0 broken. */
static int net_rx_deliver(struct virtio_net *n)
{
	struct virtq *q = &n->queues[VIRTIO_NET_RXQ];
	struct chain_writer w;
	uint32_t used = 0;
	int ret;

	ret = virtq_pop(q, &n->rx_chain);
	if (ret <= 0)
		return ret;
	chain_writer_init(&w, &n->rx_chain);
	if (chain_write(&w, n->rx_buf, n->rx_len) == 0)
		used = (uint32_t)n->rx_len;
	else
		net_count(&n->rx_dropped); /* the driver's buffer is too small: drop */
	n->rx_len = 0;
	n->rx_paid = false;
	return virtq_push(q, n->rx_chain.head, used) < 0 ? -EIO : 1;
}

/* The pending frame passed the rate limit (paid once, however long it waits). */
static bool net_rx_admit(struct virtio_net *n)
{
	if (!n->rx_paid)
		n->rx_paid = rate_limiter_admit(&n->rx_limiter, n->rx_len - NET_HDR_LEN);
	return n->rx_paid;
}

/* The limiter's timer: a reset device (tap unwatched) reads nothing. */
void net_rx_resume(void *opaque)
{
	struct virtio_net *n = opaque;
	bool watched;

	virtq_lock(&n->queues[VIRTIO_NET_RXQ]);
	watched = n->rx_watched;
	virtq_unlock(&n->queues[VIRTIO_NET_RXQ]);
	if (watched)
		net_rx_kick(n);
}

void net_rx_kick(struct virtio_net *n)
{
	struct virtq *q = &n->queues[VIRTIO_NET_RXQ];
	unsigned int left = VIRTQ_TURN_BUDGET;
	int ret = 1;

	virtq_lock(q);
	while (virtq_turn_next(q, &left) && net_rx_fill(n)) {
		ret = net_rx_admit(n) ? net_rx_deliver(n) : 0;
		if (ret <= 0)
			break;
	}
	/* No buffer or no tokens: stop polling until the driver or the timer kicks. */
	net_rx_pause(n, ret == 0);
	virtq_notify(q);
	virtq_unlock(q);
}

int net_rx_start(struct virtio_net *n)
{
	int ret;

	if (!n->loop || n->fd < 0) /* no tap yet: virtio_net_attach() comes back */
		return 0;
	ret = event_loop_add(n->loop, n->fd, EPOLLIN, net_rx_event, n);
	if (ret < 0)
		return ret;
	virtq_lock(&n->queues[VIRTIO_NET_RXQ]);
	n->rx_watched = true;
	n->rx_paused = false;
	virtq_unlock(&n->queues[VIRTIO_NET_RXQ]);
	return 0;
}

void net_rx_stop(struct virtio_net *n)
{
	struct virtq *q = &n->queues[VIRTIO_NET_RXQ];
	bool watched;

	virtq_lock(q);
	watched = n->rx_watched;
	n->rx_watched = false;
	n->rx_len = 0;
	n->rx_paid = false;
	virtq_unlock(q);
	/* Outside the queue lock: del waits for a running callback, which takes it. */
	if (watched)
		event_loop_del(n->loop, n->fd);
}
