/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootparams.h - build the zero page (struct boot_params,
 * Documentation/x86/zero-page.rst) in a host buffer of X86_ZERO_PAGE_SIZE
 * bytes: loader fields, command line, e820 map, initrd.
 */
#ifndef HUSK_VMM_X86_BOOTPARAMS_H
#define HUSK_VMM_X86_BOOTPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"

/*
 * x86_bootparams_minimal_hdr - a valid setup header for a kernel that
 * brought none (plain vmlinux): "HdrS", protocol 2.15, command line size,
 * kernel alignment, initrd_addr_max.
 */
void x86_bootparams_minimal_hdr(uint8_t *zp);

/* x86_bootparams_loader - type_of_loader 0xff, LOADED_HIGH, CAN_USE_HEAP, heap_end_ptr. */
void x86_bootparams_loader(uint8_t *zp);

/*
 * x86_bootparams_cmdline - copy @cmdline to X86_CMDLINE and point the zero
 * page at it. Refused ("cmdline: ...") when longer than the header's
 * cmdline_size or the X86_CMDLINE_MAX window.
 */
int x86_bootparams_cmdline(struct guest_mem *gm, uint8_t *zp, const char *cmdline,
			   struct husk_error **err);

/* x86_e820_add - append one entry; -ENOSPC when the 128-entry table is full. */
int x86_e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type, struct husk_error **err);

/*
 * x86_bootparams_e820 - RAM below 640 KiB minus the EBDA, RAM from 1 MiB
 * to the end of region 0, and region 1 (above 4 GiB) if any.
 */
int x86_bootparams_e820(const struct guest_mem *gm, uint8_t *zp, struct husk_error **err);

/*
 * x86_bootparams_initrd - copy @initrd as high as possible below both the
 * header's initrd_addr_max and the end of RAM below the hole, page
 * aligned, not overlapping [@kstart, @kend); record it in the zero page
 * and return its address in *@addr.
 */
int x86_bootparams_initrd(struct guest_mem *gm, uint8_t *zp, const void *initrd, size_t len,
			  uint64_t kstart, uint64_t kend, uint64_t *addr, struct husk_error **err);

#endif
