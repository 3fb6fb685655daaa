// SPDX-License-Identifier: Apache-2.0
/*
 * lifecycle.c - a virtio device's life with its queues (virtio 1.2
 * sections 2.1-2.4): set-up, notifications, reset and activation.
 */
#include <errno.h>
#include <string.h>

#include "vmm/virtio/lifecycle.h"
#include "vmm/virtio/queue.h"

int virtio_dev_init(struct virtio_dev *dev, const char *name, uint32_t device_id, uint64_t offered,
		    uint32_t config_len, struct virtq *queues, unsigned int nr_queues,
		    uint16_t max_size, const struct virtio_dev_ops *ops, struct guest_mem *mem,
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
