/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mmio.h - the virtio-mmio transport, version 2 only (virtio 1.2 section
 * 4.2.2): the register file of one device as a bus_io_fn handler.
 *
 * Wiring a device into a VM (the device manager does this, in order):
 *   1. virtio_mmio_init(&m, dev) - transport state for an initialised device;
 *   2. bus_register(&vm->mmio, base, VIRTIO_MMIO_WINDOW, virtio_mmio_io, &m,
 *      dev->name, err) - one X86_VIRTIO_MMIO_SLOT per device, from layout.h;
 *   3. an eventfd as irqfd on the device's GSI (kvm_irqfd), and
 *      virtio_dev_set_irq() with a raise callback that writes it;
 *   4. per queue i: an eventfd registered with kvm_ioeventfd at
 *      base + VIRTIO_MMIO_QUEUE_NOTIFY, len 4, datamatch i, added to the
 *      event loop with a handler that drains it and calls
 *      virtio_mmio_notify(&m, i) (without ioeventfds, the trapped
 *      QueueNotify write does the same); a device with external_rings
 *      gets the eventfds through ops->set_notify_fds instead of a watch;
 *   5. virtio_mmio_cmdline() appends "virtio_mmio.device=<size>@<base>:<irq>"
 *      to the kernel command line.
 *
 * Registers are 32-bit only; other widths are ignored with a debug log (4.2.2.2
 * "the driver MUST only use 32 bit wide and aligned reads and writes"). The
 * config space at 0x100 takes 1, 2 and 4 byte accesses, bounds-checked.
 */
#ifndef HUSK_VMM_VIRTIO_MMIO_H
#define HUSK_VMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/virtio/virtio.h"

#define VIRTIO_MMIO_MAGIC      0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION_2  2u	   /* modern; 1 is legacy */
/* Bytes a device decodes: the register file plus up to 3.75 KiB of config. */
#define VIRTIO_MMIO_WINDOW     0x1000u
#define VIRTIO_MMIO_CONFIG_MAX (VIRTIO_MMIO_WINDOW - VIRTIO_MMIO_CONFIG)

struct virtio_mmio {
	struct virtio_dev *dev;
	uint32_t dev_features_sel; /* DeviceFeaturesSel */
	uint32_t drv_features_sel; /* DriverFeaturesSel */
	uint32_t queue_sel;	   /* QueueSel, may be out of range */
	uint64_t drv_features;	   /* DriverFeatures as written so far */
};

/* virtio_mmio_init - transport state for @dev (which outlives it). */
void virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *dev);

/*
 * virtio_mmio_io - the bus handler (bus_io_fn); @opaque is the struct
 * virtio_mmio. Runs on vCPU threads; takes dev->lock.
 */
void virtio_mmio_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/*
 * virtio_mmio_notify - a QueueNotify write of @value, from the register
 * file or an ioeventfd handler. Takes no transport lock. Values ≥ the
 * queue count are ignored.
 */
void virtio_mmio_notify(struct virtio_mmio *m, uint32_t value);

/*
 * virtio_mmio_cmdline - write "virtio_mmio.device=<size>@<base>:<irq>"
 * (the Linux virtio_mmio driver's module parameter) into @buf. Returns the
 * length, or -ENOSPC when @buf is too small.
 */
int virtio_mmio_cmdline(char *buf, size_t size, uint64_t base, uint64_t len, uint32_t irq);

#endif
