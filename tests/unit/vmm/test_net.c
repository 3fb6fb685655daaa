// SPDX-License-Identifier: Apache-2.0
/*
 * test_net.c - vmm/virtio/net*.c with a SOCK_DGRAM socketpair standing in
 * for the tap (one datagram = one frame with its 12-byte vnet header), the
 * event loop run by hand, and the mock driver on both queues; rate limits
 * per direction with an injected clock (frames held, resumed by the
 * limiter's timer, data intact and in order). TX header checks read the
 * drop counters of net_internal.h; virtio_net_get_stats() reports each
 * drop and each refusal of a rate limit in its own counter. The "late"
 * cases start without a tap: link down, transmits dropped, then
 * virtio_net_attach() on the running device brings the link up and the
 * frames through; a second attach and a bad fd are refused.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"
#include "vmm/virtio/net/net_internal.h"

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

/* One TX chain of a header (@flags, @gso) and @len frame bytes; returns
 * what reached the tap (0: dropped), the header there in *@hdr_out. */
static ssize_t tx_one(uint8_t flags, uint8_t gso, uint32_t len, struct virtio_net_hdr_v1 *hdr_out)
{
	static uint8_t out[HDR + 70000];
	gpa_t h = mock_alloc(&g, HDR), d = mock_alloc(&g, len);
	struct mock_buf b[2] = { { h, HDR, false }, { d, len, false } };
	struct virtio_net_hdr_v1 *hdr = mock_ptr(&g, h, HDR);
	uint32_t id, ulen;
	ssize_t n;

	hdr->flags = flags;
	hdr->gso_type = gso;
	hdr->gso_size = htole16(gso ? 1400 : 0);
	hdr->csum_start = htole16(flags ? 34 : 0);
	hdr->csum_offset = htole16(flags ? 16 : 0);
	memset(mock_ptr(&g, d, len), 0x77, len);
	mock_vq_add_chain(&mq[1], b, 2);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert(mock_vq_get_used(&mq[1], &id, &ulen));
	ck_assert_uint_eq(ulen, 0);
	ck_assert(!virtio_dev_is_broken(virtio_net_dev(net)));
	n = recv(sv[1], out, sizeof(out), MSG_DONTWAIT);
	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return 0;
	}
	ck_assert_int_eq(n, (ssize_t)(HDR + len));
	ck_assert_mem_eq(out + HDR, mock_ptr(&g, d, len), len);
	if (hdr_out)
		memcpy(hdr_out, out, HDR);
	return n;
}

/* 65550 frame bytes plus the header at most (Firecracker's bound). */
START_TEST(tx_oversize_dropped)
{
	ck_assert_int_eq(tx_one(0, 0, 65551, NULL), 0);
	ck_assert_uint_eq(net->tx_oversize, 1);
	ck_assert_int_eq(tx_one(0, 0, 65550, NULL), (ssize_t)(HDR + 65550));
	ck_assert_uint_eq(net->tx_oversize, 1);
}
END_TEST

/* 5.1.6.2: no partial checksum or GSO unless negotiated; the frame goes. */
START_TEST(tx_offloads_not_negotiated_dropped)
{
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 60, NULL), 0);
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 60, NULL),
			 0);
	ck_assert_int_eq(tx_one(0, VIRTIO_NET_HDR_GSO_TCPV6, 60, NULL), 0);
	ck_assert_uint_eq(net->tx_bad_hdr, 3);
	ck_assert_int_gt(tx_one(0, 0, 60, NULL), 0);
	ck_assert_uint_eq(net->tx_bad_hdr, 3);
}
END_TEST

/* Receive-only and unknown flag bits never reach the host (DATA_VALID would
 * have it skip checksum validation). */
START_TEST(tx_unknown_flags_cleared)
{
	struct virtio_net_hdr_v1 h;

	ck_assert_int_gt(tx_one(VIRTIO_NET_HDR_F_DATA_VALID | 0xf8, 0, 60, &h), 0);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
}
END_TEST

/*
 * With CSUM and HOST_TSO4 negotiated (offered here by hand: a socketpair
 * is no tap), those pass, and only those: TSO6, ECN, UFO and unknown GSO
 * types, or GSO without a partial checksum, are still refused.
 */
