/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.h - a virtio device's life with its queues (virtio 1.2
 * sections 2.1-2.4): set-up, reset, activation at DRIVER_OK and the
 * delivery of driver notifications. Used by the transport (mmio.c) and
 * by each device for its own set-up and teardown; see virtio.h for the
 * threads and locks.
 */
#ifndef HUSK_VMM_VIRTIO_LIFECYCLE_H
#define HUSK_VMM_VIRTIO_LIFECYCLE_H

#include <stdint.h>

#include "vmm/base/guest_mem.h"
#include "vmm/base/log.h"
#include "vmm/virtio/virtio.h"

/*
 * virtio_dev_init - set up the common part. @queues is the device's array
 * of @nr_queues queues, each given its index and maximum size here with
 * @max_size (a power of two ≤ VIRTQ_MAX_SIZE). @offered gets the transport
 * features added. @log may be NULL. Returns 0 or -errno.
 */
int virtio_dev_init(struct virtio_dev *dev, const char *name, uint32_t device_id, uint64_t offered,
		    uint32_t config_len, struct virtq *queues, unsigned int nr_queues,
		    uint16_t max_size, const struct virtio_dev_ops *ops, struct guest_mem *mem,
		    const struct log_sink *log);

/* virtio_dev_fini - destroy locks; the device is reset first by the caller. */
void virtio_dev_fini(struct virtio_dev *dev);

/*
 * virtio_dev_notify - deliver a driver notification for queue @index:
 * out-of-range indices and notifications before DRIVER_OK or while broken
 * are ignored. Called by the transport's QueueNotify write and by an
 * ioeventfd handler alike. Any thread, no lock held.
 */
void virtio_dev_notify(struct virtio_dev *dev, unsigned int index);

/*
 * virtio_dev_reset - back to the power-on state: ops->reset, every queue
 * reset, features/status/isr cleared, broken cleared. Caller holds
 * dev->lock (the transport on a status write of 0) or owns the device
 * exclusively (teardown).
 */
void virtio_dev_reset(struct virtio_dev *dev);

/*
 * virtio_dev_activate - DRIVER_OK: validate and map every ready queue
 * (virtq_activate), then ops->activate. On failure the device is failed
 * (NEEDS_RESET) and -errno returned. Caller holds dev->lock.
 */
int virtio_dev_activate(struct virtio_dev *dev);

#endif
