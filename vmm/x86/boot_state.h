/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_state.h - what loading a kernel leaves for vCPU 0: the kind of image
 * and the registers' starting values (x86_boot_load() in boot.h fills it,
 * bootcpu.h turns it into KVM register state, bzimage.h reports the kind).
 * A header of its own so that the loader's parts need not include the
 * loader that calls them.
 */
#ifndef HUSK_VMM_X86_BOOT_STATE_H
#define HUSK_VMM_X86_BOOT_STATE_H

#include <stdint.h>

/* How the kernel image was recognised and loaded. */
enum x86_kernel_kind {
	X86_KERNEL_ELF = 1,	/* plain vmlinux (ELF64) */
	X86_KERNEL_BZIMAGE_ELF, /* bzImage, gzip payload inflated on the host */
	X86_KERNEL_BZIMAGE,	/* bzImage, protected-mode code at 1 MiB */
};

struct x86_boot_state {
	enum x86_kernel_kind kind;
	uint64_t rip;	   /* 64-bit entry point (guest-physical) */
	uint64_t rsi;	   /* zero page (struct boot_params) GPA */
	uint64_t rsp;	   /* initial stack pointer */
	uint64_t cr3;	   /* identity-mapped PML4 */
	uint64_t gdt_base; /* boot GDT (null, null, code 0x10, data 0x18, tss 0x20) */
	uint16_t gdt_limit;
	uint64_t kernel_start; /* [start, end) of guest RAM the kernel occupies */
	uint64_t kernel_end;
	uint64_t initrd_start; /* 0 when no initrd */
	uint64_t initrd_size;
};

#endif
