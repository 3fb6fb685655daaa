// SPDX-License-Identifier: Apache-2.0
/* vm_virtio_devices.c - wire virtio-mmio devices into a VM (see vm_virtio_devices.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/vm.h"
#include "vmm/vm_virtio_devices.h"
#include "vmm/base/layout.h"

/* The device's interrupt callback: any thread, any lock, never blocks. */
static void vm_vdev_raise(void *opaque, uint32_t cause)
{
	struct vm_vdev *vd = opaque;
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: the edge is pending. */
	if (write(vd->irqfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug(&vd->vm->log, "virtio %s: irqfd write failed", vd->name);
}

/* Event loop: the guest wrote QueueNotify with this queue's index. */
static void vm_vdev_kick(void *opaque, uint32_t events)
{
	struct vm_vdev_queue *q = opaque;
	uint64_t n;

	if (read(q->fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	__atomic_add_fetch(&q->kicks, 1, __ATOMIC_RELAXED);
	virtio_mmio_notify(&q->vd->mmio, q->index);
}

/*
 * The device's requeue hook (virtio.h): a turn stopped with chains left,
 * so signal the queue's own kick eventfd and the loop delivers it again
 * after what else is ready. Any thread; the eventfd stays open until the
 * backend is gone (vm_vdev_free).
 */
static void vm_vdev_requeue(void *opaque, unsigned int index)
{
	struct vm_vdev *vd = opaque;
	uint64_t one = 1;

	if (index >= vd->dev->nr_queues || vd->queues[index].fd < 0)
		return;
	/* EAGAIN: the counter is already non-zero, the loop will come. */
	if (write(vd->queues[index].fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug(&vd->vm->log, "virtio %s: requeue of queue %u failed", vd->name, index);
}

static int vm_vdev_irq(struct vm_vdev *vd, struct husk_error **err)
{
	struct virtio_irq irq = { vm_vdev_raise, vd };
	int ret;

	vd->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vd->irqfd < 0)
		return husk_err(err, errno, "virtio %s: irqfd", vd->name);
	ret = kvm_irqfd(&vd->vm->kvm, vd->irqfd, vd->gsi, false, err);
	if (ret < 0)
		return ret;
	vd->irqfd_assigned = true;
	virtio_dev_set_irq(vd->dev, &irq);
	return 0;
}

static int vm_vdev_queue(struct vm_vdev *vd, struct vm_vdev_queue *q, struct husk_error **err)
{
	struct kvm_ioevent ev = {
		.addr = vd->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.datamatch = true,
		.data = q->index,
	};
	int ret;

	q->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->fd < 0)
		return husk_err(err, errno, "virtio %s: queue %u eventfd", vd->name, q->index);
	ret = kvm_ioeventfd(&vd->vm->kvm, q->fd, &ev, false, err);
	if (ret < 0)
		return husk_err_wrap(err, "virtio %s: queue %u", vd->name, q->index);
	q->assigned = true;
	if (vd->dev->external_rings) {
		/* The backend reads this eventfd; watching it here would eat its kicks. */
		vd->dev->ops->set_notify_fds(vd->dev, q->index, q->fd, vd->irqfd);
		return 0;
	}
	ret = event_loop_add(&vd->vm->loop, q->fd, EPOLLIN, vm_vdev_kick, q);
	if (ret < 0)
		return husk_err(err, -ret, "virtio %s: queue %u: event loop", vd->name, q->index);
	q->watched = true;
	return 0;
}

static int vm_vdev_queues(struct vm_vdev *vd, struct husk_error **err)
{
	unsigned int i;
	int ret;

	vd->queues = calloc(vd->dev->nr_queues, sizeof(*vd->queues));
	if (!vd->queues)
		return husk_err(err, ENOMEM, "virtio %s: queues", vd->name);
	for (i = 0; i < vd->dev->nr_queues; i++) {
		vd->queues[i] = (struct vm_vdev_queue){ .vd = vd, .index = i, .fd = -1 };
		ret = vm_vdev_queue(vd, &vd->queues[i], err);
		if (ret < 0)
			return ret;
	}
	if (!vd->dev->external_rings)
		virtio_dev_set_requeue(vd->dev, &(struct virtio_requeue){ vm_vdev_requeue, vd });
	return 0;
}

/* Stop the notifications; the eventfd stays open (vm_vdev_free). */
static void vm_vdev_unqueue(struct vm_vdev *vd, struct vm_vdev_queue *q)
{
	struct kvm_ioevent ev = {
		.addr = vd->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.datamatch = true,
		.data = q->index,
	};

	if (q->watched)
		event_loop_del(&vd->vm->loop, q->fd);
	if (q->assigned)
		kvm_ioeventfd(&vd->vm->kvm, q->fd, &ev, true, NULL);
}

/*
 * Teardown order: notifications, backend, interrupt line (vm_virtio_devices.h).
 * A device with external rings holds the kick eventfds itself (its backend
 * process, or its own watches once that died), so it goes first. The
 * eventfds are closed only once nothing can be using them: until its
 * backend is gone, a device may still requeue through them (a worker
 * finishing I/O), and a closed number could by then name another file.
 */
static void vm_vdev_free(struct vm_vdev *vd)
{
	bool external = vd->dev->external_rings;
	unsigned int i, nr = vd->dev->nr_queues; /* dev may go with its backend */

	if (external && vd->backend)
		vd->destroy(vd->backend);
	for (i = 0; vd->queues && i < nr; i++)
		vm_vdev_unqueue(vd, &vd->queues[i]);
	if (!external && vd->backend)
		vd->destroy(vd->backend);
	for (i = 0; vd->queues && i < nr; i++)
		if (vd->queues[i].fd >= 0)
			close(vd->queues[i].fd);
	free(vd->queues);
	if (vd->irqfd_assigned)
		kvm_irqfd(&vd->vm->kvm, vd->irqfd, vd->gsi, true, NULL);
	if (vd->irqfd >= 0)
		close(vd->irqfd);
	free(vd);
}

static struct vm_vdev *vm_vdev_alloc(struct husk_vm *vm, const struct vm_vdev_backend *b)
{
	struct vm_vdev *vd = calloc(1, sizeof(*vd));

	if (!vd)
		return NULL;
	vd->vm = vm;
	vd->slot = vm->nr_vdevs;
	vd->gsi = X86_DEVICE_GSI_FIRST + vd->slot;
	vd->base = X86_VIRTIO_MMIO_BASE + vd->slot * X86_VIRTIO_MMIO_SLOT;
	vd->irqfd = -1;
	vd->dev = b->dev;
	vd->backend = b->backend;
	vd->destroy = b->destroy;
	snprintf(vd->name, sizeof(vd->name), "%s", b->name);
	b->dev->name = vd->name;
	virtio_mmio_init(&vd->mmio, b->dev);
	return vd;
}

/* Append this slot's entry and rewrite the command line in guest RAM. */
static int vm_vdev_cmdline(struct vm_vdev *vd, struct husk_error **err)
{
	struct husk_vm *vm = vd->vm;
	size_t used = strlen(vm->dev_cmdline);
	int n;

	vm->dev_cmdline[used] = ' ';
	n = virtio_mmio_cmdline(vm->dev_cmdline + used + 1, sizeof(vm->dev_cmdline) - used - 1,
				vd->base, VIRTIO_MMIO_WINDOW, vd->gsi);
	if (n >= 0 && vm_boot_write_cmdline(vm, err) == 0)
		return 0;
	vm->dev_cmdline[used] = 0;
	if (n < 0)
		return husk_err(err, ENOSPC, "virtio %s: device command line full", vd->name);
	return husk_err_wrap(err, "virtio %s", vd->name);
}

static int vm_vdev_wire(struct vm_vdev *vd, struct husk_error **err)
{
	int ret = vm_vdev_irq(vd, err);

	if (!ret)
		ret = vm_vdev_queues(vd, err);
	if (!ret)
		ret = bus_register(&vd->vm->mmio, vd->base, VIRTIO_MMIO_WINDOW, virtio_mmio_io,
				   &vd->mmio, vd->name, err);
	return ret;
}

int vm_vdev_add(struct husk_vm *vm, const struct vm_vdev_backend *b, struct vm_vdev **out,
		struct husk_error **err)
{
	size_t cmdline_len = strlen(vm->dev_cmdline);
	struct vm_vdev *vd;
	int ret;

	if (vm->nr_vdevs >= X86_VIRTIO_MMIO_SLOTS) {
		b->destroy(b->backend);
		return husk_err(err, ENOSPC, "virtio %s: all %d device slots taken", b->name,
				X86_VIRTIO_MMIO_SLOTS);
	}
	vd = vm_vdev_alloc(vm, b);
	if (!vd) {
		b->destroy(b->backend);
		return husk_err(err, ENOMEM, "virtio %s", b->name);
	}
	/*
	 * The command line first (it is checked against the kernel's limit
	 * and can be rolled back), the bus registration last (it cannot).
	 */
	ret = vm_vdev_cmdline(vd, err);
	if (!ret) {
		ret = vm_vdev_wire(vd, err);
		if (ret < 0) {
			vm->dev_cmdline[cmdline_len] = 0;
			vm_boot_write_cmdline(vm, NULL);
		}
	}
	if (ret < 0) {
		vm_vdev_free(vd);
		return ret;
	}
	vm->vdevs[vm->nr_vdevs++] = vd;
	log_debug(&vm->log, "virtio %s: slot %u, 0x%llx, GSI %u", vd->name, vd->slot,
		  (unsigned long long)vd->base, vd->gsi);
	if (out)
		*out = vd;
	return 0;
}

void vm_vdevs_fini(struct husk_vm *vm)
{
	while (vm->nr_vdevs > 0) {
		vm->nr_vdevs--;
		vm_vdev_free(vm->vdevs[vm->nr_vdevs]);
		vm->vdevs[vm->nr_vdevs] = NULL;
	}
}

uint64_t vm_vdev_kicks(struct husk_vm *vm, unsigned int slot)
{
	struct vm_vdev *vd = slot < vm->nr_vdevs ? vm->vdevs[slot] : NULL;
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; vd && i < vd->dev->nr_queues; i++)
		n += __atomic_load_n(&vd->queues[i].kicks, __ATOMIC_RELAXED);
	return n;
}
