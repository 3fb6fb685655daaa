// SPDX-License-Identifier: Apache-2.0
/*
 * images.c - build ELF64 and bzImage test kernels in memory, written from
 * the System V gABI and Documentation/x86/boot.rst field tables.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/lib/images.h"
#include "vmm/base/le.h"
#include "vmm/x86/zeropage.h"

#define IMG_ELF_CODE_OFF 0x80 /* after the 64-byte Ehdr and one 56-byte Phdr */
#define IMG_PM_FILL	 0xf4 /* hlt: anything not replaced stops the guest */

static void *img_alloc(size_t len)
{
	void *p = calloc(1, len ? len : 1);

	if (!p)
		abort();
	return p;
}

uint8_t *image_elf_ex(const void *code, size_t code_len, const struct image_elf_opts *o,
		      size_t *len)
{
	uint64_t vaddr = o->vaddr ? o->vaddr : o->paddr;
	uint8_t *img = img_alloc(IMG_ELF_CODE_OFF + code_len);
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = vaddr + o->entry_off,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_W | PF_X,
		.p_offset = IMG_ELF_CODE_OFF,
		.p_vaddr = vaddr,
		.p_paddr = o->paddr,
		.p_filesz = code_len,
		.p_memsz = code_len + o->bss,
		.p_align = 1,
	};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	if (code_len)
		memcpy(img + IMG_ELF_CODE_OFF, code, code_len);
	*len = IMG_ELF_CODE_OFF + code_len;
	return img;
}

uint8_t *image_elf(const void *code, size_t code_len, uint64_t paddr, size_t *len)
{
	struct image_elf_opts o = { .paddr = paddr };

	return image_elf_ex(code, code_len, &o, len);
}

uint8_t *image_gzip(const void *src, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	uLong cap;
	uint8_t *out;

	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	cap = deflateBound(&zs, len) + 32;
	out = img_alloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* A setup header as a protocol 2.15 kernel with a 64-bit entry has it. */
static void img_setup_header(uint8_t *img, uint32_t poff, uint32_t plen, uint32_t init_size)
{
	img[SH_SETUP_SECTS] = 4;
	le16_put(img + SH_BOOT_FLAG, SH_BOOT_FLAG_MAGIC);
	img[SH_JUMP] = 0xeb;		  /* jmp short ... */
	img[SH_JUMP + 1] = 0x26c - 0x202; /* ... past the header */
	le32_put(img + SH_HEADER, SH_HDRS_MAGIC);
	le16_put(img + SH_VERSION, 0x020f);
	img[SH_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	le32_put(img + SH_INITRD_ADDR_MAX, 0x7fffffff);
	le32_put(img + SH_KERNEL_ALIGNMENT, 0x200000);
	img[SH_RELOCATABLE] = 1;
	le16_put(img + SH_XLOADFLAGS, XLF_KERNEL_64 | 0x2); /* + CAN_BE_LOADED_ABOVE_4G */
	le32_put(img + SH_CMDLINE_SIZE, 2047);
	le32_put(img + SH_PAYLOAD_OFFSET, poff);
	le32_put(img + SH_PAYLOAD_LENGTH, plen);
	le64_put(img + SH_PREF_ADDRESS, 0x100000);
	le32_put(img + SH_INIT_SIZE, init_size);
}

static uint8_t *img_bz(size_t pm_len, uint32_t poff, uint32_t plen, uint32_t init_size, size_t *len)
{
	uint8_t *img = img_alloc(IMAGE_BZ_SETUP_SIZE + pm_len);

	memset(img + IMAGE_BZ_SETUP_SIZE, IMG_PM_FILL, pm_len);
	img_setup_header(img, poff, plen, init_size);
	*len = IMAGE_BZ_SETUP_SIZE + pm_len;
	return img;
}

static uint32_t img_round(size_t n)
{
	return (uint32_t)((n + 0xfff) & ~(size_t)0xfff);
}

uint8_t *image_bzimage_payload(const void *payload, size_t payload_len, uint32_t init_size,
			       size_t *len)
{
	size_t pm_len = IMAGE_BZ_PAYLOAD_OFF + payload_len;
	uint8_t *img = img_bz(pm_len, IMAGE_BZ_PAYLOAD_OFF, (uint32_t)payload_len, init_size, len);

	memcpy(img + IMAGE_BZ_SETUP_SIZE + IMAGE_BZ_PAYLOAD_OFF, payload, payload_len);
	return img;
}

uint8_t *image_bzimage(const void *code, size_t code_len, uint64_t paddr, size_t *len)
{
	size_t elf_len, gz_len;
	uint8_t *elf = image_elf(code, code_len, paddr, &elf_len);
	uint8_t *gz = image_gzip(elf, elf_len, &gz_len);
	/* init_size covers the inflated ELF with room to spare, as a kernel's does. */
	uint8_t *img = image_bzimage_payload(gz, gz_len, img_round(elf_len) + 0x10000, len);

	free(elf);
	free(gz);
	return img;
}

uint8_t *image_bzimage_raw(const void *code, size_t code_len, size_t *len)
{
	/* The 64-bit entry is 0x200 into the protected-mode code (boot.rst). */
	size_t pm_len = 0x200 + code_len;
	uint8_t *img = img_bz(pm_len, 0, 0, img_round(pm_len) + 0x10000, len);

	memcpy(img + IMAGE_BZ_SETUP_SIZE + 0x200, code, code_len);
	return img;
}
