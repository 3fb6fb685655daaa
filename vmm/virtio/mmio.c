// SPDX-License-Identifier: Apache-2.0
/*
 * mmio.c - the virtio-mmio version 2 register file (virtio 1.2 section
 * 4.2.2) and the device status state machine (2.1, 3.1.1) as a table.
 *
 * Everything the guest writes is checked here once: widths and alignment,
 * QueueSel against the queue count, which registers the current status
 * allows, which status transitions are legal, which features may be acked.
 * Anything else is ignored with a debug line; the host never trusts it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/base/le.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/lifecycle.h"

#define S_ACK	      VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV	      VIRTIO_CONFIG_S_DRIVER
#define S_FEAT	      VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRV_OK      VIRTIO_CONFIG_S_DRIVER_OK
#define S_FAILED      VIRTIO_CONFIG_S_FAILED
#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

/*
 * 3.1.1: the initialisation sequence, the only forward steps a driver may
 * take. FAILED may be added at any time and is then sticky; 0 resets.
 */
static const struct {
	uint32_t from, to;
} virtio_mmio_steps[] = {
	{ 0, S_ACK },
	{ S_ACK, S_ACK | S_DRV },
	{ S_ACK | S_DRV, S_ACK | S_DRV | S_FEAT },
	{ S_ACK | S_DRV | S_FEAT, S_ACK | S_DRV | S_FEAT | S_DRV_OK },
};

void virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *dev)
{
	memset(m, 0, sizeof(*m));
	m->dev = dev;
}

static uint32_t virtio_mmio_status(const struct virtio_mmio *m)
{
	return __atomic_load_n(&m->dev->status, __ATOMIC_ACQUIRE);
}

/*
 * Store the driver's @val, keeping NEEDS_RESET as it is at the moment of
 * the store: virtio_dev_fail() sets it without dev->lock (from a queue
 * thread), so a plain store of a value computed earlier could wipe a
 * failure that landed in between. Every other bit changes only under
 * dev->lock, so the loop retries only for that one.
 */
