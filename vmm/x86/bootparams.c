// SPDX-License-Identifier: Apache-2.0
/*
 * bootparams.c - zero page contents. Field offsets and meanings come from
 * Documentation/x86/boot.rst and zero-page.rst (see x86/zeropage.h).
 */
#include <errno.h>
#include <string.h>

#include "vmm/x86/bootparams.h"
#include "vmm/base/layout.h"
#include "vmm/x86/zeropage.h"

/* x86-64 CONFIG_PHYSICAL_ALIGN default: 2 MiB. */
#define BP_KERNEL_ALIGNMENT 0x200000u
/* The kernel's traditional initrd ceiling when it does not say (boot.rst). */
#define BP_INITRD_ADDR_MAX  0x7fffffffu
/* boot.rst: heap end "minus 0x0200", for a setup segment of 64 KiB. */
#define BP_HEAP_END_PTR	    0xfe00u

void x86_bootparams_minimal_hdr(uint8_t *zp)
{
	le16_put(zp + SH_BOOT_FLAG, SH_BOOT_FLAG_MAGIC);
	le32_put(zp + SH_HEADER, SH_HDRS_MAGIC);
	le16_put(zp + SH_VERSION, SH_ELF_VERSION);
	le32_put(zp + SH_KERNEL_ALIGNMENT, BP_KERNEL_ALIGNMENT);
	le32_put(zp + SH_INITRD_ADDR_MAX, BP_INITRD_ADDR_MAX);
	le32_put(zp + SH_CMDLINE_SIZE, (uint32_t)(X86_CMDLINE_MAX - 1));
	le16_put(zp + SH_XLOADFLAGS, XLF_KERNEL_64);
}

void x86_bootparams_loader(uint8_t *zp)
{
	zp[SH_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	zp[SH_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	le16_put(zp + SH_HEAP_END_PTR, BP_HEAP_END_PTR);
}

int x86_bootparams_cmdline(struct guest_mem *gm, uint8_t *zp, const char *cmdline,
			   struct husk_error **err)
{
	/* cmdline_size: the longest line the kernel takes, excluding the NUL. */
	uint64_t limit = le32_get(zp + SH_CMDLINE_SIZE);
	size_t len = strlen(cmdline ? cmdline : "");

	if (limit > X86_CMDLINE_MAX - 1)
		limit = X86_CMDLINE_MAX - 1;
	if (len > limit)
		return husk_err(err, 0,
				"cmdline: %zu bytes, longer than the kernel's limit "
				"of %llu",
				len, (unsigned long long)limit);
	if (guest_mem_write(gm, X86_CMDLINE, cmdline ? cmdline : "", len + 1) < 0)
		return husk_err(err, 0, "cmdline: window at 0x%llx not in guest RAM",
				(unsigned long long)X86_CMDLINE);
	le32_put(zp + SH_CMD_LINE_PTR, (uint32_t)X86_CMDLINE);
	le32_put(zp + ZP_EXT_CMD_LINE_PTR, 0);
	return 0;
}

int x86_e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type, struct husk_error **err)
{
	unsigned int n = zp[ZP_E820_ENTRIES];
	uint8_t *e;

	if (n >= ZP_E820_MAX)
		return husk_err(err, ENOSPC, "e820: table full (%u entries)", ZP_E820_MAX);
	e = zp + ZP_E820_TABLE + n * ZP_E820_ENTRY_SIZE;
	le64_put(e, addr);
	le64_put(e + 8, size);
	le32_put(e + 16, type);
	zp[ZP_E820_ENTRIES] = (uint8_t)(n + 1);
	return 0;
}

int x86_bootparams_e820(const struct guest_mem *gm, uint8_t *zp, struct husk_error **err)
{
	const struct guest_mem_region *r0 = &gm->regions[0];
	int ret;

	if (!gm->nr_regions || r0->gpa != 0 || r0->size < X86_MIN_RAM)
		return husk_err(err, 0, "e820: guest RAM below the hole is smaller than %llu bytes",
				(unsigned long long)X86_MIN_RAM);
	/* Conventional memory stops at the EBDA, which holds the MP table. */
	ret = x86_e820_add(zp, 0, X86_LOW_RAM_END, E820_TYPE_RAM, err);
	if (!ret)
		ret = x86_e820_add(zp, X86_HIMEM_START, r0->size - X86_HIMEM_START, E820_TYPE_RAM,
				   err);
	if (!ret && gm->nr_regions > 1)
		ret = x86_e820_add(zp, gm->regions[1].gpa, gm->regions[1].size, E820_TYPE_RAM, err);
	return ret;
}

/* Highest page-aligned start for @len bytes ending at or below @top, or 0. */
static uint64_t bp_place_below(uint64_t top, uint64_t floor, uint64_t len)
{
	uint64_t a;

	if (top < len || top - len < floor)
		return 0;
	a = (top - len) & ~(X86_INITRD_ALIGN - 1);
	return a >= floor ? a : 0;
}

int x86_bootparams_initrd(struct guest_mem *gm, uint8_t *zp, const void *initrd, size_t len,
			  uint64_t kstart, uint64_t kend, uint64_t *addr, struct husk_error **err)
{
	/* initrd_addr_max is the last byte the initrd may occupy (boot.rst). */
	uint64_t top = (uint64_t)le32_get(zp + SH_INITRD_ADDR_MAX) + 1;
	uint64_t ram_top = gm->regions[0].size, a;

	if (ram_top < top)
		top = ram_top;
	/* Prefer above the kernel; fall back to the gap between 1 MiB and it. */
	a = bp_place_below(top, kend > X86_HIMEM_START ? kend : X86_HIMEM_START, len);
	if (!a)
		a = bp_place_below(kstart < top ? kstart : top, X86_HIMEM_START, len);
	if (!a)
		return husk_err(err, 0,
				"initrd: %zu bytes do not fit in guest RAM below 0x%llx "
				"outside the kernel [0x%llx, 0x%llx)",
				len, (unsigned long long)top, (unsigned long long)kstart,
				(unsigned long long)kend);
	if (guest_mem_write(gm, a, initrd, len) < 0)
		return husk_err(err, 0, "initrd: [0x%llx, +%zu) not in guest RAM",
				(unsigned long long)a, len);
	le32_put(zp + SH_RAMDISK_IMAGE, (uint32_t)a);
	le32_put(zp + SH_RAMDISK_SIZE, (uint32_t)len);
	le32_put(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(a >> 32));
	le32_put(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)len >> 32));
	*addr = a;
	return 0;
}
