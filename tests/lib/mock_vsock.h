/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mock_vsock.h - a guest vsock driver for tests and fuzzing: a mock guest
 * with the three vsock queues brought up over virtio-mmio, an event loop
 * run by hand, fixed per-slot packet buffers that are reused (so MiB
 * transfers fit the mock RAM), and helpers to send and receive packets.
 *
 * Nothing here validates what the device sends: tests check that.
 */
#ifndef HUSK_TESTS_MOCK_VSOCK_H
#define HUSK_TESTS_MOCK_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/base/event_loop.h"
#include "tests/lib/mock_vq.h"
#include "vmm/virtio/vsock/vsock_internal.h"

#define MV_QSIZE     128		    /* each queue */
#define MV_BUF_LEN   (VSOCK_HDR_LEN + 4096) /* per slot, as Linux posts */
#define MV_RX_POSTED 64			    /* rx buffers kept available */
#define MV_BIG_LEN   (VSOCK_HDR_LEN + 2 * VSOCK_MAX_PAYLOAD)

struct mock_vsock {
	struct mock_guest g;
	struct mock_vq mq[3];
	struct virtio_mmio mmio;
	struct virtio_vsock *dev;
	struct event_loop el;
	uint64_t cid;
	gpa_t rx_buf[MV_QSIZE], tx_buf[MV_QSIZE], big;
	uint32_t rx_len;     /* bytes per posted rx buffer */
	unsigned int tx_out; /* tx chains not yet returned */
	unsigned int irqs;
};

/*
 * mock_vsock_init - guest, loop, device from @p (loop is filled in; cid 3
 * when 0), bring-up, MV_RX_POSTED rx buffers. @bring_up false leaves the
 * driver down. Aborts on failure.
 */
void mock_vsock_init(struct mock_vsock *mv, const struct virtio_vsock_params *p, bool bring_up);
void mock_vsock_fini(struct mock_vsock *mv);

/* mock_vsock_bring_up - (re)run the driver's 3.1.1 sequence and post rx buffers. */
void mock_vsock_bring_up(struct mock_vsock *mv);

/* mock_vsock_post_rx - make @n rx buffers of @len bytes available and notify. */
void mock_vsock_post_rx(struct mock_vsock *mv, unsigned int n, uint32_t len);

/*
 * mock_vsock_send_raw - one tx chain: header @h (encoded as is, len
 * included), then @plen payload bytes from @payload, and notify.
 */
void mock_vsock_send_raw(struct mock_vsock *mv, const struct vsock_pkt *h, const void *payload,
			 uint32_t plen);

/* mock_vsock_send - a well-formed STREAM packet from the guest to the host. */
void mock_vsock_send(struct mock_vsock *mv, uint16_t op, uint32_t src_port, uint32_t dst_port,
		     uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt, const void *payload,
		     uint32_t len);

/*
 * mock_vsock_recv - the next packet the device put in an rx buffer:
 * header into @h, payload (up to @cap bytes) into @payload; the buffer is
 * posted again. False when there is none.
 */
bool mock_vsock_recv(struct mock_vsock *mv, struct vsock_pkt *h, void *payload, uint32_t cap);

/* mock_vsock_pump - run the event loop until idle (@wait_ms for the first batch). */
int mock_vsock_pump(struct mock_vsock *mv, int wait_ms);

#endif
