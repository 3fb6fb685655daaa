// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_mmio.c - vmm/virtio/mmio.c: identification registers,
 * feature negotiation, the status state machine, queue register gating,
 * QueueSel bounds, access widths, config space and interrupts.
 */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"

#define F_V1 (1ULL << VIRTIO_F_VERSION_1)
#define ACK  VIRTIO_CONFIG_S_ACKNOWLEDGE
#define DRV  VIRTIO_CONFIG_S_DRIVER
#define FOK  VIRTIO_CONFIG_S_FEATURES_OK
#define DOK  VIRTIO_CONFIG_S_DRIVER_OK

static struct mock_guest g;
static struct mock_dev md;
static struct mock_vq mq[MOCK_DEV_QUEUES];

static void setup(void)
{
	mock_guest_init(&g);
	mock_dev_init(&md, &g.gm, 64);
	mock_vq_init(&mq[0], &g.gm, 0, 16);
	mock_vq_init(&mq[1], &g.gm, 1, 16);
}

static void teardown(void)
{
	mock_dev_fini(&md);
	mock_guest_fini(&g);
}

static uint32_t rd(uint32_t off)
{
	return mock_mmio_read(&md.mmio, off);
}

static void wr(uint32_t off, uint32_t v)
{
	mock_mmio_write(&md.mmio, off, v);
}

START_TEST(identification)
{
	ck_assert_uint_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VERSION), 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), MOCK_DEV_ID);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_HUSK_VENDOR_ID);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES),
			  (uint32_t)(MOCK_DEV_FEATURE | (1u << VIRTIO_RING_F_INDIRECT_DESC) |
				     (1u << VIRTIO_RING_F_EVENT_IDX)));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 = bit 32 */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
}
END_TEST

START_TEST(bring_up_activates)
{
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1 | MOCK_DEV_FEATURE, mq, 2),
			  ACK | DRV | FOK | DOK);
	ck_assert_uint_eq(md.activations, 1);
	ck_assert(md.dev.acked == (F_V1 | MOCK_DEV_FEATURE));
	ck_assert(md.queues[0].active && md.queues[1].active);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_uint_eq(md.notifies, 1);
	virtio_mmio_notify(&md.mmio, 0); /* the ioeventfd path */
	ck_assert_uint_eq(md.notifies, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 2); /* out of range: ignored */
	virtio_mmio_notify(&md.mmio, 0xffffffffu);
	ck_assert_uint_eq(md.notifies, 2);
}
END_TEST

START_TEST(features_without_version_1_refused)
{
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, MOCK_DEV_FEATURE, mq, 2), ACK | DRV);
	ck_assert_uint_eq(md.activations, 0);
}
END_TEST

START_TEST(unoffered_features_refused)
{
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1 | (1ULL << 5), mq, 2), ACK | DRV);
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1 | (1ULL << 40), mq, 2), ACK | DRV);
}
END_TEST

/* Transitions that skip or reorder steps are ignored; the host stays fine. */
static const uint32_t bad_first[] = { DRV, FOK, DOK, ACK | DRV, ACK | DRV | FOK | DOK, 0x20 };

START_TEST(illegal_status_from_reset)
{
	wr(VIRTIO_MMIO_STATUS, bad_first[_i]);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(md.activations, 0);
}
END_TEST

START_TEST(illegal_status_skip_features_ok)
{
	wr(VIRTIO_MMIO_STATUS, ACK);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV | DOK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), ACK | DRV);
	wr(VIRTIO_MMIO_STATUS, ACK); /* backwards */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), ACK | DRV);
	ck_assert_uint_eq(md.activations, 0);
}
END_TEST

START_TEST(failed_is_sticky_until_reset)
{
	wr(VIRTIO_MMIO_STATUS, ACK);
	wr(VIRTIO_MMIO_STATUS, ACK | VIRTIO_CONFIG_S_FAILED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), ACK | VIRTIO_CONFIG_S_FAILED);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), ACK | VIRTIO_CONFIG_S_FAILED);
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_ge(md.resets, 1);
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2), ACK | DRV | FOK | DOK);
}
END_TEST

