/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zeropage.h - byte offsets of the fields husk reads and writes in a
 * bzImage setup header and in the zero page (struct boot_params).
 *
 * Both use the same offsets for the setup header (it sits at 0x1f1 in the
 * image and in boot_params), from Documentation/x86/boot.rst "The real-mode
 * kernel header" and Documentation/x86/zero-page.rst. Fields are accessed
 * by offset with explicit little-endian helpers rather than through a
 * packed struct, so a truncated image can be bounds-checked per field.
 */
#ifndef HUSK_VMM_X86_ZEROPAGE_H
#define HUSK_VMM_X86_ZEROPAGE_H

#include <stdint.h>

#include "vmm/base/le.h"

/* setup header (offsets from the start of the image / zero page) */
#define SH_SETUP_SECTS	    0x1f1 /* u8: 0 means 4 */
#define SH_BOOT_FLAG	    0x1fe /* u16: 0xaa55 */
#define SH_JUMP		    0x200 /* u16: jmp; byte 0x201 gives the header end */
#define SH_HEADER	    0x202 /* u32: "HdrS" */
#define SH_VERSION	    0x206 /* u16: protocol version */
#define SH_TYPE_OF_LOADER   0x210 /* u8 */
#define SH_LOADFLAGS	    0x211 /* u8 */
#define SH_RAMDISK_IMAGE    0x218 /* u32 */
#define SH_RAMDISK_SIZE	    0x21c /* u32 */
#define SH_HEAP_END_PTR	    0x224 /* u16 */
#define SH_CMD_LINE_PTR	    0x228 /* u32 (2.02+) */
#define SH_INITRD_ADDR_MAX  0x22c /* u32 (2.03+) */
#define SH_KERNEL_ALIGNMENT 0x230 /* u32 (2.05+) */
#define SH_RELOCATABLE	    0x234 /* u8 */
#define SH_XLOADFLAGS	    0x236 /* u16 (2.12+) */
#define SH_CMDLINE_SIZE	    0x238 /* u32 (2.06+) */
#define SH_PAYLOAD_OFFSET   0x248 /* u32 (2.08+), from the protected-mode code */
#define SH_PAYLOAD_LENGTH   0x24c /* u32 (2.08+) */
#define SH_PREF_ADDRESS	    0x258 /* u64 (2.10+) */
#define SH_INIT_SIZE	    0x260 /* u32 (2.10+) */
#define SH_HANDOVER_OFFSET  0x264 /* u32 (2.11+) */
/* End of the fields protocol 2.12 defines (handover_offset is the last). */
#define SH_END_2_12	    0x268
/* boot_params reserves up to here for the setup header (then edd_mbr_sig). */
#define SH_ZP_LIMIT	    0x290

#define SH_BOOT_FLAG_MAGIC 0xaa55
#define SH_HDRS_MAGIC	   0x53726448 /* "HdrS" little-endian */
#define SH_MIN_VERSION	   0x020c     /* 2.12: xloadflags */
#define SH_ELF_VERSION	   0x020f     /* what we claim for a plain vmlinux */

#define LOADFLAG_LOADED_HIGH  (1u << 0)
#define LOADFLAG_CAN_USE_HEAP (1u << 7)
#define XLF_KERNEL_64	      (1u << 0)
#define LOADER_TYPE_UNDEFINED 0xff /* boot.rst: "0xFF no assigned ID" */

/* boot_params proper */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0 /* u32: high half of ramdisk_image */
#define ZP_EXT_RAMDISK_SIZE  0x0c4
#define ZP_EXT_CMD_LINE_PTR  0x0c8
#define ZP_E820_ENTRIES	     0x1e8 /* u8 */
#define ZP_E820_TABLE	     0x2d0 /* struct boot_e820_entry[128] */
#define ZP_E820_MAX	     128
#define ZP_E820_ENTRY_SIZE   20 /* u64 addr, u64 size, u32 type */

#define E820_TYPE_RAM	   1
#define E820_TYPE_RESERVED 2

#endif
