// SPDX-License-Identifier: Apache-2.0
/*
 * virtio.c - the transport-independent part of a virtio device: interrupt
 * status, failure policy, reset and activation (virtio 1.2 sections 2.1-2.4).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/virtio.h"

/* One failure line per device per second; the others are only counted. */
#define VIRTIO_FAIL_LOG_INTERVAL_NS	1000000000ULL

int virtio_dev_init(struct virtio_dev *dev, const char *name, uint32_t device_id,
		    uint64_t offered, uint32_t config_len,
		    struct virtq *queues, unsigned int nr_queues, uint16_t max_size,
		    const struct virtio_dev_ops *ops, struct guest_mem *mem,
		    const struct log_sink *log)
{
	unsigned int i;
	int ret;

	if (config_len > 0xf00 || !ops || !mem || (nr_queues && !queues))
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	dev->device_id = device_id;
	dev->offered = offered | VIRTIO_DEV_TRANSPORT_FEATURES;
	dev->config_len = config_len;
	dev->queues = queues;
	dev->nr_queues = nr_queues;
	dev->ops = ops;
	dev->mem = mem;
	dev->log = log;
	for (i = 0; i < nr_queues; i++) {
		ret = virtq_init(&queues[i], dev, i, max_size);
		if (ret < 0)
			goto err;
	}
	ret = -pthread_mutex_init(&dev->lock, NULL);
	if (ret == 0)
		return 0;
err:
	while (i--)
		virtq_fini(&queues[i]);
	return ret;
}

void virtio_dev_fini(struct virtio_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_queues; i++)
		virtq_fini(&dev->queues[i]);
	pthread_mutex_destroy(&dev->lock);
}

void virtio_dev_set_irq(struct virtio_dev *dev, const struct virtio_irq *irq)
{
	dev->irq = *irq;
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
		return -EIO;	/* already failed: the first reason is the one */
	if (virtio_fail_may_log(dev, &suppressed)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_warn(dev->log, "virtio %s: %s; device needs reset (%u similar lines suppressed)",
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

void virtio_dev_notify(struct virtio_dev *dev, unsigned int index)
{
	if (index >= dev->nr_queues || !__atomic_load_n(&dev->active, __ATOMIC_ACQUIRE) ||
	    virtio_dev_is_broken(dev))
		return;
	if (dev->ops->queue_notify)
		dev->ops->queue_notify(dev, index);
}

void virtio_dev_reset(struct virtio_dev *dev)
{
	unsigned int i;

	/* Backends first: no worker may touch a queue once it is reset. */
	if (dev->ops->reset)
		dev->ops->reset(dev);
	__atomic_store_n(&dev->active, false, __ATOMIC_RELEASE);
	for (i = 0; i < dev->nr_queues; i++) {
		virtq_lock(&dev->queues[i]);
		virtq_reset(&dev->queues[i]);
		virtq_unlock(&dev->queues[i]);
	}
	dev->acked = 0;
	__atomic_store_n(&dev->isr, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dev->status, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dev->broken, false, __ATOMIC_RELEASE);
}

int virtio_dev_activate(struct virtio_dev *dev)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < dev->nr_queues && ret == 0; i++) {
		struct virtq *q = &dev->queues[i];

		virtq_lock(q);
		if (q->ready)
			ret = virtq_activate(q);
		virtq_unlock(q);
	}
	if (ret < 0)
		return ret;
	/* Set before ops->activate: a backend may start notifying at once. */
	__atomic_store_n(&dev->active, true, __ATOMIC_RELEASE);
	ret = dev->ops->activate ? dev->ops->activate(dev) : 0;
	if (ret < 0) {
		__atomic_store_n(&dev->active, false, __ATOMIC_RELEASE);
		virtio_dev_fail(dev, "activation failed: %s", strerror(-ret));
	}
	return ret;
}