static void virtio_mmio_set_status(struct virtio_mmio *m, uint32_t val)
{
	uint32_t cur = virtio_mmio_status(m);

	while (!__atomic_compare_exchange_n(&m->dev->status, &cur, val | (cur & S_NEEDS_RESET),
					    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

/* The selected queue, or NULL: QueueSel is bounds-checked here only. */
static struct virtq *virtio_mmio_queue(const struct virtio_mmio *m)
{
	return m->queue_sel < m->dev->nr_queues ? &m->dev->queues[m->queue_sel] : NULL;
}

/* 2.2.2: a subset of the offer, VERSION_1 included (no legacy), and
 * acceptable to the device. */
static bool virtio_mmio_features_valid(struct virtio_mmio *m)
{
	struct virtio_dev *dev = m->dev;

	if (m->drv_features & ~dev->offered) {
		log_debug(dev->log, "virtio %s: driver acked unoffered features 0x%llx", dev->name,
			  (unsigned long long)(m->drv_features & ~dev->offered));
		return false;
	}
	if (!(m->drv_features & (1ULL << VIRTIO_F_VERSION_1))) {
		log_debug(dev->log, "virtio %s: driver did not ack VERSION_1", dev->name);
		return false;
	}
	dev->acked = m->drv_features;
	if (dev->ops->features_ok && !dev->ops->features_ok(dev)) {
		dev->acked = 0;
		return false;
	}
	return true;
}

static bool virtio_mmio_step_legal(uint32_t from, uint32_t to)
{
	size_t i;

	for (i = 0; i < sizeof(virtio_mmio_steps) / sizeof(virtio_mmio_steps[0]); i++)
		if (virtio_mmio_steps[i].from == from && virtio_mmio_steps[i].to == to)
			return true;
	return false;
}

static void virtio_mmio_reset(struct virtio_mmio *m)
{
	virtio_dev_reset(m->dev);
	m->drv_features = 0;
}

/*
 * A Status write. NEEDS_RESET is the device's bit: the driver's read-
 * modify-write may echo it, so it is ignored in @val and preserved
 * (virtio_mmio_set_status).
 */
static void virtio_mmio_write_status(struct virtio_mmio *m, uint32_t val)
{
	uint32_t cur = virtio_mmio_status(m);

	if (val == 0)
		return virtio_mmio_reset(m);
	cur &= ~S_NEEDS_RESET;
	val &= ~S_NEEDS_RESET;
	if (cur & S_FAILED)
		return; /* sticky until reset */
	if ((val & S_FAILED) && (val & ~S_FAILED) == cur)
		return virtio_mmio_set_status(m, val);
	if (!virtio_mmio_step_legal(cur, val)) {
		log_debug(m->dev->log, "virtio %s: status 0x%x -> 0x%x refused", m->dev->name, cur,
			  val);
		return;
	}
	if ((val & S_FEAT) && !(cur & S_FEAT) && !virtio_mmio_features_valid(m))
		return; /* 2.2.2: FEATURES_OK stays clear; the driver sees it */
	virtio_mmio_set_status(m, val);
	if ((val & S_DRV_OK) && !(cur & S_DRV_OK))
		virtio_dev_activate(m->dev); /* on failure: NEEDS_RESET */
}

static uint32_t virtio_mmio_read_queue(const struct virtio_mmio *m, uint64_t off)
{
	const struct virtq *q = virtio_mmio_queue(m);

	if (!q)
		return 0; /* 4.2.2: QueueNumMax 0 = queue not available */
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q->max_size;
	case VIRTIO_MMIO_QUEUE_READY:
		return q->ready;
	}
	return 0;
}

/*
 * InterruptStatus. A vhost-user backend raises the device's irqfd for used
 * buffers without any way to set bit 0 here, and Linux's virtio_mmio
 * handler ignores an interrupt whose status reads 0 (IRQ_NONE, and the
 * used rings are never scanned). So for external rings USED always reads
 * set, as Firecracker does: a spurious ring scan costs the driver little,
 * a missed one hangs it. Config-change bits still come from isr.
 */
static uint32_t virtio_mmio_isr(const struct virtio_dev *dev)
{
	uint32_t isr = __atomic_load_n(&dev->isr, __ATOMIC_ACQUIRE);

	return dev->external_rings ? isr | VIRTIO_INT_USED : isr;
}

static uint32_t virtio_mmio_read_reg(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_dev *dev = m->dev;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_HUSK_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return m->dev_features_sel < 2 ?
			       (uint32_t)(dev->offered >> (32 * m->dev_features_sel)) :
			       0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_QUEUE_READY:
		return virtio_mmio_read_queue(m, off);
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return virtio_mmio_isr(dev);
	case VIRTIO_MMIO_STATUS:
		return virtio_mmio_status(m);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffffu; /* 4.2.2: no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&dev->config_gen, __ATOMIC_ACQUIRE);
	}
	return 0; /* write-only or reserved */
}

static void virtio_mmio_set_half(uint64_t *reg, bool high, uint32_t val)
{
	if (high)
		*reg = (*reg & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*reg = (*reg & ~0xffffffffULL) | val;
}

/* 4.2.2.3: queue registers only between FEATURES_OK and DRIVER_OK. */
static void virtio_mmio_write_queue(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
	uint32_t st = virtio_mmio_status(m);
	struct virtq *q = virtio_mmio_queue(m);

	if (!q || (st & (S_FEAT | S_DRV_OK | S_FAILED)) != S_FEAT) {
		log_debug(m->dev->log,
			  "virtio %s: queue register 0x%llx write ignored (sel %u, status 0x%x)",
			  m->dev->name, (unsigned long long)off, m->queue_sel, st);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->size = val > 0xffff ? 0xffff : (uint16_t)val; /* checked at activation */
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		q->ready = val & 1;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_mmio_set_half(&q->desc_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		virtio_mmio_set_half(&q->avail_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		virtio_mmio_set_half(&q->used_gpa, off & 4, val);
		break;
	}
}

static void virtio_mmio_write_features(struct virtio_mmio *m, uint32_t val)
{
	uint32_t st = virtio_mmio_status(m);

	/* 3.1.1 step 5: features are written after DRIVER, before FEATURES_OK. */
	if ((st & (S_DRV | S_FEAT | S_FAILED)) != S_DRV || m->drv_features_sel > 1)
		return;
	virtio_mmio_set_half(&m->drv_features, m->drv_features_sel, val);
}

static void virtio_mmio_write_reg(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_mmio_write_features(m, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = val;
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&m->dev->isr, ~val, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_mmio_write_status(m, val);
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW ... VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW ... VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW ... VIRTIO_MMIO_QUEUE_USED_HIGH:
		virtio_mmio_write_queue(m, off, val);
		break;
	default:
		log_debug(m->dev->log, "virtio %s: write to register 0x%llx ignored", m->dev->name,
			  (unsigned long long)off);
	}
}

/* Device config space: any width up to 8, wholly inside config_len. */
static void virtio_mmio_config(struct virtio_mmio *m, uint64_t off, uint8_t *data, uint32_t len,
			       bool is_write)
{
	struct virtio_dev *dev = m->dev;
	uint64_t end;

	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > dev->config_len || len == 0 ||
	    len > 8) {
		log_debug(dev->log, "virtio %s: config access [0x%llx, +%u) out of bounds",
			  dev->name, (unsigned long long)off, len);
		return;
	}
	if (!is_write && dev->ops->config_read)
		dev->ops->config_read(dev, (uint32_t)off, data, len);
	else if (is_write && dev->ops->config_write)
		dev->ops->config_write(dev, (uint32_t)off, data, len);
}

void virtio_mmio_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio *m = opaque;

	if (!is_write)
		memset(data, 0, len);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		pthread_mutex_lock(&m->dev->lock);
		virtio_mmio_config(m, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
		pthread_mutex_unlock(&m->dev->lock);
		return;
	}
	if (len != 4 || (offset & 3)) {
		log_debug(m->dev->log, "virtio %s: %u-byte access at 0x%llx ignored", m->dev->name,
			  len, (unsigned long long)offset);
		return;
	}
	/* No transport lock: the device takes its queue lock itself. */
	if (is_write && offset == VIRTIO_MMIO_QUEUE_NOTIFY)
		return virtio_mmio_notify(m, le32_get(data));
	pthread_mutex_lock(&m->dev->lock);
	if (is_write)
		virtio_mmio_write_reg(m, offset, le32_get(data));
	else
		le32_put(data, virtio_mmio_read_reg(m, offset));
	pthread_mutex_unlock(&m->dev->lock);
}

void virtio_mmio_notify(struct virtio_mmio *m, uint32_t value)
{
	/* 4.2.2: without VIRTIO_F_NOTIFICATION_DATA the value is the queue index. */
	virtio_dev_notify(m->dev, value);
}

int virtio_mmio_cmdline(char *buf, size_t size, uint64_t base, uint64_t len, uint32_t irq)
{
	int n;

	/* Linux parses <size> with memparse(), so a K suffix is fine. */
	if (len % 1024 == 0)
		n = snprintf(buf, size, "virtio_mmio.device=%lluK@0x%llx:%u",
			     (unsigned long long)(len / 1024), (unsigned long long)base, irq);
	else
		n = snprintf(buf, size, "virtio_mmio.device=%llu@0x%llx:%u",
			     (unsigned long long)len, (unsigned long long)base, irq);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}