START_TEST(activate_failure_needs_reset)
{
	md.activate_ret = -ENOMEM;
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2),
			  ACK | DRV | FOK | DOK | VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(virtio_dev_is_broken(&md.dev));
	ck_assert_uint_eq(md.config_irqs, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(md.notifies, 0);
	md.activate_ret = 0;
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2), ACK | DRV | FOK | DOK);
	ck_assert(!virtio_dev_is_broken(&md.dev));
}
END_TEST

/* Queue geometry the driver gets wrong: activation fails the device. */
START_TEST(bad_queue_geometry)
{
	switch (_i) {
	case 0:
		mq[0].size = 0;
		break;
	case 1:
		mq[0].size = 12;
		break; /* not a power of two */
	case 2:
		mq[0].size = 128;
		break; /* > QueueNumMax 64 */
	case 3:
		mq[0].desc += 8;
		break; /* 16-byte alignment */
	case 4:
		mq[0].avail += 1;
		break; /* 2-byte alignment */
	case 5:
		mq[0].used += 2;
		break; /* 4-byte alignment */
	case 6:
		mq[0].used = MOCK_RAM - 8;
		break; /* used ring past RAM */
	case 7:
		mq[0].avail = MOCK_RAM - 4 - 2 * 16;
		break; /* used_event past RAM */
	case 8:
		mq[0].desc = 1ULL << 40;
		break;
	}
	ck_assert(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(virtio_dev_is_broken(&md.dev));
	ck_assert_uint_eq(md.activations, 0);
}
END_TEST

START_TEST(queue_sel_out_of_range)
{
	wr(VIRTIO_MMIO_STATUS, ACK);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV | FOK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	wr(VIRTIO_MMIO_QUEUE_SEL, MOCK_DEV_QUEUES);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0xffffffffu);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	ck_assert(!md.queues[0].ready && !md.queues[1].ready);
}
END_TEST

START_TEST(queue_registers_gated_by_status)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 16); /* before FEATURES_OK */
	ck_assert_uint_eq(md.queues[0].size, 0);
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2), ACK | DRV | FOK | DOK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 32); /* after DRIVER_OK */
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	ck_assert_uint_eq(md.queues[0].size, 16);
	ck_assert_uint_eq(md.queues[0].desc_gpa, mq[0].desc);
	ck_assert(md.queues[0].ready);
}
END_TEST

START_TEST(features_gated_by_status)
{
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* before DRIVER */
	wr(VIRTIO_MMIO_STATUS, ACK);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV | FOK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), ACK | DRV); /* VERSION_1 was never set */
}
END_TEST

START_TEST(register_widths)
{
	uint8_t b[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };

	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_MAGIC_VALUE, b, 2, false);
	ck_assert_uint_eq(b[0] | b[1], 0);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_MAGIC_VALUE + 1, b, 4, false);
	ck_assert_uint_eq(b[0] | b[1] | b[2] | b[3], 0);
	b[0] = ACK;
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_STATUS, b, 1, true);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_STATUS, b, 8, true);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(rd(0x0f0), 0); /* reserved */
	wr(0x0f0, 1);
}
END_TEST

START_TEST(config_space)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < sizeof(md.config); i++)
		md.config[i] = (uint8_t)(i + 1);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 3, b, 1, false);
	ck_assert_uint_eq(b[0], 4);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 14, b, 2, false);
	ck_assert_uint_eq(b[0], 15);
	ck_assert_uint_eq(b[1], 16);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 8, b, 8, false);
	ck_assert_uint_eq(b[7], 16);
	memset(b, 0x55, sizeof(b));
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 15, b, 2, false); /* straddles the end */
	ck_assert_uint_eq(b[0] | b[1], 0);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 0xeff, b, 1, false);
	ck_assert_uint_eq(b[0], 0);
	b[0] = 0x77;
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 2, b, 1, true);
	ck_assert_uint_eq(md.config[2], 0x77);
	virtio_mmio_io(&md.mmio, VIRTIO_MMIO_CONFIG + 16, b, 1, true); /* ignored */
	virtio_mmio_io(&md.mmio, ~0ULL, b, 4, true);
}
END_TEST

