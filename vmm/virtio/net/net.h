/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.h - virtio-net (virtio 1.2 section 5.1) over a TAP device.
 *
 * One receive queue (0) and one transmit queue (1), no control queue.
 * Frames carry the 12-byte struct virtio_net_hdr_v1 both ways, which is
 * also the tap's vnet header (IFF_VNET_HDR, TUNSETVNETHDRSZ 12), so
 * offloads pass through untouched; the guest offloads acked at
 * FEATURES_OK are given to the tap with TUNSETOFFLOAD at activation.
 * Without VIRTIO_NET_F_MRG_RXBUF (not offered) each received frame must
 * fit one receive chain (5.1.6.3.1: the driver posts big buffers when it
 * acks GUEST_TSO*); a frame that does not fit is dropped.
 *
 * What the guest transmits is checked first (5.1.6.2): a chain over
 * 65562 bytes (a 65550-byte frame and its header) is dropped, the header
 * the tap gets is a copy with every flag but NEEDS_CSUM cleared, and a
 * checksum or GSO offload the driver did not negotiate drops the frame.
 * Drops are counted; none breaks the device.
 *
 * Threads: the tap fd is watched by the event loop, whose thread moves
 * frames to the receive queue; transmit runs on whichever thread delivers
 * the TX notification. Each direction is under its own queue lock; a
 * frame waiting for receive buffers stays in a preallocated bounce buffer
 * and the tap is not polled until the driver adds buffers (or, rate
 * limited, until the limiter's timer fires). Either way a turn moves at
 * most VIRTQ_TURN_BUDGET frames, then yields the loop.
 */
#ifndef HUSK_VMM_VIRTIO_NET_NET_H
#define HUSK_VMM_VIRTIO_NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/event_loop.h"
#include "vmm/base/guest_mem.h"
#include "vmm/base/log.h"
#include "vmm/base/rate_limiter.h"
#include "vmm/virtio/virtio.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ	      0
#define VIRTIO_NET_TXQ	      1

struct virtio_net_params {
	/*
	 * ifname: tap to attach (created if absent); used when tap_fd < 0.
	 * Neither: no tap yet (link down, the guest's frames dropped and
	 * counted in tx_dropped) until virtio_net_attach().
	 */
	const char *ifname;
	/*
	 * tap_fd: an open tap (borrowed, dup'ed), already IFF_TAP|IFF_NO_PI|
	 * IFF_VNET_HDR; or any packet fd framing each frame with a 12-byte
	 * vnet header (tests pass a SOCK_DGRAM socketpair). -1: open ifname.
	 */
	int tap_fd;
	uint8_t mac[6];
	bool has_mac;		 /* offer VIRTIO_NET_F_MAC */
	uint16_t mtu;		 /* 0: no VIRTIO_NET_F_MTU */
	struct event_loop *loop; /* watches the tap and the rate limits' timers; not owned */
	/*
	 * Rate limits per direction (all zero: none; vmm/base/rate_limiter.h).
	 * A transmit frame they refuse stays popped in tx_chain; a received
	 * one in rx_buf with the tap paused; the limiter's timer resumes.
	 * clock: NULL for CLOCK_MONOTONIC; tests pass their own.
	 */
	struct husk_rate_limit rx_rate_limit, tx_rate_limit;
	rate_clock_fn clock;
	void *clock_opaque;
};

struct virtio_net;

/*
 * virtio_net_create - open/attach the tap, set the vnet header size, probe
 * offload support (TUNSETOFFLOAD works only on a tap). Returns 0 or -errno.
 */
int virtio_net_create(struct virtio_net **out, const struct virtio_net_params *p,
		      struct guest_mem *mem, const struct log_sink *log, struct husk_error **err);

/* virtio_net_destroy - reset the device, stop watching, close; NULL is fine. */
void virtio_net_destroy(struct virtio_net *n);

/* virtio_net_dev - the transport-facing device. */
struct virtio_dev *virtio_net_dev(struct virtio_net *n);

/*
 * virtio_net_get_stats - the drop and throttle counts into @s (every field
 * of this husk.h's struct husk_net_stats; struct_size untouched). Any
 * thread, no lock: each counter is read once, atomically.
 */
void virtio_net_get_stats(const struct virtio_net *n, struct husk_net_stats *s);

/* virtio_net_set_link - report link up/down (VIRTIO_NET_F_STATUS) and notify. */
void virtio_net_set_link(struct virtio_net *n, bool up);

/*
 * virtio_net_attach - give a device created without a tap its @tap_fd
 * (borrowed, dup'ed; a tap or a stand-in as virtio_net_params.tap_fd),
 * from any thread, also while the driver runs it: on an active device the
 * tap is watched at once; the link goes up with a config interrupt.
 * Offloads were offered at create as for a tap. Returns 0, -EBUSY (a tap
 * is already attached) or -EBADF (@tap_fd is no open fd), with *@err set.
 */
int virtio_net_attach(struct virtio_net *n, int tap_fd, struct husk_error **err);

#endif
