// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_vsock.c - virtio-vsock header checks and connection state machine
 * under hostile guest packets and erratic host peers. The input is a
 * script of steps, each one opcode byte and its operands:
 *
 *   0 guest packet with CIDs right and fields from the input (ports from
 *     a small set so connections are hit), payload from the input
 *   1 guest packet: 44 raw header bytes, then payload from the input
 *   2 host writes to one of its fds      3 host closes one
 *   4 host shuts one down for writing     5 host connects to a guest port
 *   6 a Unix mux client sends bytes      7 reset and bring the driver up again
 *   8 time passes on the device's clock (the fuzzer's: deadlines fire
 *     when the input says, never by wall time); an odd operand also
 *     toggles whether the guest takes what the device put in RX
 *
 * After every step the loop runs until idle and the guest reads all it
 * got (unless it stopped taking RX); whatever the device sends must be
 * well-formed (abort otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vsock.h"

#define FUZZ_FDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz {
	struct mock_vsock mv;
	const uint8_t *p;
	size_t left;
	int fds[FUZZ_FDS];
	unsigned int nr_fds;
	char uds[64];
	uint64_t now_ns; /* the device's clock */
	bool rx_off;	 /* the guest takes no RX packet */
};

static uint8_t fuzz_payload[VSOCK_MAX_PAYLOAD + 64];

static uint32_t fuzz_take(struct fuzz *f, unsigned int bytes)
{
	uint32_t v = 0;

	while (bytes-- && f->left) {
		v = v << 8 | *f->p++;
		f->left--;
	}
	return v;
}

static void fuzz_add_fd(struct fuzz *f, int fd)
{
	if (fd < 0)
		return;
	if (f->nr_fds == FUZZ_FDS) {
		close(fd);
		return;
	}
	f->fds[f->nr_fds++] = fd;
}

static void fuzz_on_accept(void *opaque, uint32_t hp, uint32_t gp, int fd)
{
	fuzz_add_fd(opaque, fd);
}

static void fuzz_on_connect(void *opaque, int fd, int error)
{
	fuzz_add_fd(opaque, fd);
}

/* Drain what the device sent; it must always speak as the host, in STREAM. */
static void fuzz_settle(struct fuzz *f)
{
	struct vsock_pkt h;
	int rounds = 0;

	do {
		mock_vsock_pump(&f->mv, 0);
		while (!f->rx_off && mock_vsock_recv(&f->mv, &h, NULL, 0))
			if (h.src_cid != VSOCK_HOST_CID || h.dst_cid != f->mv.cid ||
			    h.type != VIRTIO_VSOCK_TYPE_STREAM || h.len > VSOCK_MAX_PAYLOAD)
				abort();
	} while (mock_vsock_pump(&f->mv, 0) && ++rounds < 64);
}

static uint32_t fuzz_payload_len(struct fuzz *f, uint32_t want)
{
	uint32_t n = want < f->left ? want : (uint32_t)f->left;

	memcpy(fuzz_payload, f->p, n);
	f->p += n;
	f->left -= n;
	return n;
}

static void fuzz_packet(struct fuzz *f)
{
	static const uint32_t ports[4] = { 1, 2, VSOCK_PORT_BASE, 7 };
	struct vsock_pkt h = { .src_cid = f->mv.cid,
			       .dst_cid = VSOCK_HOST_CID,
			       .type = VIRTIO_VSOCK_TYPE_STREAM };
	uint32_t sel = fuzz_take(f, 1);

	h.src_port = ports[sel & 3];
	h.dst_port = ports[(sel >> 2) & 3] + ((sel >> 4) & 1);
	h.op = (uint16_t)fuzz_take(f, 1) % 9;
	h.flags = fuzz_take(f, 1) % 5;
	h.buf_alloc = fuzz_take(f, 4);
	h.fwd_cnt = fuzz_take(f, 4) % 70000;
	h.len = fuzz_take(f, 2) % 5000;
	mock_vsock_send_raw(&f->mv, &h, fuzz_payload, fuzz_payload_len(f, h.len));
}

