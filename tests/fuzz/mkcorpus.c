// SPDX-License-Identifier: Apache-2.0
/*
 * mkcorpus.c - write the seed inputs of a fuzz harness's corpus: bzimage
 * (with the test image helpers, tests/lib/images.c), net (scripts in the
 * format of tests/fuzz/fuzz_net.h), uart and i8042 (register access
 * scripts in the formats fuzz_uart.c and fuzz_i8042.c describe). Run from
 * the repository root:
 *
 *   cc -Iinclude -Ivmm -Itests/lib -I. tests/fuzz/mkcorpus.c tests/lib/images.c -lz \
 *      -o /tmp/mkcorpus
 *   /tmp/mkcorpus bzimage tests/fuzz/corpus/bzimage   (likewise net, uart, i8042)
 */
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_net.h"
#include "tests/lib/images.h"

static const uint8_t code[] = { 0xb0, 0x01, 0xba, 0x40, 0x04, 0x00, 0x00, 0xee, 0xf4 };

static void put(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

#define PUT(dir, name, ...) \
	put(dir, name, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/*
 * UART scripts: the first byte picks the sink (0 callback, 1 full pipe);
 * 0x08 | reg writes the next byte to reg, reg alone reads it, 0x10-0x30
 * added widen a read, 0x80 | n feeds n input bytes, 0xc0+ is past the end.
 */
static void uart_seeds(const char *dir)
{
	/* As Linux's 8250 driver: divisor, 8N1, FIFOs, loopback test, IRQs on, "hi". */
	PUT(dir, "linux-probe", 0, 0x0b, 0x80, 0x08, 0x01, 0x09, 0x00, 0x0b, 0x03, 0x0a, 0x07, 0x02,
	    0x0c, 0x1f, 0x06, 0x0c, 0x0b, 0x06, 0x09, 0x0f, 0x02, 0x08, 'h', 0x08, 'i', 0x05, 0x0f,
	    0x5a, 0x07);
	/* Host input past the FIFO, read back; loopback past the FIFO: overrun. */
	PUT(dir, "input-overrun", 0, 0x09, 0x05, 0x94, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i',
	    'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 0x02, 0x00, 0x00, 0x05, 0x0c,
	    0x10, 0x08, '0', 0x08, '1', 0x08, '2', 0x08, '3', 0x08, '4', 0x08, '5', 0x08, '6', 0x08,
	    '7', 0x08, '8', 0x08, '9', 0x08, 'a', 0x08, 'b', 0x08, 'c', 0x08, 'd', 0x08, 'e', 0x08,
	    'f', 0x08, 'g', 0x02, 0x05, 0x02);
	PUT(dir, "pipe-sink", 1, 0x08, 'x', 0x08, 'y', 0x08, '\n', 0x09, 0x02, 0x02, 0x02);
	PUT(dir, "wide-and-beyond", 0, 0x15, 0x35, 0x27, 0xc0, 0xc7, 0xff, 0x38, 0x41);
}

/*
 * i8042 scripts: op % 5 is the offset (0 data, 4 command), op & 0x08
 * writes the next byte, (op >> 4) & 3 widens. 0x09 writes a command,
 * 0x0a writes data, 0x04 reads status, 0x00 reads data.
 */
static void i8042_seeds(const char *dir)
{
	/* As Linux's i8042 driver at boot: self test, command byte, port tests, keyboard. */
	PUT(dir, "linux-probe", 0x09, 0xaa, 0x04, 0x00, 0x09, 0x20, 0x00, 0x09, 0x60, 0x0a, 0x65,
	    0x09, 0xab, 0x00, 0x09, 0xa9, 0x00, 0x09, 0xad, 0x09, 0xae, 0x0a, 0xff, 0x00, 0x00,
	    0x0a, 0xf2, 0x00, 0x00, 0x00, 0x09, 0xd0, 0x00, 0x14, 0x31, 0x01, 0x02, 0x03);
	PUT(dir, "reset-pulse", 0x09, 0xfe);
	PUT(dir, "reset-output-port", 0x09, 0xd1, 0x0a, 0xfe);
	PUT(dir, "queue-full", 0x09, 0xaa, 0x09, 0xaa, 0x09, 0xaa, 0x09, 0xaa, 0x09, 0xaa, 0x09,
	    0xaa, 0x09, 0xaa, 0x09, 0xaa, 0x09, 0xaa, 0x09, 0xaa, 0x04, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x09, 0xd2, 0x0a, 0x42, 0x09, 0xd4, 0x0a, 0x01);
}

static void bzimage_seeds(const char *dir)
{
	struct image_elf_opts vm = { .paddr = 16 << 20,
				     .vaddr = 0xffffffff81000000ULL,
				     .bss = 0x2000 };
	size_t len;
	uint8_t *p;

	p = image_elf(code, sizeof(code), 2 << 20, &len);
	put(dir, "elf-tiny", p, len);
	free(p);
	p = image_elf_ex(code, sizeof(code), &vm, &len);
	put(dir, "elf-vmlinux-like", p, len);
	free(p);
	p = image_bzimage(code, sizeof(code), 2 << 20, &len);
	put(dir, "bzimage-gzip-elf", p, len);
	put(dir, "bzimage-header-only", p, 0x26c);
	free(p);
	p = image_bzimage_raw(code, sizeof(code), &len);
	put(dir, "bzimage-raw", p, len);
	free(p);
}

/* ---------------------------------------------------------------- net */

struct script {
	uint8_t b[4096];
	size_t len;
};

static void be(struct script *s, uint64_t v, unsigned int bytes)
{
	while (bytes--) {
		if (s->len == sizeof(s->b)) {
			fprintf(stderr, "mkcorpus: script too long\n");
			exit(1);
		}
		s->b[s->len++] = (uint8_t)(v >> (8 * bytes));
	}
}

/* Config, queue sizes (256 entries each: log2 8) and start byte. */
static void net_begin_start(struct script *s, uint8_t cfg, uint8_t start)
{
	s->len = 0;
	be(s, cfg, 1);
	be(s, 0x88, 1);
	be(s, start, 1);
}

static void net_begin(struct script *s, uint8_t cfg)
{
	net_begin_start(s, cfg, 0);
}

/* A TX chain: header flags and GSO type, then 1-3 segment lengths. */
static void net_tx(struct script *s, uint8_t flags, uint8_t gso, unsigned int nseg,
		   const uint32_t *lens)
{
	unsigned int i;

	be(s, FUZZ_NET_TX, 1);
	be(s, flags, 1);
	be(s, gso, 1);
	be(s, nseg - 1, 1);
	for (i = 0; i < nseg; i++)
		be(s, lens[i], 3);
}

/* @n receive buffers of one segment of @len bytes. */
static void net_rx(struct script *s, unsigned int n, uint16_t len)
{
	unsigned int i;

	be(s, FUZZ_NET_RX, 1);
	be(s, n - 1, 1);
	for (i = 0; i < n; i++) {
		be(s, 0, 1);
		be(s, len, 2);
	}
}

/* A frame from the tap: a zero vnet header, then @len - 12 bytes of 0x42. */
static void net_host(struct script *s, uint16_t len)
{
	unsigned int i, n = len < 12 ? len : 12;

	be(s, FUZZ_NET_HOST, 1);
	be(s, len, 2);
	be(s, n, 1);
	for (i = 0; i < n; i++)
		be(s, 0, 1);
}

/* A raw descriptor on the RX queue, or TX with @txq: at @gpa, any address. */
static void net_desc(struct script *s, bool txq, uint8_t idx, uint64_t gpa, uint16_t len,
		     uint8_t flags, uint8_t next)
{
	be(s, FUZZ_NET_DESC | (txq ? FUZZ_NET_OP_TXQ : 0), 1);
	be(s, idx, 1);
	be(s, 0xff, 1); /* address kind: all 8 bytes given */
	be(s, gpa, 8);
	be(s, len, 2);
	be(s, flags, 1);
	be(s, next, 1);
}

static void net_tx_seeds(const char *dir, struct script *s)
{
	const uint32_t plain[2] = { 12, 60 }, whole[1] = { 12 + 1500 };
	const uint32_t over[2] = { 12, 65551 }, max[2] = { 12, 65550 };

	net_begin(s, FUZZ_NET_CFG_INDIRECT | FUZZ_NET_CFG_EVENT_IDX);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 2, plain);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 1, whole);
	put(dir, "tx-plain", s->b, s->len);

	net_begin(s, FUZZ_NET_CFG_CSUM | FUZZ_NET_CFG_HOST_TSO4 | FUZZ_NET_CFG_HOST_TSO6 |
			     FUZZ_NET_CFG_HOST_ECN);
	net_tx(s, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1, whole);
	net_tx(s, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 2,
	       plain);
	net_tx(s, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 2, plain);
	net_tx(s, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_NONE, 2, plain);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_TCPV4, 2, plain);
	put(dir, "tx-offloads", s->b, s->len);

	net_begin(s, 0);
	net_tx(s, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 2, plain);
	net_tx(s, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 2, plain);
	put(dir, "tx-not-negotiated", s->b, s->len);

	net_begin(s, 0);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 2, over);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 2, max);
	put(dir, "tx-oversize", s->b, s->len);
}

