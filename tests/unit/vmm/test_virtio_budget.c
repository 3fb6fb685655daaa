// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_budget.c - one device cannot starve the others: virtio-net
 * (TX and RX) and virtio-blk share one event loop, wired the way
 * vm_virtio_devices.c wires them (a kick eventfd per queue, watched by the
 * loop, doubling as the requeue hook), with one device's ring kept full
 * as a guest refilling it from other vCPUs would. The other device's
 * request must be served while that ring still holds work, and the
 * requeues alone must later finish the ring without another guest kick.
 */
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"
#include "vmm/virtio/blk/blk.h"
#include "vmm/virtio/net/net.h"

#define F_V1	   (1ULL << VIRTIO_F_VERSION_1)
#define HDR	   sizeof(struct virtio_net_hdr_v1)
#define RING	   256 /* every queue here, the devices' maximum */
#define FRAME	   (HDR + 62)
#define RX_BUF	   128
#define DISK	   (1 << 20)
#define BLK_HOG	   128 /* two-descriptor FLUSH chains: half the table */
#define RX_FRAMES  200
#define MAX_SPINS  16
#define STATUS_NIL 0xee

/* A device's notification wiring, as the VM does it. */
struct wired;

struct wired_queue {
	struct wired *w;
	unsigned int index;
	int fd;
};

struct wired {
	struct virtio_mmio mmio;
	struct wired_queue q[2];
	unsigned int nr;
};

static struct mock_guest g;
static struct event_loop el;
static struct wired wnet, wblk;
static struct mock_vq nq[2], bq;
static struct virtio_net *net;
static struct virtio_blk *blk;
static int tap[2], disk = -1;
static gpa_t tx_frame, rx_bufs, flush_hdr, flush_status;