START_TEST(tx_negotiated_offloads_pass)
{
	struct virtio_net_hdr_v1 h;
	uint64_t f = F_V1 | (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4);

	virtio_net_dev(net)->offered |= f;
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio, f, mq, 2), 0xf);
	ck_assert_int_gt(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 3000, &h),
			 0);
	ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(le16toh(h.gso_size), 1400);
	ck_assert_uint_eq(le16toh(h.csum_start), 34);
	ck_assert_int_gt(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 60, NULL), 0);
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 60, NULL),
			 0);
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM,
				VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 60, NULL),
			 0);
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 60, NULL), 0);
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, 9, 60, NULL), 0);
	ck_assert_int_eq(tx_one(0, VIRTIO_NET_HDR_GSO_TCPV4, 60, NULL), 0);
	ck_assert_uint_eq(net->tx_bad_hdr, 5);
}
END_TEST

/* Shorter than its header: malformed, dropped, the device lives on. */
START_TEST(tx_short_header_dropped)
{
	gpa_t h = mock_alloc(&g, 8);
	struct mock_buf b = { h, 8, false };
	uint32_t id, len;

	mock_vq_add_chain(&mq[1], &b, 1);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert(mock_vq_get_used(&mq[1], &id, &len));
	ck_assert_uint_eq(net->tx_bad_hdr, 1);
	ck_assert_int_lt(recv(sv[1], &len, sizeof(len), MSG_DONTWAIT), 0);
	ck_assert_int_gt(tx_one(0, 0, 60, NULL), 0);
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

/* The device's counters as the embedder reads them (husk_vm_get_net_stats). */
static struct husk_net_stats stats(void)
{
	struct husk_net_stats s;

	memset(&s, 0xee, sizeof(s)); /* every field must be written */
	virtio_net_get_stats(net, &s);
	return s;
}

/*
 * Each kind of drop lands in its own counter and in no other: an
 * oversize chain, a chain shorter than its header, a header asking for
 * an offload never negotiated, a received frame too big for the guest's
 * buffer, one too short for an Ethernet header; good frames count nowhere.
 */
START_TEST(stats_count_each_drop)
{
	uint8_t in[HDR + 200];
	gpa_t h = mock_alloc(&g, 8), buf;
	struct mock_buf b = { h, 8, false };
	struct husk_net_stats s = stats();
	uint32_t id, len;

	ck_assert_uint_eq(s.tx_oversize | s.tx_bad_hdr | s.tx_dropped | s.rx_dropped |
				  s.rx_throttled | s.tx_throttled,
			  0);
	ck_assert_int_eq(tx_one(0, 0, 65551, NULL), 0);
	ck_assert_int_eq(tx_one(0, 0, 65551, NULL), 0);
	mock_vq_add_chain(&mq[1], &b, 1); /* 8 bytes: shorter than the header */
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert(mock_vq_get_used(&mq[1], &id, &len));
	ck_assert_int_eq(tx_one(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 60, NULL), 0);
	ck_assert_int_gt(tx_one(0, 0, 60, NULL), 0);
	frame(in, sizeof(in), 1);
	ck_assert_int_eq(send(sv[1], in, sizeof(in), 0), (ssize_t)sizeof(in));
	ck_assert_int_eq(send(sv[1], in, HDR + 10, 0), (ssize_t)(HDR + 10));
	ck_assert_int_eq(send(sv[1], in, HDR + 60, 0), (ssize_t)(HDR + 60));
	buf = mock_alloc(&g, 64);
	b = (struct mock_buf){ buf, 64, true };
	mock_vq_add_chain(&mq[0], &b, 1);
	buf = mock_alloc(&g, 2048);
	b = (struct mock_buf){ buf, 2048, true };
	mock_vq_add_chain(&mq[0], &b, 1);
	for (len = 0; len < 10 && mock_vq_used_idx(&mq[0]) < 2; len++)
		event_loop_run_once(&el, 100);
	ck_assert_uint_eq(mock_vq_used_idx(&mq[0]), 2);
	s = stats();
	ck_assert_uint_eq(s.tx_oversize, 2);
	ck_assert_uint_eq(s.tx_bad_hdr, 2);
	ck_assert_uint_eq(s.tx_dropped, 0);
	ck_assert_uint_eq(s.rx_dropped, 2); /* 200 bytes into 64, and 10 bytes */
	ck_assert_uint_eq(s.rx_throttled, 0);
	ck_assert_uint_eq(s.tx_throttled, 0);
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

/* ------------------------------------------------ a tap attached later */

static void setup_late(void)
{
	struct virtio_net_params p = { .tap_fd = -1, .loop = &el };

	mock_guest_init(&g);
	ck_assert_int_eq(event_loop_init(&el, NULL), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(virtio_net_create(&net, &p, &g.gm, NULL, NULL), 0);
	virtio_mmio_init(&mmio, virtio_net_dev(net));
	mock_vq_init(&mq[0], &g.gm, 0, 16);
	mock_vq_init(&mq[1], &g.gm, 1, 16);
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio, F_V1 | (1ULL << VIRTIO_NET_F_STATUS), mq, 2),
			  0xf);
}

static uint16_t link_status(void)
{
	uint8_t b[2];

	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG + 6, b, 2, false);
	return le16_get(b);
}

