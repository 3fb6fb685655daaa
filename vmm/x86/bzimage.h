/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bzimage.h - validate and load a bzImage (Documentation/x86/boot.rst).
 *
 * x86_bzimage_parse() checks the setup header and records where things
 * are; nothing is copied until it has succeeded. x86_bzimage_load() then
 * either inflates a gzip payload on the host and loads the vmlinux ELF
 * inside it (skipping the in-guest decompressor), or places the
 * protected-mode code at 1 MiB to decompress itself.
 */
#ifndef HUSK_VMM_X86_BZIMAGE_H
#define HUSK_VMM_X86_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"
#include "vmm/x86/boot_state.h"
#include "vmm/x86/elf.h"

/* Largest kernel we inflate on the host, whatever init_size claims. */
#define X86_BZIMAGE_INFLATE_MAX (512ULL << 20)

struct x86_bzimage {
	const uint8_t *img;
	size_t len;
	uint16_t version;
	size_t hdr_end;	   /* 0x202 + byte at 0x201 */
	size_t setup_size; /* (setup_sects + 1) * 512 */
	const uint8_t *pm; /* protected-mode code, right after setup */
	size_t pm_len;
	const uint8_t *payload; /* payload_offset/_length inside pm */
	size_t payload_len;
	uint32_t init_size;
	uint64_t pref_address;
};

/*
 * x86_bzimage_parse - check @img as a bzImage: size, boot flag 0xAA55,
 * "HdrS", protocol >= 2.12, XLF_KERNEL_64, setup size, payload range,
 * init_size. Errors are prefixed "bzImage: ".
 */
int x86_bzimage_parse(const uint8_t *img, size_t len, struct x86_bzimage *bz,
		      struct husk_error **err);

/*
 * x86_bzimage_load - load a parsed image into @gm; *@kind says which way.
 * @zp is the host copy of the zero page: its setup header is seeded from
 * the image's own header.
 */
int x86_bzimage_load(struct guest_mem *gm, const struct x86_bzimage *bz, uint8_t *zp,
		     struct x86_kernel_span *out, enum x86_kernel_kind *kind,
		     struct husk_error **err);

#endif
