/* SPDX-License-Identifier: Apache-2.0 */
/*
 * images.h - synthetic kernel images for tests and fuzz seeds.
 *
 * Wrap raw 64-bit machine code into what x86_boot_load() accepts:
 *  - image_elf():        a minimal ELF64 x86-64 "vmlinux", one PT_LOAD at
 *                        @paddr, entered at its first byte;
 *  - image_bzimage():    a protocol 2.15 bzImage whose payload is that ELF,
 *                        gzip'd (loaded on the host, entered at @paddr);
 *  - image_bzimage_raw(): a bzImage without a gzip payload, whose
 *                        protected-mode code is loaded at 1 MiB and entered
 *                        at 1 MiB + 0x200: @code is placed at that offset.
 * The guest starts in long mode with the identity map of vmm/base/layout.h, RSI
 * pointing at the zero page. Buffers are malloc'd (caller frees); the
 * helpers abort on allocation failure, as test helpers may.
 */
#ifndef HUSK_TESTS_IMAGES_H
#define HUSK_TESTS_IMAGES_H

#include <stddef.h>
#include <stdint.h>

struct image_elf_opts {
	uint64_t paddr;	    /* physical load address of the code */
	uint64_t vaddr;	    /* virtual address (0: same as paddr) */
	uint64_t bss;	    /* zeroed bytes after the code (p_memsz - p_filesz) */
	uint64_t entry_off; /* entry = vaddr + entry_off */
};

uint8_t *image_elf_ex(const void *code, size_t code_len, const struct image_elf_opts *o,
		      size_t *len);
uint8_t *image_elf(const void *code, size_t code_len, uint64_t paddr, size_t *len);

/* Setup header offsets a test may patch in image_bzimage*() output. */
#define IMAGE_BZ_SETUP_SIZE  (5 * 512) /* setup_sects 4 */
#define IMAGE_BZ_PAYLOAD_OFF 0x400     /* payload, from the protected-mode start */

uint8_t *image_bzimage(const void *code, size_t code_len, uint64_t paddr, size_t *len);
uint8_t *image_bzimage_raw(const void *code, size_t code_len, size_t *len);

/* image_gzip - gzip @len bytes (RFC 1952 wrapper). */
uint8_t *image_gzip(const void *src, size_t len, size_t *out_len);

/*
 * image_bzimage_payload - a bzImage around an arbitrary payload, placed
 * IMAGE_BZ_PAYLOAD_OFF into the protected-mode code; init_size as given.
 */
uint8_t *image_bzimage_payload(const void *payload, size_t payload_len, uint32_t init_size,
			       size_t *len);

#endif