START_TEST(interrupt_status_and_ack)
{
	ck_assert_uint_eq(mock_mmio_bring_up(&md.mmio, F_V1, mq, 2), ACK | DRV | FOK | DOK);
	virtio_dev_interrupt(&md.dev, VIRTIO_INT_USED);
	virtio_dev_config_changed(&md.dev);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), 1);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	ck_assert_uint_eq(md.used_irqs, 1);
	ck_assert_uint_eq(md.config_irqs, 1);
}
END_TEST

START_TEST(needs_reset_echo_ignored)
{
	md.activate_ret = -EIO;
	mock_mmio_bring_up(&md.mmio, F_V1, mq, 2);
	/* A driver read-modify-write echoing NEEDS_RESET plus FAILED is legal. */
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FAILED);
	ck_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FAILED);
	ck_assert(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}
END_TEST

/*
 * virtio_dev_fail() sets NEEDS_RESET without dev->lock (from a queue or
 * backend thread). One landing while the transport handles a Status write,
 * after it read the register and before it stored the new value, must
 * survive the store: the driver would otherwise never learn of it.
 */
START_TEST(needs_reset_survives_concurrent_status_write)
{
	md.fail_in_features_ok = true;
	wr(VIRTIO_MMIO_STATUS, ACK);
	wr(VIRTIO_MMIO_STATUS, ACK | DRV);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, ACK | DRV | FOK);
	ck_assert(virtio_dev_is_broken(&md.dev));
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), ACK | DRV | FOK | VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Later writes keep it too, and only a reset clears it. */
	wr(VIRTIO_MMIO_STATUS, ACK | DRV | FOK | VIRTIO_CONFIG_S_FAILED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS),
			  ACK | DRV | FOK | VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert(!virtio_dev_is_broken(&md.dev));
}
END_TEST

START_TEST(cmdline_entry)
{
	char buf[64];

	ck_assert_int_gt(virtio_mmio_cmdline(buf, sizeof(buf), 0xd0000000ULL, 0x1000, 5), 0);
	ck_assert_str_eq(buf, "virtio_mmio.device=4K@0xd0000000:5");
	ck_assert_int_gt(virtio_mmio_cmdline(buf, sizeof(buf), 0xd0001000ULL, 0x200, 6), 0);
	ck_assert_str_eq(buf, "virtio_mmio.device=512@0xd0001000:6");
	ck_assert_int_eq(virtio_mmio_cmdline(buf, 10, 0xd0000000ULL, 0x1000, 5), -ENOSPC);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_mmio");
	TCase *tc = tcase_create("registers");
	TCase *st = tcase_create("status");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(st, setup, teardown);
	tcase_add_test(tc, identification);
	tcase_add_test(tc, queue_sel_out_of_range);
	tcase_add_test(tc, queue_registers_gated_by_status);
	tcase_add_test(tc, features_gated_by_status);
	tcase_add_test(tc, register_widths);
	tcase_add_test(tc, config_space);
	tcase_add_test(tc, interrupt_status_and_ack);
	tcase_add_test(tc, cmdline_entry);
	tcase_add_test(st, bring_up_activates);
	tcase_add_test(st, features_without_version_1_refused);
	tcase_add_test(st, unoffered_features_refused);
	tcase_add_loop_test(st, illegal_status_from_reset, 0,
			    (int)(sizeof(bad_first) / sizeof(bad_first[0])));
	tcase_add_test(st, illegal_status_skip_features_ok);
	tcase_add_test(st, failed_is_sticky_until_reset);
	tcase_add_test(st, activate_failure_needs_reset);
	tcase_add_loop_test(st, bad_queue_geometry, 0, 9);
	tcase_add_test(st, needs_reset_echo_ignored);
	tcase_add_test(st, needs_reset_survives_concurrent_status_write);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, st);
	return s;
}

UNIT_MAIN()
