/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm_virtio_devices.h - the VM's virtio-mmio device manager: slots, interrupt
 * lines, notification eventfds and command-line entries.
 *
 * Device slot N (in the order devices are added) owns:
 *   - the MMIO window X86_VIRTIO_MMIO_BASE + N * X86_VIRTIO_MMIO_SLOT on
 *     the VM's MMIO bus, decoded by virtio/mmio.c on vCPU threads;
 *   - GSI X86_DEVICE_GSI_FIRST + N, driven through an irqfd: the device's
 *     interrupt callback writes the eventfd and KVM pulses the IOAPIC pin.
 *     The MP table declares every pin ISA-conforming (edge, active high),
 *     so a pulse is one interrupt and none is lost: Linux's virtio_mmio
 *     handler reads InterruptStatus, acks it and then drains every used
 *     ring, so completions that land while it runs are seen by it or
 *     raise a fresh edge;
 *   - one ioeventfd per queue on QueueNotify (datamatch = queue index),
 *     watched by the VM's event loop, whose handler calls
 *     virtio_mmio_notify(): a notify costs the vCPU no exit to user space.
 *     It is also the device's requeue hook (virtio.h): a processing turn
 *     that ran out of budget signals it to be called again.
 *     A device with external_rings (vhost-user) gets its ioeventfds and
 *     irqfd through ops->set_notify_fds instead, for its backend process;
 *     the loop does not watch them;
 *   - " virtio_mmio.device=4K@<base>:<gsi>" on the kernel command line.
 *
 * Devices are added before husk_vm_start() under vm->dev_lock and torn
 * down in vm_vdevs_fini() after the vCPUs stopped, newest first, while the
 * event loop still runs: notification sources go first, then the backend
 * (which resets the device and waits for its I/O), then the eventfds are
 * closed and the interrupt line goes; a device with external rings goes
 * before its notification sources.
 */
#ifndef HUSK_VMM_VM_VIRTIO_DEVICES_H
#define HUSK_VMM_VM_VIRTIO_DEVICES_H

#include <stdint.h>

#include "vmm/virtio/mmio.h"
#include "vmm/virtio/virtio.h"

struct husk_vm;
struct vm_vdev;

/* One queue's notification eventfd. */
struct vm_vdev_queue {
	struct vm_vdev *vd;
	unsigned int index;
	int fd;		/* eventfd, -1 when not created */
	bool assigned;	/* registered with KVM_IOEVENTFD */
	bool watched;	/* registered with the event loop */
	uint64_t kicks; /* atomic: notifications delivered through it, requeues too */
};

struct vm_vdev {
	struct husk_vm *vm;
	char name[16]; /* "blk0", "net1", "vsock" (dev->name points here) */
	unsigned int slot;
	uint32_t gsi;
	uint64_t base;
	struct virtio_dev *dev;
	struct virtio_mmio mmio;
	void *backend; /* owned: freed with destroy() */
	void (*destroy)(void *backend);
	int irqfd; /* -1 when not created */
	bool irqfd_assigned;
	struct vm_vdev_queue *queues; /* dev->nr_queues of them */
};

/* The backend a caller hands to vm_vdev_add(). */
struct vm_vdev_backend {
	const char *name; /* "blk0" ... copied */
	struct virtio_dev *dev;
	void *backend;
	void (*destroy)(void *backend);
};

/*
 * vm_vdev_add - give @b the next slot and wire it as described above,
 * rewriting the kernel command line in guest memory. Takes ownership of
 * the backend: on failure it is destroyed too. Caller holds vm->dev_lock
 * and the VM is not started. Returns 0 (and the slot in *@out, which may
 * be NULL) or -errno: -ENOSPC when every slot is taken, -EINVAL when the
 * command line would become longer than the kernel accepts.
 */
int vm_vdev_add(struct husk_vm *vm, const struct vm_vdev_backend *b, struct vm_vdev **out,
		struct husk_error **err);

/* vm_vdevs_fini - tear down every device, newest first (see top comment). */
void vm_vdevs_fini(struct husk_vm *vm);

#endif
