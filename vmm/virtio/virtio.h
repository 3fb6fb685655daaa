/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio.h - what every virtio device has, whatever its type or transport.
 *
 * A device (blk, net, vsock) embeds a struct virtio_dev, fills in its id,
 * offered features, config size, queues and an ops table, and never sees a
 * transport register: the transport (mmio.c) drives the status state
 * machine (virtio 1.2 section 2.1), feature negotiation (2.2), queue
 * set-up and config accesses, and calls the ops below.
 *
 * This header and virtio.c hold what may be done to a live device from
 * anywhere, its queues included: features, interrupts, failure. Its life
 * with its queues (init, reset, activation, notifications) is lifecycle.h's,
 * so calls run one way: lifecycle.c -> queue.c -> virtio.c.
 *
 * One thread serves every device's notifications (the VM's event loop), so
 * no queue may keep it: a processing loop takes at most VIRTQ_TURN_BUDGET
 * chains per turn (virtq_turn_next, queue.h) and, if more wait, has the
 * embedder's requeue hook deliver the notification again after the loop's
 * other sources.
 *
 * Guest misbehaviour breaks the device, never the host: virtio_dev_fail()
 * logs (rate-limited), marks the device broken, sets DEVICE_NEEDS_RESET
 * (2.1.2) and raises a configuration-change interrupt. A broken device
 * pops nothing until the driver writes 0 to the status register.
 *
 * Threads and locks:
 *   - transport registers run on vCPU threads under dev->lock;
 *   - queue processing runs wherever a notification lands (the event-loop
 *     thread for an ioeventfd, a vCPU thread for a trapped QueueNotify) or on
 *     a device's worker threads, under each queue's own q->lock;
 *   - lock order is dev->lock, then q->lock; nothing that holds a q->lock
 *     takes dev->lock, which is why status, broken and isr are atomics
 *     (virtio_dev_fail() may run under a q->lock);
 *   - the interrupt callback may run on any of those threads, with a
 *     q->lock held, and must not block.
 */
#ifndef HUSK_VMM_VIRTIO_H
#define HUSK_VMM_VIRTIO_H

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/base/guest_mem.h"
#include "vmm/base/log.h"

struct virtq;
struct virtio_dev;

/* Interrupt causes, the bits of the InterruptStatus register (4.2.2). */
#define VIRTIO_INT_USED	  VIRTIO_MMIO_INT_VRING	 /* a used ring advanced */
#define VIRTIO_INT_CONFIG VIRTIO_MMIO_INT_CONFIG /* config (or status) changed */

/* Vendor id husk reports: "HUSK" is not a PCI vendor; the driver ignores it. */
#define VIRTIO_HUSK_VENDOR_ID 0x4b535548u

/* Features every husk device offers in addition to its own (6, 2.7). */
#define VIRTIO_DEV_TRANSPORT_FEATURES \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << 28 /* INDIRECT_DESC */) | \
	 (1ULL << 29 /* EVENT_IDX */))

/*
 * The embedder's interrupt line. @raise is called with the cause bits just
 * added to the interrupt status; in a VM it writes the device's irqfd, in
 * tests it counts. Must not block and must not call back into the device.
 */
struct virtio_irq {
	void (*raise)(void *opaque, uint32_t cause);
	void *opaque;
};

/*
 * The embedder's way to deliver queue @index's notification again later,
 * for a turn that stopped with chains still waiting. In a VM it writes the
 * queue's kick eventfd, so the event loop comes back to the queue as if
 * the guest had kicked, after whatever else is ready. Any thread, any
 * lock; must not block and must not call back into the device. A device
 * without one (tests, fuzzing, an embedder with no loop) has nobody to
 * come back, so its turns run until the ring is empty.
 */
struct virtio_requeue {
	void (*fn)(void *opaque, unsigned int index);
	void *opaque;
};

/*
 * Backend operations. Every op runs with dev->lock held except
 * queue_notify, which runs with no lock held (the device takes q->lock).
 */
