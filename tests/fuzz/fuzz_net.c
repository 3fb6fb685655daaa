// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_net.c - virtio-net's TX and RX paths against guest-controlled
 * descriptor chains: raw descriptors (direct and indirect), heads and
 * avail.idx jumps as well as framed TX chains with any header and size,
 * receive buffers of any shape, frames from the tap of any length, resets
 * with any feature set, and a tap attached to a device that started
 * without one, at any point of that (fuzz_net.h has the input format).
 *
 * A SOCK_DGRAM socketpair stands in for the tap, offering the offloads a
 * tap would. The device's event loop is run by hand and a requeue hook is
 * installed, so budgeted turns stop and are resumed as in a VM. After
 * every step whatever the device wrote to the tap must keep the TX rules:
 * no frame over NET_TX_MAX_LEN, no flag but NEEDS_CSUM, and offloads only
 * as negotiated (abort otherwise); before a tap is attached nothing may
 * reach it, the first attach must take and any later one be refused with
 * -EBUSY. A failed device is an expected outcome.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/fuzz/fuzz_net.h"
#include "tests/lib/mock_vq.h"
#include "vmm/virtio/net/net_internal.h"

#define FUZZ_INDIRECT 0x100000ULL /* indirect-table area */
#define FUZZ_DATA     0x200000ULL /* buffers, handed out round-robin */
#define FUZZ_DATA_END (MOCK_RAM - 0x10000ULL)
#define FUZZ_SETTLE   16 /* loop rounds after a step, at most */
#define FUZZ_OFFLOADS \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) | \
	 (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz {
	const uint8_t *p;
	size_t left;
	struct mock_guest g;
	struct event_loop el;
	struct virtio_net *net;
	struct virtio_mmio mmio;
	struct mock_vq mq[2];
	uint16_t sizes[2];
	int sv[2];
	gpa_t next_data;
	bool requeued[2];
	bool attached; /* the device has the socketpair as its tap */
};

static uint8_t fuzz_buf[NET_TX_MAX_LEN + 4096];

static uint64_t fuzz_take(struct fuzz *f, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v = v << 8 | (f->left ? *f->p : 0);
		if (f->left) {
			f->p++;
			f->left--;
		}
	}
	return v;
}

/* Mostly inside the data window, sometimes at the end of RAM or anywhere. */
static uint64_t fuzz_addr(struct fuzz *f)
{
	uint8_t kind = (uint8_t)fuzz_take(f, 1);

	if (kind < 200)
		return FUZZ_DATA + (fuzz_take(f, 2) << 4);
	if (kind < 240)
		return MOCK_RAM - fuzz_take(f, 2);
	return fuzz_take(f, 8);
}

/* @len bytes of guest RAM for a well-placed buffer; wraps round the window. */
static gpa_t fuzz_data(struct fuzz *f, uint32_t len)
{
	gpa_t a;

	if (f->next_data + len > FUZZ_DATA_END)
		f->next_data = FUZZ_DATA;
	a = f->next_data;
	f->next_data = (a + len + 15) & ~15ULL;
	return a;
}

static uint64_t fuzz_features(uint8_t cfg)
{
	static const struct {
		uint8_t cfg;
		unsigned int bit;
	} map[] = {
		{ FUZZ_NET_CFG_INDIRECT, VIRTIO_RING_F_INDIRECT_DESC },
		{ FUZZ_NET_CFG_EVENT_IDX, VIRTIO_RING_F_EVENT_IDX },
		{ FUZZ_NET_CFG_CSUM, VIRTIO_NET_F_CSUM },
		{ FUZZ_NET_CFG_HOST_TSO4, VIRTIO_NET_F_HOST_TSO4 },
		{ FUZZ_NET_CFG_HOST_TSO6, VIRTIO_NET_F_HOST_TSO6 },
		{ FUZZ_NET_CFG_HOST_ECN, VIRTIO_NET_F_HOST_ECN },
		{ FUZZ_NET_CFG_GUEST_CSUM, VIRTIO_NET_F_GUEST_CSUM },
		{ FUZZ_NET_CFG_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO4 },
	};
	uint64_t feat = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_STATUS);
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (cfg & map[i].cfg)
			feat |= 1ULL << map[i].bit;
	return feat;
}

static void fuzz_bring_up(struct fuzz *f, uint8_t cfg)
{
	mock_vq_init(&f->mq[0], &f->g.gm, 0, f->sizes[0]);
	mock_vq_init(&f->mq[1], &f->g.gm, 1, f->sizes[1]);
	f->requeued[0] = f->requeued[1] = false;
	mock_mmio_bring_up(&f->mmio, fuzz_features(cfg), f->mq, 2);
}

