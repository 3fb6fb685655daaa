/* SPDX-License-Identifier: Apache-2.0 */
/* elf.h - load an ELF64 x86-64 vmlinux's PT_LOAD segments into guest RAM. */
#ifndef HUSK_VMM_X86_ELF_H
#define HUSK_VMM_X86_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"

/* Where a loaded kernel sits and where it is entered (all guest-physical). */
struct x86_kernel_span {
	uint64_t entry;
	uint64_t start; /* lowest byte occupied */
	uint64_t end;	/* one past the highest */
};

/* Bound on program headers: a vmlinux has a handful; refuse absurd tables. */
#define X86_ELF_MAX_PHNUM 128

/*
 * x86_elf_load - validate the whole ELF (header, every program header,
 * every PT_LOAD against the file and against guest RAM in [1 MiB, hole))
 * before copying anything, then copy segments to p_paddr and zero each
 * bss tail. e_entry may be virtual (as in a vmlinux linked at
 * 0xffffffff81000000) or physical; it is mapped to the physical address
 * inside the PT_LOAD that contains it. Errors are prefixed "elf: ".
 */
int x86_elf_load(struct guest_mem *gm, const uint8_t *img, size_t len, struct x86_kernel_span *out,
		 struct husk_error **err);

#endif
