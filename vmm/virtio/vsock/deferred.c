// SPDX-License-Identifier: Apache-2.0
/*
 * deferred.c - the device lock and what code under it leaves for later:
 * callbacks (notes) queued under the lock and run once it is dropped, a
 * kick that has the loop thread process the queues, the device's clock
 * (CLOCK_MONOTONIC, or the one the creator injected) and the timer armed
 * for the earliest deadline on it. Every other vsock file uses these;
 * they call nothing of vsock's but the callbacks they carry.
 */
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/virtio/vsock/vsock_internal.h"

void vsock_lock(struct virtio_vsock *v)
{
	pthread_mutex_lock(&v->lock);
}

static void vsock_note_deliver(struct vsock_note *list)
{
	struct vsock_note *n;

	while ((n = list)) {
		list = n->next;
		if (n->connect_fn)
			n->connect_fn(n->opaque, n->fd, n->error);
		else
			n->accept_fn(n->opaque, n->host_port, n->guest_port, n->fd);
		free(n);
	}
}

/* Callbacks run after the lock is dropped, so they may call back in. */
void vsock_unlock(struct virtio_vsock *v)
{
	struct vsock_note *notes = v->notes;

	v->notes = NULL;
	pthread_mutex_unlock(&v->lock);
	vsock_note_deliver(notes);
}

void vsock_note_queue(struct virtio_vsock *v, struct vsock_note *n)
{
	n->next = v->notes;
	v->notes = n;
}

void vsock_kick(struct virtio_vsock *v)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is already non-zero, the loop will wake. */
	if (write(v->kick_fd, &one, sizeof(one)) < 0)
		return;
}

/* Every deadline of the device is on this clock, in ns. */
uint64_t vsock_now(const struct virtio_vsock *v)
{
	return v->clock_ns ? v->clock_ns(v->clock_opaque) : husk_now_ns();
}

/*
 * Arm the timer for @deadline_ns if it is earlier than what is armed.
 * Relative to vsock_now(): the timerfd's clock need not be the device's.
 */
void vsock_timer_update(struct virtio_vsock *v, uint64_t deadline_ns)
{
	struct itimerspec its = { 0 };
	uint64_t now, wait = 1; /* 0 would disarm */

	if (!deadline_ns || (v->timer_at && v->timer_at <= deadline_ns))
		return;
	v->timer_at = deadline_ns;
	now = vsock_now(v);
	if (deadline_ns > now)
		wait = deadline_ns - now;
	its.it_value.tv_sec = (time_t)(wait / 1000000000ULL);
	its.it_value.tv_nsec = (long)(wait % 1000000000ULL);
	timerfd_settime(v->timer_fd, 0, &its, NULL);
}
