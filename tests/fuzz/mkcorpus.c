// SPDX-License-Identifier: Apache-2.0
/*
 * mkcorpus.c - write the seed inputs of tests/fuzz/corpus/bzimage/ with the
 * test image helpers (tests/lib/images.c). Run from the repository root:
 *
 *   cc -Iinclude -Ivmm -Itests/lib tests/fuzz/mkcorpus.c tests/lib/images.c -lz \
 *      -o /tmp/mkcorpus && /tmp/mkcorpus tests/fuzz/corpus/bzimage
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

int main(int argc, char **argv)
{
	struct image_elf_opts vm = { .paddr = 16 << 20,
				     .vaddr = 0xffffffff81000000ULL,
				     .bss = 0x2000 };
	size_t len;
	uint8_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
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
