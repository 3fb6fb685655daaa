/* SPDX-License-Identifier: Apache-2.0 */
/*
 * front.h - the vhost-user front end's message sequences over a
 * struct vhost_conn (QEMU docs/interop/vhost-user.rst, and
 * /work/shared/docs/virtio-fs.md section 2 for what virtiofsd answers):
 *
 *   handshake (once, when the device is added):
 *     GET_FEATURES (VERSION_1 required); if bit 30 PROTOCOL_FEATURES:
 *     GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES acking only REPLY_ACK
 *     and MQ, GET_QUEUE_NUM when MQ was acked (enough queues required);
 *     SET_OWNER.
 *   start (at the driver's DRIVER_OK):
 *     SET_FEATURES (the guest's | bit 30 when negotiated), SET_MEM_TABLE
 *     with one fd per region; per ring SET_VRING_NUM, _BASE, _ADDR, _KICK,
 *     _CALL; then SET_VRING_ENABLE 1 per ring. With REPLY_ACK every SET_*
 *     waits for the backend's verdict; without it a GET_FEATURES after the
 *     enables serves as the barrier, so the rings are live on return.
 *   stop (at a driver reset):
 *     per started ring SET_VRING_ENABLE 0 and GET_VRING_BASE, which makes
 *     the backend stop the ring. The connection stays: the next start
 *     reuses it (a backend like virtiofsd serves one connection only).
 *
 * No I/O beyond conn.c; errors come back with conn.c's context.
 */
#ifndef HUSK_VMM_VHOST_FRONT_H
#define HUSK_VMM_VHOST_FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/vhost/conn.h"

struct vhost_front {
	struct vhost_conn conn;
	uint64_t features;	    /* the backend's GET_FEATURES */
	uint64_t protocol_features; /* what we acked */
	bool has_protocol;	    /* bit 30 offered: protocol features in use */
};

/* Guest memory as the backend must map it: region i travels with fds[i]. */
struct vhost_front_mem {
	unsigned int nr;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
	int fds[VHOST_USER_MAX_REGIONS];
};

/* One ring to start: host virtual addresses inside the memory table. */
struct vhost_front_ring {
	unsigned int index;
	uint16_t num;  /* queue size */
	uint16_t base; /* first avail index to process */
	uint64_t desc, used, avail;
	int kick_fd; /* eventfd the guest's notifications signal */
	int call_fd; /* eventfd the backend signals for interrupts */
};

/*
 * vhost_front_handshake - the add-time sequence above; @nr_queues is what
 * the device needs (checked against GET_QUEUE_NUM when MQ is offered).
 * Returns 0 or -errno (-EPROTO when the backend lacks what is needed).
 */
int vhost_front_handshake(struct vhost_front *f, unsigned int nr_queues, struct husk_error **err);

/* vhost_front_start - the DRIVER_OK sequence for @nr rings with @features acked by the guest. */
int vhost_front_start(struct vhost_front *f, uint64_t features, const struct vhost_front_mem *mem,
		      const struct vhost_front_ring *rings, unsigned int nr,
		      struct husk_error **err);

/*
 * vhost_front_stop - the reset sequence for ring @index; *@base gets the
 * backend's next avail index (may be NULL).
 */
int vhost_front_stop(struct vhost_front *f, unsigned int index, uint16_t *base,
		     struct husk_error **err);

#endif