/* The requeue hook: remembered, delivered by fuzz_settle as a loop would. */
static void fuzz_requeue(void *opaque, unsigned int index)
{
	struct fuzz *f = opaque;

	if (index > 1)
		abort();
	f->requeued[index] = true;
}

/* The TX rules, checked on every frame the device wrote to the tap. */
static void fuzz_check_frame(struct fuzz *f, const uint8_t *p, ssize_t n)
{
	const struct virtio_net_hdr_v1 *h = (const void *)p;
	const struct virtio_dev *dev = virtio_net_dev(f->net);
	uint8_t gso;

	if (n < (ssize_t)sizeof(*h) || n > (ssize_t)NET_TX_MAX_LEN)
		abort();
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		abort();
	if (h->flags && !virtio_dev_has(dev, VIRTIO_NET_F_CSUM))
		abort();
	gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return;
	if (!h->flags ||
	    ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !virtio_dev_has(dev, VIRTIO_NET_F_HOST_ECN)))
		abort();
	if (!(gso == VIRTIO_NET_HDR_GSO_TCPV4 && virtio_dev_has(dev, VIRTIO_NET_F_HOST_TSO4)) &&
	    !(gso == VIRTIO_NET_HDR_GSO_TCPV6 && virtio_dev_has(dev, VIRTIO_NET_F_HOST_TSO6)))
		abort();
}

/* Run the loop and the requeues until quiet; check and drop what went out. */
static void fuzz_settle(struct fuzz *f)
{
	unsigned int round, i;
	bool busy = true;
	ssize_t n;

	for (round = 0; busy && round < FUZZ_SETTLE; round++) {
		busy = event_loop_run_once(&f->el, 0) > 0;
		for (i = 0; i < 2; i++)
			if (f->requeued[i]) {
				f->requeued[i] = false;
				virtio_mmio_notify(&f->mmio, i);
				busy = true;
			}
		while ((n = recv(f->sv[1], fuzz_buf, sizeof(fuzz_buf), MSG_DONTWAIT)) >= 0) {
			if (!f->attached) /* a device without a tap drops what it sends */
				abort();
			fuzz_check_frame(f, fuzz_buf, n);
		}
	}
}

static void fuzz_raw_desc(struct fuzz *f, struct mock_vq *mq, bool indirect)
{
	uint16_t i = (uint16_t)fuzz_take(f, 1);
	uint64_t addr = fuzz_addr(f);
	uint32_t len = (uint32_t)fuzz_take(f, 2);
	uint16_t flags = (uint16_t)(fuzz_take(f, 1) & 7);
	uint16_t next = (uint16_t)fuzz_take(f, 1);

	if (indirect)
		mock_desc_write(mq->gm, FUZZ_INDIRECT, i, addr, len, flags, next);
	else
		mock_vq_desc(mq, i % mq->size, addr, len, flags, next);
}

/* The tap hands over a frame of any length; its first bytes from the input. */
static void fuzz_host_frame(struct fuzz *f)
{
	uint32_t len = (uint32_t)fuzz_take(f, 2), head = (uint32_t)fuzz_take(f, 1);
	uint32_t n = head < f->left ? head : (uint32_t)f->left;

	n = n < len ? n : len;
	memcpy(fuzz_buf, f->p, n);
	memset(fuzz_buf + n, 0x42, len - n);
	f->p += n;
	f->left -= n;
	if (send(f->sv[1], fuzz_buf, len, MSG_DONTWAIT) < 0)
		return; /* the tap is full: the frame is lost, as on a wire */
}

