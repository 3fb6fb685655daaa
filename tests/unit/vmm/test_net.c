// SPDX-License-Identifier: Apache-2.0
/*
 * test_net.c - vmm/virtio/net*.c with a SOCK_DGRAM socketpair standing in
 * for the tap (one datagram = one frame with its 12-byte vnet header), the
 * event loop run by hand, and the mock driver on both queues; rate limits
 * per direction with an injected clock (frames held, resumed by the
 * limiter's timer, data intact and in order).
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"
#include "vmm/virtio/net/net.h"

#define F_V1 (1ULL << VIRTIO_F_VERSION_1)
#define HDR  sizeof(struct virtio_net_hdr_v1)

static struct mock_guest g;
static struct mock_vq mq[2];
static struct virtio_mmio mmio;
static struct virtio_net *net;
static struct event_loop el;
static int sv[2];
static struct husk_rate_limit rx_limit, tx_limit; /* the "limit" cases' */
static uint64_t fake_now;

static uint64_t fake_clock(void *opaque)
{
	(void)opaque;
	return fake_now;
}

static void setup(void)
{
	struct virtio_net_params p = { .tap_fd = -1,
				       .has_mac = true,
				       .mtu = 1400,
				       .loop = &el,
				       .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
				       .rx_rate_limit = rx_limit,
				       .tx_rate_limit = tx_limit,
				       .clock = fake_clock };

	mock_guest_init(&g);
	ck_assert_int_eq(event_loop_init(&el, NULL), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	p.tap_fd = sv[0];
	ck_assert_int_eq(virtio_net_create(&net, &p, &g.gm, NULL, NULL), 0);
	virtio_mmio_init(&mmio, virtio_net_dev(net));
	mock_vq_init(&mq[0], &g.gm, 0, 16);
	mock_vq_init(&mq[1], &g.gm, 1, 16);
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio,
					     F_V1 | (1ULL << VIRTIO_NET_F_MAC) |
						     (1ULL << VIRTIO_NET_F_MTU) |
						     (1ULL << VIRTIO_NET_F_STATUS),
					     mq, 2),
			  0xf);
}

static void teardown(void)
{
	virtio_net_destroy(net);
	event_loop_fini(&el);
	close(sv[0]);
	close(sv[1]);
	mock_guest_fini(&g);
}

static void frame(uint8_t *buf, size_t len, uint8_t seed)
{
	size_t i;

	memset(buf, 0, HDR);
	for (i = HDR; i < len; i++)
		buf[i] = (uint8_t)(seed + i);
}

START_TEST(config_mac_mtu_status)
{
	uint8_t b[8];

	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG, b, 4, false);
	ck_assert_uint_eq(b[0], 0x52);
	ck_assert_uint_eq(b[3], 0x12);
	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG + 6, b, 2, false);
	ck_assert_uint_eq(le16_get(b), VIRTIO_NET_S_LINK_UP);
	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG + 10, b, 2, false);
	ck_assert_uint_eq(le16_get(b), 1400);
	virtio_net_set_link(net, false);
	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG + 6, b, 2, false);
	ck_assert_uint_eq(le16_get(b), 0);
	ck_assert_uint_eq(mock_mmio_read(&mmio, VIRTIO_MMIO_CONFIG_GENERATION), 1);
}
END_TEST