/* Post one 60-byte TX frame of @seed; true when the tap got exactly it. */
static bool late_tx(uint8_t seed)
{
	uint8_t out[HDR + 100];
	gpa_t f = mock_alloc(&g, HDR + 60);
	struct mock_buf b = { f, HDR + 60, false };
	uint32_t id, len;
	ssize_t n;

	frame(mock_ptr(&g, f, HDR + 60), HDR + 60, seed);
	mock_vq_add_chain(&mq[1], &b, 1);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert(mock_vq_get_used(&mq[1], &id, &len)); /* the chain comes back either way */
	n = recv(sv[1], out, sizeof(out), MSG_DONTWAIT);
	return n == HDR + 60 && !memcmp(out + HDR, (uint8_t *)mock_ptr(&g, f, HDR + 60) + HDR, 60);
}

START_TEST(late_frames_flow_after_attach)
{
	uint8_t in[HDR + 60];
	gpa_t buf = mock_alloc(&g, 2048);
	struct mock_buf b = { buf, 2048, true };
	struct husk_error *err = NULL;
	uint32_t id, len;

	/* No tap: link down, offloads offered as for a tap, frames dropped. */
	ck_assert_uint_eq(link_status(), 0);
	ck_assert(virtio_net_dev(net)->offered & (1ULL << VIRTIO_NET_F_GUEST_TSO4));
	ck_assert(!late_tx(1));
	ck_assert_uint_eq(net->tx_dropped, 1);
	mock_vq_add_chain(&mq[0], &b, 1);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert(!mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_int_eq(event_loop_run_once(&el, 0), 0); /* nothing watched */

	ck_assert_msg(virtio_net_attach(net, sv[0], &err) == 0, "%s", husk_error_message(err));
	ck_assert_uint_eq(link_status(), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(mock_mmio_read(&mmio, VIRTIO_MMIO_CONFIG_GENERATION), 1);
	ck_assert_uint_ne(mock_mmio_read(&mmio, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG,
			  0);
	ck_assert(late_tx(2));
	ck_assert_uint_eq(net->tx_dropped, 1);
	/* The tap was watched at once: a frame reaches the buffer posted before. */
	frame(in, sizeof(in), 9);
	ck_assert_int_eq(send(sv[1], in, sizeof(in), 0), (ssize_t)sizeof(in));
	ck_assert_int_ge(event_loop_run_once(&el, 1000), 1);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_uint_eq(len, sizeof(in));
	ck_assert_mem_eq((uint8_t *)mock_ptr(&g, buf, len) + HDR, in + HDR, 60);
}
END_TEST

START_TEST(late_second_attach_refused)
{
	struct husk_error *err = NULL;
	uint8_t byte;
	int other[2];

	ck_assert_int_eq(virtio_net_attach(net, sv[0], NULL), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, other), 0);
	ck_assert_int_eq(virtio_net_attach(net, other[0], &err), -EBUSY);
	ck_assert_str_eq(husk_error_message(err),
			 "virtio-net: attach: a tap is already attached: Device or resource busy");
	husk_error_free(err);
	close(other[1]);
	/* The first tap still carries the frames; the refused one got none. */
	ck_assert(late_tx(4));
	ck_assert_int_lt(recv(other[0], &byte, 1, MSG_DONTWAIT), 0);
	close(other[0]);
}
END_TEST

START_TEST(late_bad_fd_refused)
{
	struct husk_error *err = NULL;
	int fd = dup(sv[0]);

	ck_assert_int_ge(fd, 0);
	close(fd); /* a number that is no open fd */
	ck_assert_int_eq(virtio_net_attach(net, fd, &err), -EBADF);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "virtio-net: tap fd"));
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "Bad file descriptor"));
	husk_error_free(err);
	err = NULL;
	ck_assert_int_eq(virtio_net_attach(net, -1, &err), -EBADF);
	husk_error_free(err);
	/* Still without a tap: the link stays down, a good fd is taken after. */
	ck_assert_uint_eq(link_status(), 0);
	ck_assert(!late_tx(5));
	ck_assert_int_eq(virtio_net_attach(net, sv[0], NULL), 0);
	ck_assert(late_tx(6));
}
END_TEST