static void fuzz_raw_packet(struct fuzz *f)
{
	uint8_t raw[VSOCK_HDR_LEN] = { 0 };
	struct vsock_pkt h;
	uint32_t n = fuzz_payload_len(f, sizeof(raw));

	memcpy(raw, fuzz_payload, n);
	vsock_pkt_decode(raw, &h);
	n = fuzz_take(f, 2) % (VSOCK_MAX_PAYLOAD + 32);
	memset(fuzz_payload, 0x5a, n);
	mock_vsock_send_raw(&f->mv, &h, fuzz_payload, n);
}

static void fuzz_uds_send(struct fuzz *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint32_t n = fuzz_payload_len(f, fuzz_take(f, 1) % 40);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->uds);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (n && send(fd, fuzz_payload, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		n = 0;
	fuzz_add_fd(f, fd);
}

static void fuzz_host(struct fuzz *f, unsigned int op)
{
	unsigned int i = fuzz_take(f, 1);
	int fd = f->nr_fds ? f->fds[i % f->nr_fds] : -1;
	uint32_t n;

	if (op == 5) {
		virtio_vsock_connect_async(f->mv.dev, i % 4, 1000, fuzz_on_connect, f, NULL);
		return;
	}
	if (fd < 0)
		return;
	if (op == 2) {
		n = fuzz_take(f, 2) % 20000;
		memset(fuzz_payload, (int)i, n);
		if (send(fd, fuzz_payload, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			n = 0;
	} else if (op == 4) {
		shutdown(fd, SHUT_WR);
	} else {
		close(fd);
		f->nr_fds--;
		f->fds[i % (f->nr_fds + 1)] = f->fds[f->nr_fds];
	}
}

static uint64_t fuzz_clock(void *opaque)
{
	return ((const struct fuzz *)opaque)->now_ns;
}

/* Up to 65 s pass in 2 ms steps (past every deadline); a guest notification wakes the device. */
static void fuzz_time(struct fuzz *f)
{
	uint32_t v = fuzz_take(f, 2);

	if (v & 1)
		f->rx_off = !f->rx_off;
	f->now_ns += (uint64_t)(v >> 1) * 2000000ULL;
	mock_mmio_write(&f->mv.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_TXQ);
}

static void fuzz_step(struct fuzz *f)
{
	unsigned int op = fuzz_take(f, 1) % 9;

	if (op == 0)
		fuzz_packet(f);
	else if (op == 1)
		fuzz_raw_packet(f);
	else if (op == 6)
		fuzz_uds_send(f);
	else if (op == 7)
		mock_vsock_bring_up(&f->mv);
	else if (op == 8)
		fuzz_time(f);
	else
		fuzz_host(f, op);
	fuzz_settle(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz f;
	struct virtio_vsock_params p = { .guest_cid = 3, .buf_alloc = 16384, .max_conns = 8 };
	unsigned int steps = 0;

	memset(&f, 0, sizeof(f));
	snprintf(f.uds, sizeof(f.uds), "/tmp/husk-fuzz-vsock-%d", (int)getpid());
	p.uds_path = f.uds;
	p.clock_ns = fuzz_clock;
	p.clock_opaque = &f;
	f.now_ns = 1000000000ULL;
	f.p = data;
	f.left = size;
	mock_vsock_init(&f.mv, &p, true);
	if (virtio_vsock_listen(f.mv.dev, 1, fuzz_on_accept, &f, NULL) < 0)
		abort();
	while (f.left && steps++ < 64)
		fuzz_step(&f);
	while (f.nr_fds)
		close(f.fds[--f.nr_fds]);
	f.rx_off = false;
	fuzz_settle(&f);
	mock_vsock_fini(&f.mv);
	return 0;
}