START_TEST(tx_writes_frame)
{
	gpa_t h = mock_alloc(&g, HDR), d = mock_alloc(&g, 100);
	struct mock_buf b[2] = { { h, HDR, false }, { d, 100, false } };
	uint8_t out[200];
	uint32_t id, len;

	memset(mock_ptr(&g, h, HDR), 0, HDR);
	memset(mock_ptr(&g, d, 100), 0x5a, 100);
	mock_vq_add_chain(&mq[1], b, 2);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_int_eq(recv(sv[1], out, sizeof(out), MSG_DONTWAIT), (ssize_t)(HDR + 100));
	ck_assert_mem_eq(out + HDR, mock_ptr(&g, d, 100), 100);
	ck_assert(mock_vq_get_used(&mq[1], &id, &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(rx_delivers_frame)
{
	uint8_t in[HDR + 60], *p;
	gpa_t buf = mock_alloc(&g, 2048);
	struct mock_buf b = { buf, 2048, true };
	uint32_t id, len;

	frame(in, sizeof(in), 3);
	ck_assert_int_eq(send(sv[1], in, sizeof(in), 0), (ssize_t)sizeof(in));
	mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert_int_ge(event_loop_run_once(&el, 1000), 1);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_uint_eq(len, sizeof(in));
	p = mock_ptr(&g, buf, len);
	ck_assert_uint_eq(le16_get(p + 10), 1); /* num_buffers */
	ck_assert_mem_eq(p + HDR, in + HDR, 60);
	ck_assert_uint_ge(mock_mmio_read(&mmio, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED, 1);
}
END_TEST

START_TEST(rx_waits_for_buffers)
{
	uint8_t in[HDR + 64];
	gpa_t buf = mock_alloc(&g, 2048);
	struct mock_buf b[2] = { { buf, 6, true }, { buf + 6, 2042, true } };
	uint32_t id, len;

	frame(in, sizeof(in), 9);
	ck_assert_int_eq(send(sv[1], in, sizeof(in), 0), (ssize_t)sizeof(in));
	ck_assert_int_ge(event_loop_run_once(&el, 1000), 1); /* no buffers: paused */
	ck_assert(!mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_int_eq(event_loop_run_once(&el, 50), 0); /* the tap is not polled */
	mock_vq_add_chain(&mq[0], b, 2);		   /* header split across descriptors */
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_uint_eq(len, sizeof(in));
	ck_assert_mem_eq(mock_ptr(&g, buf + HDR, 64), in + HDR, 64);
}
END_TEST

START_TEST(rx_too_small_buffer_drops)
{
	uint8_t in[HDR + 200];
	gpa_t buf = mock_alloc(&g, 64);
	struct mock_buf b = { buf, 64, true };
	uint32_t id, len;

	frame(in, sizeof(in), 1);
	send(sv[1], in, sizeof(in), 0);
	mock_vq_add_chain(&mq[0], &b, 1);
	event_loop_run_once(&el, 1000);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert(!virtio_dev_is_broken(virtio_net_dev(net)));
}
END_TEST

START_TEST(offloads_refused_without_tap)
{
	/* A socketpair is no tap: no offloads offered, so acking one fails. */
	ck_assert(!(virtio_net_dev(net)->offered & (1ULL << VIRTIO_NET_F_GUEST_CSUM)));
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio, F_V1 | (1ULL << VIRTIO_NET_F_GUEST_CSUM), mq,
					     2) &
				  VIRTIO_CONFIG_S_FEATURES_OK,
			  0);
}
END_TEST

/* ------------------------------------------------ rate limits */

#define S 1000000000ULL

static void setup_limits(void)
{
	fake_now = 50 * S;
	tx_limit = (struct husk_rate_limit){ .ops = { .rate = 2 } };
	rx_limit = (struct husk_rate_limit){ .bandwidth = { .rate = 100 } };
	setup();
}

static void teardown_limits(void)
{
	teardown(); /* frames held and timers armed: must not hang */
	memset(&tx_limit, 0, sizeof(tx_limit));
	memset(&rx_limit, 0, sizeof(rx_limit));
}

/* Receive datagrams (frames on the "tap") until @n came, running the loop for the timer. */
static void tap_recv(uint8_t seeds[], unsigned int n)
{
	uint8_t out[HDR + 100];
	unsigned int got = 0;
	int i;

	for (i = 0; i < 100 && got < n; i++) {
		if (recv(sv[1], out, sizeof(out), MSG_DONTWAIT) == (ssize_t)(HDR + 50))
			seeds[got++] = out[HDR];
		else
			event_loop_run_once(&el, 100);
	}
	ck_assert_uint_eq(got, n);
}

/* TX, 2 frames/s: 4 frames give 2 at once, 2 more when the timer finds tokens. */
START_TEST(tx_ops_limit)
{
	uint8_t out[HDR + 100], seeds[2];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		gpa_t f = mock_alloc(&g, HDR + 50);
		struct mock_buf b = { f, HDR + 50, false };

		frame(mock_ptr(&g, f, HDR + 50), HDR + 50, (uint8_t)(0x10 * (i + 1) - HDR));
		mock_vq_add_chain(&mq[1], &b, 1);
	}
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	tap_recv(seeds, 2);
	ck_assert_uint_eq(seeds[0], 0x10);
	ck_assert_uint_eq(seeds[1], 0x20);
	ck_assert_int_lt(recv(sv[1], out, sizeof(out), MSG_DONTWAIT), 0);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* no tokens: nothing */
	ck_assert_int_lt(recv(sv[1], out, sizeof(out), MSG_DONTWAIT), 0);
	fake_now += S;
	tap_recv(seeds, 2); /* sent from the limiter's timer on the loop */
	ck_assert_uint_eq(seeds[0], 0x30);
	ck_assert_uint_eq(seeds[1], 0x40);
	ck_assert_uint_eq(mock_vq_used_idx(&mq[1]), 4);
}
END_TEST

/* RX, 100 bytes/s: 60-byte frames, one at once, the rest as bytes come back. */
START_TEST(rx_bandwidth_limit)
{
	uint8_t in[HDR + 60];
	gpa_t buf[3];
	uint32_t id, len;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct mock_buf b;

		buf[i] = mock_alloc(&g, 2048);
		b = (struct mock_buf){ buf[i], 2048, true };
		mock_vq_add_chain(&mq[0], &b, 1);
		frame(in, sizeof(in), (uint8_t)(i * 50));
		ck_assert_int_eq(send(sv[1], in, sizeof(in), 0), (ssize_t)sizeof(in));
	}
	ck_assert_int_ge(event_loop_run_once(&el, 1000), 1);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert(!mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_int_eq(event_loop_run_once(&el, 0), 0); /* the tap is not polled */
	fake_now += S / 5;				  /* 40 + 20 bytes: one more frame */
	for (i = 0; i < 100 && !mock_vq_get_used(&mq[0], &id, &len); i++)
		event_loop_run_once(&el, 100);
	ck_assert_uint_eq(id, 1);
	ck_assert(!mock_vq_get_used(&mq[0], &id, &len));
	fake_now += S;
	for (i = 0; i < 100 && !mock_vq_get_used(&mq[0], &id, &len); i++)
		event_loop_run_once(&el, 100);
	ck_assert_uint_eq(id, 2);
	ck_assert_uint_eq(len, sizeof(in));
	for (i = 0; i < 3; i++) {
		frame(in, sizeof(in), (uint8_t)(i * 50));
		ck_assert_mem_eq(mock_ptr(&g, buf[i] + HDR, 60), in + HDR, 60);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("socketpair");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_mac_mtu_status);
	tcase_add_test(tc, tx_writes_frame);
	tcase_add_test(tc, rx_delivers_frame);
	tcase_add_test(tc, rx_waits_for_buffers);
	tcase_add_test(tc, rx_too_small_buffer_drops);
	tcase_add_test(tc, offloads_refused_without_tap);
	suite_add_tcase(s, tc);
	tc = tcase_create("limit");
	tcase_add_checked_fixture(tc, setup_limits, teardown_limits);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tx_ops_limit);
	tcase_add_test(tc, rx_bandwidth_limit);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
