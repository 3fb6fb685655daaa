// SPDX-License-Identifier: Apache-2.0
/*
 * mkcorpus.c - write the seed inputs of tests/fuzz/corpus/bzimage/ with the
 * test image helpers (tests/lib/images.c), and those of corpus/uart/ and
 * corpus/i8042/ (register access scripts in the formats fuzz_uart.c and
 * fuzz_i8042.c describe). Run from the repository root:
 *
 *   cc -Iinclude -Ivmm -Itests/lib -I. tests/fuzz/mkcorpus.c tests/lib/images.c -lz \
 *      -o /tmp/mkcorpus && /tmp/mkcorpus tests/fuzz/corpus/bzimage &&
 *   /tmp/mkcorpus uart tests/fuzz/corpus/uart && /tmp/mkcorpus i8042 tests/fuzz/corpus/i8042
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
	struct image_elf_opts vm = { .paddr = 16 << 20,
				     .vaddr = 0xffffffff81000000ULL,
				     .bss = 0x2000 };
	size_t len;
	uint8_t *p;

	if (argc == 3 && !strcmp(argv[1], "uart")) {
		uart_seeds(argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "i8042")) {
		i8042_seeds(argv[2]);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR | uart DIR | i8042 DIR\n", argv[0]);
		return 2;
	}
	p = image_elf(code, sizeof(code), 2 << 20, &len);
	put(argv[1], "elf-tiny", p, len);
	free(p);
	p = image_elf_ex(code, sizeof(code), &vm, &len);
	put(argv[1], "elf-vmlinux-like", p, len);
	free(p);
	p = image_bzimage(code, sizeof(code), 2 << 20, &len);
	put(argv[1], "bzimage-gzip-elf", p, len);
	put(argv[1], "bzimage-header-only", p, 0x26c);
	free(p);
	p = image_bzimage_raw(code, sizeof(code), &len);
	put(argv[1], "bzimage-raw", p, len);
	free(p);
	return 0;
}