/* Attached before the driver runs: activation watches the tap. */
START_TEST(late_attach_before_driver)
{
	uint8_t in[HDR + 60];
	gpa_t buf = mock_alloc(&g, 2048);
	struct mock_buf b = { buf, 2048, true };
	uint32_t id, len;

	mock_mmio_write(&mmio, VIRTIO_MMIO_STATUS, 0); /* reset */
	ck_assert_int_eq(virtio_net_attach(net, sv[0], NULL), 0);
	mock_vq_init(&mq[0], &g.gm, 0, 16);
	mock_vq_init(&mq[1], &g.gm, 1, 16);
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio, F_V1, mq, 2), 0xf);
	frame(in, sizeof(in), 7);
	ck_assert_int_eq(send(sv[1], in, sizeof(in), 0), (ssize_t)sizeof(in));
	mock_vq_add_chain(&mq[0], &b, 1);
	ck_assert_int_ge(event_loop_run_once(&el, 1000), 1);
	ck_assert(mock_vq_get_used(&mq[0], &id, &len));
	ck_assert_mem_eq((uint8_t *)mock_ptr(&g, buf, len) + HDR, in + HDR, 60);
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
	ck_assert_uint_eq(stats().tx_throttled, 1);	     /* the third frame */
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* no tokens: nothing */
	ck_assert_int_lt(recv(sv[1], out, sizeof(out), MSG_DONTWAIT), 0);
	ck_assert_uint_eq(stats().tx_throttled, 2); /* asked again, refused again */
	fake_now += S;
	tap_recv(seeds, 2); /* sent from the limiter's timer on the loop */
	ck_assert_uint_eq(seeds[0], 0x30);
	ck_assert_uint_eq(seeds[1], 0x40);
	ck_assert_uint_eq(mock_vq_used_idx(&mq[1]), 4);
	ck_assert_uint_eq(stats().tx_throttled, 2);
	ck_assert_uint_eq(stats().rx_throttled, 0);
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
	ck_assert_uint_eq(stats().rx_throttled, 1);
	fake_now += S / 5; /* 40 + 20 bytes: one more frame */
	for (i = 0; i < 100 && !mock_vq_get_used(&mq[0], &id, &len); i++)
		event_loop_run_once(&el, 100);
	ck_assert_uint_eq(id, 1);
	ck_assert(!mock_vq_get_used(&mq[0], &id, &len));
	fake_now += S;
	for (i = 0; i < 100 && !mock_vq_get_used(&mq[0], &id, &len); i++)
		event_loop_run_once(&el, 100);
	ck_assert_uint_eq(id, 2);
	ck_assert_uint_eq(len, sizeof(in));
	ck_assert_uint_eq(stats().rx_throttled, 2);
	ck_assert_uint_eq(stats().rx_dropped, 0);
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
	tcase_add_test(tc, tx_oversize_dropped);
	tcase_add_test(tc, tx_offloads_not_negotiated_dropped);
	tcase_add_test(tc, tx_unknown_flags_cleared);
	tcase_add_test(tc, tx_negotiated_offloads_pass);
	tcase_add_test(tc, tx_short_header_dropped);
	tcase_add_test(tc, rx_delivers_frame);
	tcase_add_test(tc, rx_waits_for_buffers);
	tcase_add_test(tc, rx_too_small_buffer_drops);
	tcase_add_test(tc, offloads_refused_without_tap);
	tcase_add_test(tc, stats_count_each_drop);
	suite_add_tcase(s, tc);
	tc = tcase_create("late");
	tcase_add_checked_fixture(tc, setup_late, teardown);
	tcase_add_test(tc, late_frames_flow_after_attach);
	tcase_add_test(tc, late_second_attach_refused);
	tcase_add_test(tc, late_bad_fd_refused);
	tcase_add_test(tc, late_attach_before_driver);
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
