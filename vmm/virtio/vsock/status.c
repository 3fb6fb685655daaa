// SPDX-License-Identifier: Apache-2.0
/*
 * status.c - a read-only snapshot of one connection for diagnostics
 * (husk_vm_get_vsock_conn): its state, the bytes each way and the credit
 * both sides were told (5.10.6.3). It waits a bounded time for the device
 * lock, so a loop thread stuck holding it shows as -EBUSY, not as a
 * second stuck thread.
 */
#include <errno.h>
#include <time.h>

#include "common/clock.h"
#include "vmm/virtio/vsock/vsock_internal.h"

#define VSOCK_STATUS_LOCK_MS 200

/* The @index-th connection: the table's buckets in order, then handshakes. */
static const struct vsock_conn *vsock_status_nth(const struct virtio_vsock *v, unsigned int index)
{
	const struct vsock_conn *c;
	unsigned int i;

	for (i = 0; i < VSOCK_HASH_SIZE; i++)
		for (c = v->table[i]; c; c = c->next)
			if (!index--)
				return c;
	for (c = v->handshakes; c; c = c->next)
		if (!index--)
			return c;
	return NULL;
}

static uint32_t vsock_status_flags(const struct vsock_conn *c)
{
	return (c->readable ? HUSK_VSOCK_READABLE : 0) | (c->host_eof ? HUSK_VSOCK_HOST_EOF : 0) |
	       (c->host_hup ? HUSK_VSOCK_HOST_HUP : 0) | (c->wr_shut ? HUSK_VSOCK_WR_SHUT : 0) |
	       (c->on_rx ? HUSK_VSOCK_WAITING_RX : 0) | (c->from_guest ? HUSK_VSOCK_FROM_GUEST : 0);
}

static void vsock_status_fill(const struct vsock_conn *c, struct husk_vsock_conn_status *st)
{
	static const uint32_t states[] = {
		[VSOCK_HANDSHAKE] = HUSK_VSOCK_HANDSHAKE,
		[VSOCK_CONNECTING] = HUSK_VSOCK_CONNECTING,
		[VSOCK_ESTABLISHED] = HUSK_VSOCK_ESTABLISHED,
		[VSOCK_DYING] = HUSK_VSOCK_DYING,
	};

	st->host_port = c->local_port;
	st->guest_port = c->peer_port;
	st->state = states[c->state];
	st->flags = vsock_status_flags(c);
	st->pending = c->pend;
	st->guest_shut = c->peer_shut;
	st->host_shut = c->shut_sent;
	st->from_guest = c->rx_cnt;
	st->fwd_cnt = c->fwd_cnt;
	st->fwd_cnt_sent = c->fwd_cnt_sent;
	st->queued = c->ring.len;
	st->buf_alloc = c->v->buf_alloc;
	st->to_guest = c->tx_cnt;
	st->guest_buf_alloc = c->peer_buf_alloc;
	st->guest_fwd_cnt = c->peer_fwd_cnt;
	st->guest_credit = vsock_credit_peer_free(c);
}

int virtio_vsock_conn_status(struct virtio_vsock *v, unsigned int index,
			     struct husk_vsock_conn_status *st)
{
	struct timespec until = husk_timespec_after_ms(CLOCK_REALTIME, VSOCK_STATUS_LOCK_MS);
	const struct vsock_conn *c;

	if (pthread_mutex_timedlock(&v->lock, &until))
		return -EBUSY;
	c = vsock_status_nth(v, index);
	if (c)
		vsock_status_fill(c, st);
	pthread_mutex_unlock(&v->lock);
	return c ? 0 : -ENOENT;
}