/* A framed TX chain: header with the input's flags and GSO type, any size. */
static void fuzz_tx(struct fuzz *f)
{
	struct mock_buf b[3];
	struct virtio_net_hdr_v1 h = { .flags = (uint8_t)fuzz_take(f, 1),
				       .gso_type = (uint8_t)fuzz_take(f, 1) };
	unsigned int i, nseg = (unsigned int)fuzz_take(f, 1) % 3 + 1;
	uint32_t len;

	h.gso_size = htole16(1400);
	h.csum_start = htole16(34);
	h.csum_offset = htole16(16);
	for (i = 0; i < nseg; i++) {
		len = (uint32_t)fuzz_take(f, 3) % 0x14000;
		b[i] = (struct mock_buf){ fuzz_data(f, len ? len : 1), len, false };
	}
	/* The header goes at the front of the first segment, as far as it fits. */
	len = b[0].len < sizeof(h) ? b[0].len : sizeof(h);
	if (len)
		memcpy(mock_ptr(&f->g, b[0].addr, len), &h, len);
	mock_vq_add_chain(&f->mq[1], b, nseg);
	mock_mmio_write(&f->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
}

/* Receive buffers of any shape. */
static void fuzz_rx(struct fuzz *f)
{
	unsigned int k, i, nbufs = (unsigned int)fuzz_take(f, 1) % 8 + 1, nseg;
	struct mock_buf b[3];
	uint32_t len;

	for (k = 0; k < nbufs; k++) {
		nseg = (unsigned int)fuzz_take(f, 1) % 3 + 1;
		for (i = 0; i < nseg; i++) {
			len = (uint32_t)fuzz_take(f, 2);
			b[i] = (struct mock_buf){ fuzz_data(f, len ? len : 1), len, true };
		}
		mock_vq_add_chain(&f->mq[0], b, nseg);
	}
	mock_mmio_write(&f->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_RXQ);
}

/* The first attach must take; every later one is refused, and only so. */
static void fuzz_attach(struct fuzz *f)
{
	struct husk_error *err = NULL;
	int ret = virtio_net_attach(f->net, f->sv[0], &err);

	if (f->attached ? ret != -EBUSY : ret != 0)
		abort();
	if (ret < 0 && !err)
		abort();
	husk_error_free(err);
	f->attached = true;
}

static void fuzz_step(struct fuzz *f)
{
	uint8_t op = (uint8_t)fuzz_take(f, 1);
	struct mock_vq *mq = &f->mq[op & FUZZ_NET_OP_TXQ ? 1 : 0];

	switch ((op & ~FUZZ_NET_OP_TXQ) % FUZZ_NET_NR_OPS) {
	case FUZZ_NET_DESC:
	case FUZZ_NET_INDIRECT:
		fuzz_raw_desc(f, mq,
			      (op & ~FUZZ_NET_OP_TXQ) % FUZZ_NET_NR_OPS == FUZZ_NET_INDIRECT);
		break;
	case FUZZ_NET_PUBLISH:
		mock_vq_publish(mq, (uint16_t)fuzz_take(f, 2));
		break;
	case FUZZ_NET_AVAIL_IDX:
		mock_vq_set_avail_idx(mq, (uint16_t)fuzz_take(f, 2));
		break;
	case FUZZ_NET_NOTIFY:
		mock_mmio_write(&f->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, (uint32_t)fuzz_take(f, 1));
		break;
	case FUZZ_NET_HOST:
		fuzz_host_frame(f);
		break;
	case FUZZ_NET_TX:
		fuzz_tx(f);
		break;
	case FUZZ_NET_RX:
		fuzz_rx(f);
		break;
	case FUZZ_NET_EVENT:
		mock_vq_set_used_event(mq, (uint16_t)fuzz_take(f, 2));
		mock_vq_set_avail_flags(mq, (uint16_t)fuzz_take(f, 1));
		break;
	case FUZZ_NET_RESET:
		fuzz_bring_up(f, (uint8_t)fuzz_take(f, 1));
		break;
	case FUZZ_NET_ATTACH:
		fuzz_attach(f);
		break;
	}
	fuzz_settle(f);
}

static void fuzz_init(struct fuzz *f, const uint8_t *data, size_t size)
{
	struct virtio_net_params p = { .loop = &f->el };
	uint8_t cfg, sizes, start;

	memset(f, 0, sizeof(*f));
	f->p = data;
	f->left = size;
	f->next_data = FUZZ_DATA;
	cfg = (uint8_t)fuzz_take(f, 1);
	sizes = (uint8_t)fuzz_take(f, 1);
	f->sizes[0] = (uint16_t)(1u << ((sizes & 15) % 9));
	f->sizes[1] = (uint16_t)(1u << ((sizes >> 4) % 9));
	start = (uint8_t)fuzz_take(f, 1);
	mock_guest_init(&f->g);
	if (event_loop_init(&f->el, NULL) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, f->sv) < 0)
		abort();
	f->attached = !(start & FUZZ_NET_START_NO_TAP);
	p.tap_fd = f->attached ? f->sv[0] : -1;
	if (virtio_net_create(&f->net, &p, &f->g.gm, NULL, NULL) < 0)
		abort();
	/* The socketpair stands in for a tap that offers offloads. */
	virtio_net_dev(f->net)->offered |= FUZZ_OFFLOADS;
	virtio_dev_set_requeue(virtio_net_dev(f->net), &(struct virtio_requeue){ fuzz_requeue, f });
	virtio_mmio_init(&f->mmio, virtio_net_dev(f->net));
	fuzz_bring_up(f, cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz f;
	unsigned int steps = 0;

	fuzz_init(&f, data, size);
	while (f.left && steps++ < FUZZ_NET_MAX_OPS)
		fuzz_step(&f);
	virtio_net_destroy(f.net);
	event_loop_fini(&f.el);
	close(f.sv[0]);
	close(f.sv[1]);
	mock_guest_fini(&f.g);
	return 0;
}
