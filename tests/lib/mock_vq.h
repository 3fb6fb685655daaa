/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mock_vq.h - a virtio driver played by the tests: it writes descriptor
 * tables (direct and indirect) and the available ring into a guest_mem,
 * reads the used ring back, and drives a virtio-mmio register file through
 * its bus handler exactly as a guest's MMIO accesses would.
 *
 * Nothing here validates: tests use it to build hostile rings on purpose.
 */
#ifndef HUSK_TESTS_MOCK_VQ_H
#define HUSK_TESTS_MOCK_VQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/base/guest_mem.h"
#include "vmm/virtio/mmio.h"
#include "vmm/virtio/queue.h"

#define MOCK_RAM	 (16ULL << 20)
#define MOCK_RING_BASE	 0x10000ULL /* queue i rings at base + i * stride */
#define MOCK_RING_STRIDE 0x10000ULL
#define MOCK_DATA_BASE	 0x100000ULL /* buffers bump-allocated from here */

struct mock_buf {
	gpa_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

struct mock_vq {
	struct guest_mem *gm;
	uint16_t size;
	gpa_t desc, avail, used;
	uint16_t avail_idx; /* driver's shadow of avail.idx */
	uint16_t last_used; /* next used entry the driver will read */
	uint16_t next_desc; /* descriptor slots handed out round-robin */
};

/* A guest with MOCK_RAM of RAM and a data bump allocator. */
struct mock_guest {
	struct guest_mem gm;
	gpa_t data_next;
};

void mock_guest_init(struct mock_guest *g);
void mock_guest_fini(struct mock_guest *g);
/* mock_alloc - @len bytes of zeroed guest RAM, 16-byte aligned. */
gpa_t mock_alloc(struct mock_guest *g, uint32_t len);
void *mock_ptr(struct mock_guest *g, gpa_t gpa, uint64_t len);

/* mock_vq_init - lay out a queue of @size at MOCK_RING_BASE + @index * stride. */
void mock_vq_init(struct mock_vq *mq, struct guest_mem *gm, unsigned int index, uint16_t size);

/* Raw descriptor write into the queue's table or any table at @table. */
void mock_desc_write(struct guest_mem *gm, gpa_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next);
void mock_vq_desc(struct mock_vq *mq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next);

/* Put @head in the next avail slot and publish avail.idx. */
void mock_vq_publish(struct mock_vq *mq, uint16_t head);
/* Write avail.idx directly (to jump it). */
void mock_vq_set_avail_idx(struct mock_vq *mq, uint16_t idx);
void mock_vq_set_avail_flags(struct mock_vq *mq, uint16_t flags);
void mock_vq_set_used_event(struct mock_vq *mq, uint16_t v);
uint16_t mock_vq_avail_event(struct mock_vq *mq);
uint16_t mock_vq_used_flags(struct mock_vq *mq);
uint16_t mock_vq_used_idx(struct mock_vq *mq);

/* Build a direct chain from @bufs in fresh slots and publish it; returns head. */
uint16_t mock_vq_add_chain(struct mock_vq *mq, const struct mock_buf *bufs, unsigned int n);
/* Same, through one indirect table allocated in @g. */
uint16_t mock_vq_add_indirect(struct mock_vq *mq, struct mock_guest *g, const struct mock_buf *bufs,
			      unsigned int n);

/* Take the next used element; false when the device published nothing new. */
bool mock_vq_get_used(struct mock_vq *mq, uint32_t *id, uint32_t *len);

/* 32-bit register accesses through the bus handler. */
uint32_t mock_mmio_read(struct virtio_mmio *m, uint32_t off);
void mock_mmio_write(struct virtio_mmio *m, uint32_t off, uint32_t val);

/* Program queue @index from @mq (QueueSel, Num, addresses, Ready). */
void mock_mmio_setup_queue(struct virtio_mmio *m, unsigned int index, const struct mock_vq *mq);

/*
 * mock_mmio_bring_up - the 3.1.1 sequence: reset, ACK, DRIVER, ack
 * @features, FEATURES_OK, program @nr queues, DRIVER_OK. Returns the final
 * status register.
 */
uint32_t mock_mmio_bring_up(struct virtio_mmio *m, uint64_t features, struct mock_vq *qs,
			    unsigned int nr);

/*
 * A do-nothing device with two queues and 16 bytes of config, counting its
 * interrupts and notifications: enough to exercise queue.c and mmio.c
 * without a real backend.
 */
#define MOCK_DEV_ID	 0x42
#define MOCK_DEV_FEATURE (1ULL << 3)
#define MOCK_DEV_QUEUES	 2

struct mock_dev {
	struct virtio_dev dev;
	struct virtq queues[MOCK_DEV_QUEUES];
	struct virtio_mmio mmio;
	uint8_t config[16];
	unsigned int used_irqs, config_irqs, notifies, resets, activations;
	int activate_ret; /* what ops->activate returns */
	/*
	 * fail_in_features_ok: ops->features_ok calls virtio_dev_fail(), as a
	 * device thread failing it at that moment would: inside the transport's
	 * Status write, between its read of the register and its store.
	 */
	bool fail_in_features_ok;
};

void mock_dev_init(struct mock_dev *md, struct guest_mem *gm, uint16_t max_size);
void mock_dev_fini(struct mock_dev *md);

#endif