/* The loop read the ioeventfd: deliver the notification (vm_vdev_kick). */
static void kick_event(void *opaque, uint32_t events)
{
	struct wired_queue *q = opaque;
	uint64_t n;

	if (read(q->fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		virtio_mmio_notify(&q->w->mmio, q->index);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

/* The requeue hook (vm_vdev_requeue): the queue's own kick eventfd. */
static void requeue(void *opaque, unsigned int index)
{
	signal_fd(((struct wired *)opaque)->q[index].fd);
}

static void wire(struct wired *w, struct virtio_dev *dev, unsigned int nr)
{
	unsigned int i;

	virtio_mmio_init(&w->mmio, dev);
	w->nr = nr;
	for (i = 0; i < nr; i++) {
		w->q[i] = (struct wired_queue){ w, i, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
		ck_assert_int_ge(w->q[i].fd, 0);
		ck_assert_int_eq(event_loop_add(&el, w->q[i].fd, EPOLLIN, kick_event, &w->q[i]), 0);
	}
	virtio_dev_set_requeue(dev, &(struct virtio_requeue){ requeue, w });
}

static void unwire(struct wired *w)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++) {
		event_loop_del(&el, w->q[i].fd);
		close(w->q[i].fd);
	}
}

/* The guest writes QueueNotify; KVM signals the ioeventfd. */
static void guest_kick(struct wired *w, unsigned int index)
{
	signal_fd(w->q[index].fd);
}

static void disk_pattern(void)
{
	static uint8_t buf[DISK];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + i / 512);
	ck_assert_int_eq(pwrite(disk, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
}

static void setup_net(void)
{
	struct virtio_net_params p = { .loop = &el };

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, tap), 0);
	p.tap_fd = tap[0];
	ck_assert_int_eq(virtio_net_create(&net, &p, &g.gm, NULL, NULL), 0);
	wire(&wnet, virtio_net_dev(net), 2);
	mock_vq_init(&nq[0], &g.gm, 0, RING);
	mock_vq_init(&nq[1], &g.gm, 1, RING);
	ck_assert_uint_eq(mock_mmio_bring_up(&wnet.mmio, F_V1, nq, 2), 0xf);
	tx_frame = mock_alloc(&g, FRAME); /* every TX chain points at it: read only */
	memset(mock_ptr(&g, tx_frame + HDR, FRAME - HDR), 0x5a, FRAME - HDR);
	rx_bufs = mock_alloc(&g, RING * RX_BUF);
}

static void setup_blk(void)
{
	struct virtio_blk_params p = { .fd = -1, .serial = "budget" };

	disk = memfd_create("budget-disk", MFD_CLOEXEC);
	ck_assert_int_ge(disk, 0);
	disk_pattern();
	p.fd = disk;
	ck_assert_int_eq(virtio_blk_create(&blk, &p, &g.gm, NULL, NULL), 0);
	wire(&wblk, virtio_blk_dev(blk), 1);
	mock_vq_init(&bq, &g.gm, 2, RING);
	ck_assert_uint_eq(mock_mmio_bring_up(&wblk.mmio, F_V1, &bq, 1), 0xf);
	flush_hdr = mock_alloc(&g, 16);
	le32_put(mock_ptr(&g, flush_hdr, 16), VIRTIO_BLK_T_FLUSH);
	flush_status = mock_alloc(&g, 1);
}

static void setup(void)
{
	mock_guest_init(&g);
	ck_assert_int_eq(event_loop_init(&el, NULL), 0);
	setup_net();
	setup_blk();
}

static void teardown(void)
{
	virtio_net_destroy(net);
	virtio_blk_destroy(blk);
	unwire(&wnet);
	unwire(&wblk);
	event_loop_fini(&el);
	close(tap[0]);
	close(tap[1]);
	close(disk);
	mock_guest_fini(&g);
}

/* Chains made available and not yet used. */
static uint16_t waiting(struct mock_vq *mq)
{
	return (uint16_t)(mq->avail_idx - mock_vq_used_idx(mq));
}

static uint16_t used(struct mock_vq *mq)
{
	return mock_vq_used_idx(mq);
}

/* The guest refills the TX ring to the brim (no kick: see guest_kick). */
static void tx_top_up(void)
{
	struct mock_buf b = { tx_frame, FRAME, false };

	while (waiting(&nq[1]) < RING)
		mock_vq_add_chain(&nq[1], &b, 1);
}

static void rx_top_up(void)
{
	struct mock_buf b = { 0, RX_BUF, true };

	while (waiting(&nq[0]) < RING) {
		b.addr = rx_bufs + (nq[0].avail_idx % RING) * RX_BUF;
		mock_vq_add_chain(&nq[0], &b, 1);
	}
}

static void blk_hog_top_up(void)
{
	struct mock_buf b[2] = { { flush_hdr, 16, false }, { flush_status, 1, true } };

	while (waiting(&bq) < BLK_HOG)
		mock_vq_add_chain(&bq, b, 2);
}

/* One read of sector @sector; returns its status byte's address. */
static gpa_t blk_read_post(uint64_t sector, gpa_t *data)
{
	gpa_t h = mock_alloc(&g, 16), st = mock_alloc(&g, 1);
	struct mock_buf b[3];

	*data = mock_alloc(&g, 512);
	le32_put(mock_ptr(&g, h, 16), VIRTIO_BLK_T_IN);
	le64_put(mock_ptr(&g, h, 16) + 8, sector);
	*(uint8_t *)mock_ptr(&g, st, 1) = STATUS_NIL;
	b[0] = (struct mock_buf){ h, 16, false };
	b[1] = (struct mock_buf){ *data, 512, true };
	b[2] = (struct mock_buf){ st, 1, true };
	mock_vq_add_chain(&bq, b, 3);
	guest_kick(&wblk, 0);
	return st;
}

/* The read landed: status OK and the sector's bytes, as on the disk. */
static bool blk_read_done(gpa_t st, gpa_t data, uint64_t sector)
{
	uint8_t want[512];

	if (*(uint8_t *)mock_ptr(&g, st, 1) == STATUS_NIL)
		return false;
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st, 1), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(pread(disk, want, sizeof(want), (off_t)(sector * 512)),
			 (ssize_t)sizeof(want));
	ck_assert_mem_eq(mock_ptr(&g, data, 512), want, sizeof(want));
	return true;
}

