// SPDX-License-Identifier: Apache-2.0
/*
 * vm_dev_stats.c - the devices' counters for the embedder: what each
 * virtio-net interface dropped or its rate limits held back, and what
 * each disk's rate limit held back (husk_vm_get_net_stats,
 * husk_vm_get_disk_stats); and, for diagnosing a stalled transfer, a
 * queue's ring indices (husk_vm_get_queue_status) and a vsock
 * connection's bytes and credit (husk_vm_get_vsock_conn). The devices
 * count; this only finds them.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

#include "vmm/virtio/blk/blk.h"
#include "vmm/virtio/net/net.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/vsock/vsock.h"
#include "vmm/vm_virtio_devices.h"
#include "vmm/vm.h"

/*
 * Copy @all into the caller's @out of out->struct_size bytes (the first
 * field of both): fields an older caller lacks are left out, a newer
 * caller's extra ones zeroed. -EINVAL below @min bytes.
 */
static int vm_stats_copy(void *out, const void *all, size_t all_size, size_t min)
{
	size_t size = *(const size_t *)out;

	if (size < min)
		return -EINVAL;
	memcpy((char *)out + sizeof(size_t), (const char *)all + sizeof(size_t),
	       (size < all_size ? size : all_size) - sizeof(size_t));
	if (size > all_size)
		memset((char *)out + all_size, 0, size - all_size);
	return 0;
}

/*
 * Entry @index of @table (@nr entries), under dev_lock: devices are added
 * under it (before the VM starts) and never removed before destroy. The
 * lock is the one thing a const VM's reader changes.
 */
static void *vm_dev_find(const struct husk_vm *vm, void *const *table, const unsigned int *nr,
			 unsigned int index)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&vm->dev_lock;
	void *dev = NULL;

	pthread_mutex_lock(lock);
	if (index < *nr)
		dev = table[index];
	pthread_mutex_unlock(lock);
	return dev;
}

int husk_vm_get_net_stats(const struct husk_vm *vm, unsigned int index, struct husk_net_stats *s)
{
	struct husk_net_stats all = { .struct_size = sizeof(all) };
	struct virtio_net *n;

	if (s->struct_size < offsetof(struct husk_net_stats, tx_bad_hdr))
		return -EINVAL;
	n = vm_dev_find(vm, (void *const *)vm->nets, &vm->nr_nets, index);
	if (!n)
		return -ENOENT;
	virtio_net_get_stats(n, &all);
	return vm_stats_copy(s, &all, sizeof(all), offsetof(struct husk_net_stats, tx_bad_hdr));
}

int husk_vm_get_disk_stats(const struct husk_vm *vm, unsigned int index, struct husk_disk_stats *s)
{
	struct husk_disk_stats all = { .struct_size = sizeof(all) };
	struct virtio_blk *b;

	if (s->struct_size < sizeof(all))
		return -EINVAL;
	b = vm_dev_find(vm, (void *const *)vm->disks, &vm->nr_disks, index);
	if (!b)
		return -ENOENT;
	all.throttled = virtio_blk_throttled(b);
	return vm_stats_copy(s, &all, sizeof(all), sizeof(all));
}

/* The device called @name ("vsock", "fs0", ...), under dev_lock as vm_dev_find. */
static struct vm_vdev *vm_vdev_named(const struct husk_vm *vm, const char *name)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)&vm->dev_lock;
	struct vm_vdev *vd = NULL;
	unsigned int i;

	pthread_mutex_lock(lock);
	for (i = 0; i < vm->nr_vdevs && !vd; i++)
		if (vm->vdevs[i] && strcmp(vm->vdevs[i]->name, name) == 0)
			vd = vm->vdevs[i];
	pthread_mutex_unlock(lock);
	return vd;
}

#define VM_QUEUE_LOCK_MS 200

int husk_vm_get_queue_status(const struct husk_vm *vm, const char *device, unsigned int queue,
			     struct husk_queue_status *st)
{
	struct timespec until = husk_timespec_after_ms(CLOCK_REALTIME, VM_QUEUE_LOCK_MS);
	struct husk_queue_status all = { .struct_size = sizeof(all) };
	struct vm_vdev *vd;
	struct virtq *q;

	if (st->struct_size < offsetof(struct husk_queue_status, size))
		return -EINVAL;
	vd = device ? vm_vdev_named(vm, device) : NULL;
	if (!vd || queue >= vd->dev->nr_queues)
		return -ENOENT;
	q = &vd->dev->queues[queue];
	if (pthread_mutex_timedlock(&q->lock, &until))
		return -EBUSY;
	virtq_peek(q, &all);
	pthread_mutex_unlock(&q->lock);
	if (vd->queues && !vd->dev->external_rings)
		all.kicks = __atomic_load_n(&vd->queues[queue].kicks, __ATOMIC_RELAXED);
	return vm_stats_copy(st, &all, sizeof(all), offsetof(struct husk_queue_status, size));
}

int husk_vm_get_vsock_conn(const struct husk_vm *vm, unsigned int index,
			   struct husk_vsock_conn_status *st)
{
	struct husk_vsock_conn_status all = { .struct_size = sizeof(all) };
	pthread_mutex_t *lock = (pthread_mutex_t *)&vm->dev_lock;
	struct virtio_vsock *v;
	int ret;

	if (st->struct_size < offsetof(struct husk_vsock_conn_status, flags))
		return -EINVAL;
	pthread_mutex_lock(lock);
	v = vm->vsock;
	pthread_mutex_unlock(lock);
	if (!v)
		return -ENOENT;
	ret = virtio_vsock_conn_status(v, index, &all);
	if (ret < 0)
		return ret;
	return vm_stats_copy(st, &all, sizeof(all), offsetof(struct husk_vsock_conn_status, flags));
}
