// SPDX-License-Identifier: Apache-2.0
/*
 * virtio.c - what may be done to a live virtio device from anywhere, its
 * queues included: the interrupt and requeue callbacks and status, config changes and
 * the failure policy (virtio 1.2 section 2.1.2). Life with the queues is
 * lifecycle.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "vmm/virtio/virtio.h"

/* One failure line per device per second; the others are only counted. */
#define VIRTIO_FAIL_LOG_INTERVAL_NS 1000000000ULL

void virtio_dev_set_irq(struct virtio_dev *dev, const struct virtio_irq *irq)
{
	dev->irq = *irq;
}

void virtio_dev_set_requeue(struct virtio_dev *dev, const struct virtio_requeue *rq)
{
	dev->requeue = *rq;
}

void virtio_dev_interrupt(struct virtio_dev *dev, uint32_t cause)
{
	__atomic_fetch_or(&dev->isr, cause, __ATOMIC_SEQ_CST);
	if (dev->irq.raise)
		dev->irq.raise(dev->irq.opaque, cause);
}

void virtio_dev_config_changed(struct virtio_dev *dev)
{
	__atomic_fetch_add(&dev->config_gen, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dev->status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_dev_interrupt(dev, VIRTIO_INT_CONFIG);
}

/* Rate limit: a guest that fails, resets and fails again must not flood the log. */
static bool virtio_fail_may_log(struct virtio_dev *dev, uint32_t *suppressed)
{
	uint64_t now = husk_now_ns();
	uint64_t last = __atomic_load_n(&dev->fail_log_ns, __ATOMIC_RELAXED);

	if (last && now - last < VIRTIO_FAIL_LOG_INTERVAL_NS) {
		__atomic_fetch_add(&dev->fail_suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	__atomic_store_n(&dev->fail_log_ns, now, __ATOMIC_RELAXED);
	*suppressed = __atomic_exchange_n(&dev->fail_suppressed, 0, __ATOMIC_RELAXED);
	return true;
}

int virtio_dev_fail(struct virtio_dev *dev, const char *fmt, ...)
{
	char msg[256];
	uint32_t suppressed = 0;
	va_list ap;

	if (__atomic_exchange_n(&dev->broken, true, __ATOMIC_SEQ_CST))
		return -EIO; /* already failed: the first reason is the one */
	if (virtio_fail_may_log(dev, &suppressed)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_warn(dev->log,
			 "virtio %s: %s; device needs reset (%u similar lines suppressed)",
			 dev->name, msg, suppressed);
	}
	/* 2.1.2: NEEDS_RESET tells the driver; the config interrupt makes it look. */
	__atomic_fetch_or(&dev->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dev->status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_dev_interrupt(dev, VIRTIO_INT_CONFIG);
	return -EIO;
}

bool virtio_dev_is_broken(const struct virtio_dev *dev)
{
	return __atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE);
}