struct virtio_dev_ops {
	/*
	 * config_read/config_write - bytes [@off, @off + @len) of the device
	 * config space (4.2.2: offset 0x100 onwards), already bounds-checked
	 * against dev->config_len. NULL config_write: the space is read-only.
	 */
	void (*config_read)(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct virtio_dev *dev, uint32_t off, const void *buf, uint32_t len);
	/*
	 * features_ok - called when the driver sets FEATURES_OK with the acked
	 * set in dev->acked; return false to refuse a combination the device
	 * cannot honour (2.2.2). NULL: any subset of the offer is fine.
	 */
	bool (*features_ok)(struct virtio_dev *dev);
	/*
	 * activate - DRIVER_OK was written and every ready queue passed
	 * virtq_activate(). Start backends (register fds, start workers).
	 * Return 0, or -errno: the transport then sets DEVICE_NEEDS_RESET.
	 */
	int (*activate)(struct virtio_dev *dev);
	/*
	 * reset - the driver wrote 0 to status (or the VM is torn down). Stop
	 * every backend activity touching the queues and wait for in-flight
	 * requests; afterwards the transport resets the queues.
	 */
	void (*reset)(struct virtio_dev *dev);
	/*
	 * queue_notify - the driver made buffers available on queue @index
	 * (< dev->nr_queues, checked by the caller). Any thread.
	 */
	void (*queue_notify)(struct virtio_dev *dev, unsigned int index);
	/*
	 * set_notify_fds - only for devices with external_rings: the wiring
	 * hands over queue @index's kick eventfd (the ioeventfd on QueueNotify,
	 * signalled by KVM, not watched by the VMM) and the device's interrupt
	 * eventfd (a KVM irqfd). Both stay owned by the wiring and outlive the
	 * device's use of them. Called once per queue before the VM starts.
	 */
	void (*set_notify_fds)(struct virtio_dev *dev, unsigned int index, int kick_fd,
			       int call_fd);
};

struct virtio_dev {
	const char *name;    /* "blk0", for log lines; not owned */
	uint32_t device_id;  /* VIRTIO_ID_* (5) */
	uint64_t offered;    /* device feature bits, transport ones included */
	uint64_t acked;	     /* driver feature bits, valid after FEATURES_OK */
	uint32_t status;     /* atomic: VIRTIO_CONFIG_S_* (2.1) */
	uint32_t isr;	     /* atomic: VIRTIO_INT_* pending */
	uint32_t config_gen; /* atomic: ConfigGeneration (2.5.1) */
	uint32_t config_len; /* bytes of device config space */
	bool broken;	     /* atomic: failed, awaiting reset */
	bool active;	     /* activate() succeeded */
	/*
	 * external_rings: another process serves the queues (vhost-user). Its
	 * kicks must reach it, not the VMM, so the wiring does not watch the
	 * ioeventfds and gives them to set_notify_fds instead; and since it
	 * raises the irqfd itself without touching isr, InterruptStatus always
	 * reads VIRTIO_INT_USED as well (mmio.c). Set before wiring.
	 */
	bool external_rings;

	struct virtq *queues; /* owned by the device */
	unsigned int nr_queues;

	const struct virtio_dev_ops *ops;
	struct guest_mem *mem;
	struct virtio_irq irq;
	struct virtio_requeue requeue; /* fn NULL: none */
	const struct log_sink *log;
	pthread_mutex_t lock;	  /* transport state; see the top comment */
	uint64_t fail_log_ns;	  /* atomic: last virtio_dev_fail() line */
	uint32_t fail_suppressed; /* atomic: lines dropped since */
};

/* virtio_dev_set_irq - install the interrupt callback (before DRIVER_OK). */
void virtio_dev_set_irq(struct virtio_dev *dev, const struct virtio_irq *irq);

/* virtio_dev_set_requeue - install the requeue hook (before DRIVER_OK). */
void virtio_dev_set_requeue(struct virtio_dev *dev, const struct virtio_requeue *rq);

/* virtio_dev_has - true when feature @bit was negotiated. */
static inline bool virtio_dev_has(const struct virtio_dev *dev, unsigned int bit)
{
	return bit < 64 && (dev->acked >> bit) & 1;
}

/*
 * virtio_dev_interrupt - add @cause to the interrupt status and raise the
 * line. Any thread, any lock; never allocates.
 */
void virtio_dev_interrupt(struct virtio_dev *dev, uint32_t cause);

/*
 * virtio_dev_config_changed - the device changed its config space: bump
 * ConfigGeneration and raise a config interrupt (2.5.1, 4.2.2).
 */
void virtio_dev_config_changed(struct virtio_dev *dev);

/*
 * virtio_dev_fail - the driver broke the rules: log (at most a line a
 * second per device; the rest are counted), set broken and
 * DEVICE_NEEDS_RESET, raise a config interrupt. Idempotent, any thread,
 * any lock, never allocates. Returns -EIO for `return virtio_dev_fail(...)`.
 */
int virtio_dev_fail(struct virtio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* virtio_dev_is_broken - true between virtio_dev_fail() and reset. */
bool virtio_dev_is_broken(const struct virtio_dev *dev);

#endif
