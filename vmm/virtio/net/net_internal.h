/* SPDX-License-Identifier: Apache-2.0 */
/* net_internal.h - state shared by device.c and rx.c only. */
#ifndef HUSK_VMM_VIRTIO_NET_INTERNAL_H
#define HUSK_VMM_VIRTIO_NET_INTERNAL_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/virtio/chain.h"
#include "vmm/virtio/net/net.h"
#include "vmm/virtio/queue.h"

/* Largest frame a tap hands over: 64 KiB GSO frame plus Ethernet header. */
#define NET_MAX_FRAME (65536 + 14 + 4)

/*
 * Largest TX chain taken: a 65550-byte frame (64 KiB of GSO payload and
 * its headers, Firecracker's bound too) plus the 12-byte virtio-net
 * header. Longer chains are dropped, not written.
 */
#define NET_TX_MAX_LEN (65550 + sizeof(struct virtio_net_hdr_v1))

struct virtio_net {
	struct virtio_dev dev;
	struct virtq queues[2];
	struct virtio_net_config config; /* little-endian, as the guest sees it */
	int fd;
	bool is_tap;
	bool dev_inited;
	struct event_loop *loop;

	/* RX, under queues[RXQ].lock */
	bool rx_watched; /* fd registered with the loop */
	bool rx_paused;	 /* no guest buffers: tap not polled */
	size_t rx_len;	 /* bytes in rx_buf, 0: none pending */
	struct virtq_chain rx_chain;
	uint8_t rx_buf[sizeof(struct virtio_net_hdr_v1) + NET_MAX_FRAME];
	uint64_t rx_dropped; /* the drop counters: atomic, virtio_net_get_stats reads them */
	struct rate_limiter rx_limiter;
	bool rx_paid; /* rx_buf's frame passed rx_limiter */

	/* TX, under queues[TXQ].lock */
	struct virtq_chain tx_chain;
	struct virtio_net_hdr_v1 tx_hdr;	      /* checked copy of the chain's header */
	struct iovec tx_iov[1 + VIRTQ_CHAIN_MAX_IOV]; /* tx_hdr, then the frame */
	uint64_t tx_dropped;			      /* the tap refused the write */
	uint64_t tx_oversize;			      /* chains over NET_TX_MAX_LEN */
	uint64_t tx_bad_hdr;			      /* no header, or offloads not negotiated */
	struct rate_limiter tx_limiter;
	bool tx_held; /* tx_chain waits for tx_limiter's tokens */
};

/* net_count - one more on a drop counter (read by other threads without the queue lock). */
static inline void net_count(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

struct virtio_net *net_of(struct virtio_dev *dev);
void net_tx(struct virtio_net *n);
void net_tx_resume(void *opaque);

/* rx.c */
int net_rx_start(struct virtio_net *n);
void net_rx_stop(struct virtio_net *n);
void net_rx_kick(struct virtio_net *n);
void net_rx_resume(void *opaque);

#endif