static void net_rx_seeds(const char *dir, struct script *s)
{
	net_begin(s, FUZZ_NET_CFG_EVENT_IDX);
	net_rx(s, 4, 2048);
	net_host(s, 12 + 60);
	net_host(s, 12 + 1500);
	net_host(s, 12 + 10);	/* shorter than an Ethernet header */
	net_host(s, 12 + 9000); /* larger than the buffers */
	put(dir, "rx-frames", s->b, s->len);

	net_begin(s, 0);
	net_host(s, 12 + 60); /* no buffers yet: the tap is paused */
	net_host(s, 12 + 64);
	net_rx(s, 1, 6);
	net_rx(s, 2, 1600);
	put(dir, "rx-late-buffers", s->b, s->len);
}

static void net_raw_seeds(const char *dir, struct script *s)
{
	/* A two-descriptor TX chain by hand, then an indirect RX one. */
	net_begin(s, FUZZ_NET_CFG_INDIRECT);
	net_desc(s, true, 0, FUZZ_NET_DATA, 12, VRING_DESC_F_NEXT, 1);
	net_desc(s, true, 1, FUZZ_NET_DATA + 0x100, 60, 0, 0);
	be(s, FUZZ_NET_PUBLISH | FUZZ_NET_OP_TXQ, 1);
	be(s, 0, 2);
	be(s, FUZZ_NET_NOTIFY, 1);
	be(s, 1, 1);
	be(s, FUZZ_NET_INDIRECT, 1);
	be(s, 0, 1);	/* entry 0 */
	be(s, 0xff, 1); /* address kind: all 8 bytes given */
	be(s, FUZZ_NET_DATA + 0x1000, 8);
	be(s, 2048, 2);
	be(s, VRING_DESC_F_WRITE, 1);
	be(s, 0, 1);
	net_desc(s, false, 0, FUZZ_NET_INDIRECT_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	be(s, FUZZ_NET_PUBLISH, 1);
	be(s, 0, 2);
	be(s, FUZZ_NET_NOTIFY, 1);
	be(s, 0, 1);
	net_host(s, 12 + 60);
	put(dir, "raw-chains", s->b, s->len);

	/* avail.idx jumped 200 ahead, every head 0: more than a turn's budget. */
	net_begin(s, 0);
	net_desc(s, true, 0, FUZZ_NET_DATA, 12 + 60, 0, 0);
	be(s, FUZZ_NET_AVAIL_IDX | FUZZ_NET_OP_TXQ, 1);
	be(s, 200, 2);
	be(s, FUZZ_NET_NOTIFY, 1);
	be(s, 1, 1);
	put(dir, "tx-budget", s->b, s->len);

	/* Refused features (TSO4 without CSUM), then a good reset, mid-traffic. */
	net_begin(s, FUZZ_NET_CFG_CSUM);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 1, (const uint32_t[]){ 80 });
	be(s, FUZZ_NET_RESET, 1);
	be(s, FUZZ_NET_CFG_HOST_TSO4, 1);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 1, (const uint32_t[]){ 80 });
	be(s, FUZZ_NET_RESET, 1);
	be(s, FUZZ_NET_CFG_GUEST_CSUM | FUZZ_NET_CFG_GUEST_TSO4, 1);
	net_rx(s, 2, 4096);
	net_host(s, 12 + 100);
	put(dir, "reset-midway", s->b, s->len);

	/* Suppression fields: no interrupts wanted, then an event index. */
	net_begin(s, FUZZ_NET_CFG_EVENT_IDX);
	be(s, FUZZ_NET_EVENT | FUZZ_NET_OP_TXQ, 1);
	be(s, 5, 2);
	be(s, 1, 1);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 2, (const uint32_t[]){ 12, 60 });
	put(dir, "event-idx", s->b, s->len);

	/* No tap at first: TX dropped, a frame waits in the tap, then two attaches. */
	net_begin_start(s, FUZZ_NET_CFG_CSUM | FUZZ_NET_CFG_HOST_TSO4, FUZZ_NET_START_NO_TAP);
	net_tx(s, 0, VIRTIO_NET_HDR_GSO_NONE, 2, (const uint32_t[]){ 12, 60 });
	net_rx(s, 2, 2048);
	net_host(s, 12 + 60);
	be(s, FUZZ_NET_ATTACH, 1);
	net_tx(s, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 2,
	       (const uint32_t[]){ 12, 3000 });
	be(s, FUZZ_NET_ATTACH, 1);
	net_host(s, 12 + 100);
	put(dir, "late-attach", s->b, s->len);
}

static void net_seeds(const char *dir)
{
	static struct script s;

	net_tx_seeds(dir, &s);
	net_rx_seeds(dir, &s);
	net_raw_seeds(dir, &s);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "bzimage"))
		bzimage_seeds(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "net"))
		net_seeds(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "uart"))
		uart_seeds(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "i8042"))
		i8042_seeds(argv[2]);
	else {
		fprintf(stderr, "usage: %s bzimage|net|uart|i8042 DIR\n", argv[0]);
		return 2;
	}
	return 0;
}