static void spin(unsigned int *spins)
{
	ck_assert_uint_lt((*spins)++, MAX_SPINS);
	ck_assert_int_ge(event_loop_run_once(&el, 2000), 1);
}

/* Read what the device sent to the tap; returns the frame count. */
static unsigned int tap_drain(void)
{
	uint8_t buf[FRAME + 16];
	unsigned int n = 0;

	while (recv(tap[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

START_TEST(net_tx_hog_blk_still_served)
{
	unsigned int round, spins, sent = 0;
	gpa_t st, data;

	for (round = 0; round < 5; round++) {
		tx_top_up();
		guest_kick(&wnet, VIRTIO_NET_TXQ);
		st = blk_read_post(round * 7, &data);
		for (spins = 0; !blk_read_done(st, data, round * 7);)
			spin(&spins);
		/* Served while the TX ring still held work, not after it ran dry. */
		ck_assert_uint_gt(waiting(&nq[1]), 0);
		sent += tap_drain();
	}
	/* The guest stops kicking: the requeues alone finish the ring. */
	for (spins = 0; waiting(&nq[1]);) {
		spin(&spins);
		sent += tap_drain();
	}
	ck_assert_uint_eq(sent, nq[1].avail_idx);
	ck_assert(!virtio_dev_is_broken(virtio_net_dev(net)));
}
END_TEST

START_TEST(net_rx_hog_blk_still_served)
{
	uint8_t frame[FRAME], *last;
	unsigned int i, spins;
	gpa_t st, data;

	memset(frame, 0, HDR);
	memset(frame + HDR, 0x3c, FRAME - HDR);
	for (i = 0; i < RX_FRAMES; i++)
		ck_assert_int_eq(send(tap[1], frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	rx_top_up();
	st = blk_read_post(3, &data);
	for (spins = 0; !blk_read_done(st, data, 3);)
		spin(&spins);
	ck_assert_uint_lt(used(&nq[0]), RX_FRAMES);
	/* The tap stays readable: the loop comes back until every frame is in. */
	for (spins = 0; used(&nq[0]) < RX_FRAMES;)
		spin(&spins);
	ck_assert_uint_eq(used(&nq[0]), RX_FRAMES);
	last = mock_ptr(&g, rx_bufs + (RX_FRAMES - 1) * RX_BUF, FRAME);
	ck_assert_mem_eq(last + HDR, frame + HDR, FRAME - HDR);
}
END_TEST

START_TEST(blk_hog_net_tx_still_served)
{
	struct mock_buf b = { tx_frame, FRAME, false };
	unsigned int round, spins;

	for (round = 0; round < 5; round++) {
		blk_hog_top_up();
		guest_kick(&wblk, 0);
		mock_vq_add_chain(&nq[1], &b, 1);
		guest_kick(&wnet, VIRTIO_NET_TXQ);
		for (spins = 0; !tap_drain();)
			spin(&spins);
		ck_assert_uint_gt(waiting(&bq), 0);
		ck_assert_uint_eq(waiting(&nq[1]), 0);
	}
	for (spins = 0; waiting(&bq);)
		spin(&spins);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, flush_status, 1), VIRTIO_BLK_S_OK);
	ck_assert(!virtio_dev_is_broken(virtio_blk_dev(blk)));
}
END_TEST

/* Without a requeue hook nothing would come back: a turn empties the ring. */
START_TEST(no_requeue_hook_runs_to_empty)
{
	virtio_dev_set_requeue(virtio_net_dev(net), &(struct virtio_requeue){ NULL, NULL });
	ck_assert_uint_eq(mock_mmio_bring_up(&wnet.mmio, F_V1, nq, 2), 0xf);
	tx_top_up();
	mock_mmio_write(&wnet.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
	ck_assert_uint_eq(used(&nq[1]), RING);
	ck_assert_uint_eq(tap_drain(), RING);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_budget");
	TCase *tc = tcase_create("shared_loop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, net_tx_hog_blk_still_served);
	tcase_add_test(tc, net_rx_hog_blk_still_served);
	tcase_add_test(tc, blk_hog_net_tx_still_served);
	tcase_add_test(tc, no_requeue_hook_runs_to_empty);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
