// SPDX-License-Identifier: Apache-2.0
/*
 * test_queue.c - vmm/virtio/queue.c against the mock driver: chains that
 * work, and every rule a hostile driver can break (each must fail the
 * device, set NEEDS_RESET, raise a config interrupt, and leave the host fine).
 */
#include <linux/virtio_ring.h>
#include <errno.h>
#include <string.h>

#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"

#define F_V1	    (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIRECT  (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define QSIZE	    16

static struct mock_guest g;
static struct mock_dev md;
static struct mock_vq mq[MOCK_DEV_QUEUES];
static struct virtq_chain chain;

static void up(uint64_t features)
{
	mock_guest_init(&g);
	mock_dev_init(&md, &g.gm, 64);
	mock_vq_init(&mq[0], &g.gm, 0, QSIZE);
	mock_vq_init(&mq[1], &g.gm, 1, QSIZE);
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, features, mq, 2) & 0xff,
			  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				  VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void down(void)
{
	mock_dev_fini(&md);
	mock_guest_fini(&g);
}

static int pop(void)
{
	return virtq_pop(&md.queues[0], &chain);
}

/* The device is failed: broken, NEEDS_RESET visible, config irq, no more pops. */
static void assert_failed(void)
{
	ck_assert(virtio_dev_is_broken(&md.dev));
	ck_assert(mock_mmio_read(&md.mmio, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_ge(md.config_irqs, 1);
	ck_assert(mock_mmio_read(&md.mmio, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
	ck_assert_int_eq(pop(), 0);
}

START_TEST(pop_direct_chain)
{
	struct mock_buf b[3];
	uint32_t id, len;
	uint16_t head;

	up(F_V1);
	b[0] = (struct mock_buf){ mock_alloc(&g, 16), 16, false };
	b[1] = (struct mock_buf){ mock_alloc(&g, 100), 100, false };
	b[2] = (struct mock_buf){ mock_alloc(&g, 7), 7, true };
	memcpy(mock_ptr(&g, b[0].addr, 16), "0123456789abcdef", 16);
	head = mock_vq_add_chain(&mq[0], b, 3);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.head, head);
	ck_assert_uint_eq(chain.nr_out, 2);
	ck_assert_uint_eq(chain.nr_in, 1);
	ck_assert_uint_eq(chain.out_len, 116);
	ck_assert_uint_eq(chain.in_len, 7);
	ck_assert_ptr_eq(chain.iov[0].iov_base, mock_ptr(&g, b[0].addr, 16));
	ck_assert_ptr_eq(chain.iov[2].iov_base, mock_ptr(&g, b[2].addr, 7));
	ck_assert_int_eq(pop(), 0);
	ck_assert_int_eq(virtq_push(&md.queues[0], head, 5), 0);
	ck_assert(virtq_notify(&md.queues[0]));
	ck_assert_uint_eq(md.used_irqs, 1);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_uint_eq(id, head);
	ck_assert_uint_eq(len, 5);
	ck_assert(!virtio_dev_is_broken(&md.dev));
	down();
}
END_TEST

START_TEST(pop_indirect_chain)
{
	struct mock_buf b[2];

	up(F_V1 | F_INDIRECT);
	b[0] = (struct mock_buf){ mock_alloc(&g, 32), 32, false };
	b[1] = (struct mock_buf){ mock_alloc(&g, 64), 64, true };
	mock_vq_add_indirect(&mq[0], &g, b, 2);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.nr_out, 1);
	ck_assert_uint_eq(chain.nr_in, 1);
	ck_assert_uint_eq(chain.in_len, 64);
	ck_assert(!virtio_dev_is_broken(&md.dev));
	down();
}
END_TEST

START_TEST(indirect_not_negotiated)
{
	struct mock_buf b = { 0, 32, false };

	up(F_V1);
	b.addr = mock_alloc(&g, 32);
	mock_vq_add_indirect(&mq[0], &g, &b, 1);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(indirect_nested)
{
	gpa_t t1, t2;

	up(F_V1 | F_INDIRECT);
	t1 = mock_alloc(&g, 16);
	t2 = mock_alloc(&g, 16);
	mock_desc_write(&g.gm, t1, 0, t2, 16, VRING_DESC_F_INDIRECT, 0);
	mock_desc_write(&g.gm, t2, 0, mock_alloc(&g, 8), 8, 0, 0);
	mock_vq_desc(&mq[0], 0, t1, 16, VRING_DESC_F_INDIRECT, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

static const uint32_t bad_indirect_len[] = { 0, 8, 17, 16 * (VIRTQ_CHAIN_MAX_IOV + 1) };

START_TEST(indirect_bad_length)
{
	gpa_t t;

	up(F_V1 | F_INDIRECT);
	t = mock_alloc(&g, 16 * (VIRTQ_CHAIN_MAX_IOV + 1));
	mock_vq_desc(&mq[0], 0, t, bad_indirect_len[_i], VRING_DESC_F_INDIRECT, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(indirect_table_outside_ram)
{
	up(F_V1 | F_INDIRECT);
	mock_vq_desc(&mq[0], 0, MOCK_RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(descriptor_loop)
{
	gpa_t a;

	up(F_V1);
	a = mock_alloc(&g, 8);
	mock_vq_desc(&mq[0], 0, a, 8, VRING_DESC_F_NEXT, 1);
	mock_vq_desc(&mq[0], 1, a, 8, VRING_DESC_F_NEXT, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(indirect_loop)
{
	gpa_t t, a;

	up(F_V1 | F_INDIRECT);
	t = mock_alloc(&g, 32);
	a = mock_alloc(&g, 8);
	mock_desc_write(&g.gm, t, 0, a, 8, VRING_DESC_F_NEXT, 1);
	mock_desc_write(&g.gm, t, 1, a, 8, VRING_DESC_F_NEXT, 1);
	mock_vq_desc(&mq[0], 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(next_out_of_range)
{
	up(F_V1);
	mock_vq_desc(&mq[0], 0, mock_alloc(&g, 8), 8, VRING_DESC_F_NEXT, QSIZE);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(head_out_of_range)
{
	up(F_V1);
	mock_vq_publish(&mq[0], QSIZE);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(readable_after_writable)
{
	struct mock_buf b[2];

	up(F_V1);
	b[0] = (struct mock_buf){ mock_alloc(&g, 8), 8, true };
	b[1] = (struct mock_buf){ mock_alloc(&g, 8), 8, false };
	mock_vq_add_chain(&mq[0], b, 2);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(chain_length_overflow)
{
	up(F_V1);
	mock_vq_desc(&mq[0], 0, MOCK_DATA_BASE, 0xffffffffu, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
		     1);
	mock_vq_desc(&mq[0], 1, MOCK_DATA_BASE, 2, VRING_DESC_F_WRITE, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(buffer_outside_ram)
{
	up(F_V1);
	mock_vq_desc(&mq[0], 0, MOCK_RAM - 4, 8, 0, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(buffer_address_wraps)
{
	up(F_V1);
	mock_vq_desc(&mq[0], 0, ~0ULL - 3, 8, 0, 0);
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(avail_idx_jump)
{
	up(F_V1);
	mock_vq_set_avail_idx(&mq[0], QSIZE + 1);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(avail_idx_full_ring_ok)
{
	struct mock_buf b;
	int i;

	up(F_V1);
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, false };
	for (i = 0; i < QSIZE; i++)
		mock_vq_add_chain(&mq[0], &b, 1);
	for (i = 0; i < QSIZE; i++)
		ck_assert_int_eq(pop(), 1);
	ck_assert_int_eq(pop(), 0);
	ck_assert(!virtio_dev_is_broken(&md.dev));
	down();
}
END_TEST

START_TEST(used_id_out_of_range)
{
	up(F_V1);
	ck_assert_int_eq(virtq_push(&md.queues[0], QSIZE, 0), -EIO);
	assert_failed();
	ck_assert_uint_eq(mock_vq_used_idx(&mq[0]), 0);
	down();
}
END_TEST

START_TEST(reset_recovers)
{
	struct mock_buf b;

	up(F_V1);
	mock_vq_publish(&mq[0], QSIZE);
	ck_assert_int_eq(pop(), -EIO);
	ck_assert(virtio_dev_is_broken(&md.dev));
	memset(mock_ptr(&g, MOCK_RING_BASE, 2 * MOCK_RING_STRIDE), 0, 2 * MOCK_RING_STRIDE);
	mock_vq_init(&mq[0], &g.gm, 0, QSIZE);
	mock_vq_init(&mq[1], &g.gm, 1, QSIZE);
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2), 0xf);
	ck_assert(!virtio_dev_is_broken(&md.dev));
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, false };
	mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert_int_eq(pop(), 1);
	down();
}
END_TEST

START_TEST(no_interrupt_flag)
{
	struct mock_buf b;
	uint16_t head;

	up(F_V1);
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, true };
	mock_vq_set_avail_flags(&mq[0], VRING_AVAIL_F_NO_INTERRUPT);
	head = mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert_int_eq(pop(), 1);
	virtq_push(&md.queues[0], head, 0);
	ck_assert(!virtq_notify(&md.queues[0]));
	ck_assert_uint_eq(md.used_irqs, 0);
	/* Nothing new pushed: never an interrupt, flag or not. */
	mock_vq_set_avail_flags(&mq[0], 0);
	ck_assert(!virtq_notify(&md.queues[0]));
	down();
}
END_TEST

START_TEST(event_idx_suppression)
{
	struct mock_buf b;
	int i;

	up(F_V1 | F_EVENT_IDX);
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, true };
	for (i = 0; i < 4; i++)
		mock_vq_add_chain(&mq[0], &b, 1);
	/* The driver wants an interrupt once used.idx passes 2 (i.e. reaches 3). */
	mock_vq_set_used_event(&mq[0], 2);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(mock_vq_avail_event(&mq[0]), 4);
	virtq_push(&md.queues[0], 0, 0);
	ck_assert(virtq_notify(&md.queues[0])); /* first interrupt is never suppressed */
	virtq_push(&md.queues[0], 1, 0);
	ck_assert(!virtq_notify(&md.queues[0])); /* used 2: not past 2 */
	virtq_push(&md.queues[0], 2, 0);
	ck_assert(virtq_notify(&md.queues[0])); /* used 3: crossed */
	virtq_push(&md.queues[0], 3, 0);
	ck_assert(!virtq_notify(&md.queues[0])); /* event stays 2 */
	ck_assert_uint_eq(md.used_irqs, 2);
	down();
}
END_TEST

START_TEST(need_event_wraps)
{
	ck_assert(virtq_need_event(0xffff, 0, 0xfffe));
	ck_assert(virtq_need_event(0xffff, 1, 0xffff));
	ck_assert(virtq_need_event(0, 1, 0xffff));
	ck_assert(!virtq_need_event(1, 1, 0xffff));
	ck_assert(!virtq_need_event(5, 5, 3));
	ck_assert(virtq_need_event(5, 6, 3));
}
END_TEST

START_TEST(notify_enable_disable)
{
	struct mock_buf b;

	up(F_V1);
	virtq_disable_notify(&md.queues[0]);
	ck_assert_uint_eq(mock_vq_used_flags(&mq[0]), VRING_USED_F_NO_NOTIFY);
	ck_assert(!virtq_enable_notify(&md.queues[0]));
	ck_assert_uint_eq(mock_vq_used_flags(&mq[0]), 0);
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, true };
	mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert(virtq_enable_notify(&md.queues[0])); /* re-check sees the buffer */
	down();
}
END_TEST

START_TEST(event_idx_enable_publishes_avail_event)
{
	struct mock_buf b;

	up(F_V1 | F_EVENT_IDX);
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, true };
	mock_vq_add_chain(&mq[0], &b, 1);
	virtq_disable_notify(&md.queues[0]);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(mock_vq_avail_event(&mq[0]), 0); /* frozen while disabled */
	ck_assert(!virtq_enable_notify(&md.queues[0]));
	ck_assert_uint_eq(mock_vq_avail_event(&mq[0]), 1);
	down();
}
END_TEST

/*
 * The ring found empty with EVENT_IDX: the pop publishes avail_event
 * again (behind a full barrier) before it trusts avail.idx. The last pop
 * had published it, but that store may not have reached the driver yet
 * when it decided whether to notify; here the ring holds the stale value
 * the driver would have read, and the empty pop must put the right one
 * back, or the driver's next chain goes unannounced for good.
 */
START_TEST(event_idx_empty_pop_publishes_avail_event)
{
	struct mock_buf b;
	uint16_t *avail_event;

	up(F_V1 | F_EVENT_IDX);
	avail_event = mock_ptr(&g, mq[0].used + 4 + 8ULL * QSIZE, 2);
	b = (struct mock_buf){ mock_alloc(&g, 8), 8, true };
	mock_vq_add_chain(&mq[0], &b, 1);
	mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert_int_eq(pop(), 1);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(mock_vq_avail_event(&mq[0]), 2);
	*avail_event = htole16(1); /* what a driver may still see */
	ck_assert_int_eq(pop(), 0);
	ck_assert_uint_eq(mock_vq_avail_event(&mq[0]), 2);
	/* The driver's next chain crosses 2: it notifies, and the pop finds it. */
	ck_assert(virtq_need_event(mock_vq_avail_event(&mq[0]), 3, 2));
	mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert_int_eq(pop(), 1);
	/* Without EVENT_IDX nothing is published: flags say it all. */
	down();
	up(F_V1);
	avail_event = mock_ptr(&g, mq[0].used + 4 + 8ULL * QSIZE, 2);
	ck_assert_int_eq(pop(), 0);
	ck_assert_uint_eq(le16toh(*avail_event), 0);
	down();
}
END_TEST

START_TEST(chain_too_long)
{
	gpa_t t, a;
	unsigned int i;

	up(F_V1 | F_INDIRECT);
	/* 15 direct descriptors, then an indirect table of the max size. */
	a = mock_alloc(&g, 8);
	t = mock_alloc(&g, 16 * VIRTQ_CHAIN_MAX_IOV);
	for (i = 0; i < 15; i++)
		mock_vq_desc(&mq[0], (uint16_t)i, a, 8, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	mock_vq_desc(&mq[0], 15, t, 16 * VIRTQ_CHAIN_MAX_IOV, VRING_DESC_F_INDIRECT, 0);
	for (i = 0; i < VIRTQ_CHAIN_MAX_IOV; i++)
		mock_desc_write(&g.gm, t, (uint16_t)i, a, 8,
				i + 1 < VIRTQ_CHAIN_MAX_IOV ? VRING_DESC_F_NEXT : 0,
				(uint16_t)(i + 1));
	mock_vq_publish(&mq[0], 0);
	ck_assert_int_eq(pop(), -EIO);
	assert_failed();
	down();
}
END_TEST

START_TEST(zero_length_buffers_ok)
{
	struct mock_buf b[2];

	up(F_V1);
	b[0] = (struct mock_buf){ mock_alloc(&g, 8), 0, false };
	b[1] = (struct mock_buf){ mock_alloc(&g, 8), 0, true };
	mock_vq_add_chain(&mq[0], b, 2);
	ck_assert_int_eq(pop(), 1);
	ck_assert_uint_eq(chain.out_len + chain.in_len, 0);
	down();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("queue");
	TCase *ok = tcase_create("valid");
	TCase *bad = tcase_create("hostile");
	TCase *ev = tcase_create("notify");

	tcase_add_test(ok, pop_direct_chain);
	tcase_add_test(ok, pop_indirect_chain);
	tcase_add_test(ok, avail_idx_full_ring_ok);
	tcase_add_test(ok, reset_recovers);
	tcase_add_test(ok, zero_length_buffers_ok);
	tcase_add_test(bad, indirect_not_negotiated);
	tcase_add_test(bad, indirect_nested);
	tcase_add_loop_test(bad, indirect_bad_length, 0,
			    (int)(sizeof(bad_indirect_len) / sizeof(bad_indirect_len[0])));
	tcase_add_test(bad, indirect_table_outside_ram);
	tcase_add_test(bad, descriptor_loop);
	tcase_add_test(bad, indirect_loop);
	tcase_add_test(bad, next_out_of_range);
	tcase_add_test(bad, head_out_of_range);
	tcase_add_test(bad, readable_after_writable);
	tcase_add_test(bad, chain_length_overflow);
	tcase_add_test(bad, buffer_outside_ram);
	tcase_add_test(bad, buffer_address_wraps);
	tcase_add_test(bad, avail_idx_jump);
	tcase_add_test(bad, used_id_out_of_range);
	tcase_add_test(bad, chain_too_long);
	tcase_add_test(ev, no_interrupt_flag);
	tcase_add_test(ev, event_idx_suppression);
	tcase_add_test(ev, need_event_wraps);
	tcase_add_test(ev, notify_enable_disable);
	tcase_add_test(ev, event_idx_enable_publishes_avail_event);
	tcase_add_test(ev, event_idx_empty_pop_publishes_avail_event);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, ev);
	return s;
}

UNIT_MAIN()
