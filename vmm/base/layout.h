/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.h - every guest-physical address husk uses on x86-64, with why.
 * It sits in base/ because every part of the VMM places something in this
 * map (guest RAM around the hole, device windows, the boot structures) and
 * x86-64 is the one architecture husk runs on.
 *
 * Low memory (below 1 MiB) holds the boot structures the VMM writes before
 * the first instruction runs; the kernel goes at or above 1 MiB. The 32-bit
 * MMIO hole [3 GiB, 4 GiB) is never RAM: RAM that does not fit below it
 * continues at 4 GiB. Nothing else in the tree spells these numbers.
 */
#ifndef HUSK_VMM_BASE_LAYOUT_H
#define HUSK_VMM_BASE_LAYOUT_H

#define X86_KiB 0x400ULL
#define X86_MiB 0x100000ULL
#define X86_GiB 0x40000000ULL

/* ---------------------------------------------------------------- RAM */

/* Smallest guest x86_boot_load() accepts: low boot area + some kernel room. */
#define X86_MIN_RAM (2 * X86_MiB)
/*
 * Largest guest RAM: keeps every GPA far below 2^64 so region arithmetic
 * cannot overflow, and is more than a container VM will ever be given.
 */
#define X86_MAX_RAM (1ULL << 40)

/* 32-bit MMIO hole: room for the IOAPIC, LAPIC and virtio-mmio windows. */
#define X86_MMIO_HOLE_START (3 * X86_GiB)
#define X86_MMIO_HOLE_END   (4 * X86_GiB)
/* RAM above the hole starts where 32-bit addressing ends. */
#define X86_HIGH_RAM_START  X86_MMIO_HOLE_END

/* ---------------------------------------------------------------- low boot area */

/* Boot GDT: above the real-mode IVT (0-0x3ff) and BDA (0x400-0x4ff). */
#define X86_BOOT_GDT	     0x500ULL
/* null, null, code 0x10, data 0x18, tss 0x20 (16 bytes in long mode) */
#define X86_BOOT_GDT_ENTRIES 6

/* Zero page (struct boot_params, 4 KiB): handed to the kernel in RSI. */
#define X86_ZERO_PAGE	   0x7000ULL
#define X86_ZERO_PAGE_SIZE 0x1000ULL

/*
 * Initial RSP: the top of the 4 KiB between the zero page and the PML4,
 * 16-byte aligned as the SysV ABI expects at a call boundary.
 */
#define X86_BOOT_STACK 0x8ff0ULL

/*
 * Identity page tables: one PML4, one PDPT and four PDs of 2 MiB pages map
 * [0, 4 GiB), which covers the kernel, zero page, command line and initrd
 * (the 64-bit boot protocol requires those to be identity mapped).
 */
#define X86_BOOT_PML4	  0x9000ULL
#define X86_BOOT_PDPT	  0xa000ULL
#define X86_BOOT_PD	  0xb000ULL /* four consecutive pages */
#define X86_BOOT_PD_COUNT 4
#define X86_BOOT_PT_END	  (X86_BOOT_PD + X86_BOOT_PD_COUNT * 0x1000ULL)

/*
 * Kernel command line: far from the page tables, below the EBDA. 64 KiB is
 * the window; the kernel's own limit (setup header cmdline_size) is usually
 * smaller and is enforced too.
 */
#define X86_CMDLINE	0x20000ULL
#define X86_CMDLINE_MAX 0x10000ULL /* bytes including the NUL */

/*
 * Top of conventional RAM in the e820 map: the last KiB below 640 KiB is
 * the EBDA, where the MP floating pointer lives (the kernel scans
 * 639 KiB..640 KiB for "_MP_", MP spec 1.4 section 4).
 */
#define X86_EBDA_START	  0x9fc00ULL
#define X86_LOW_RAM_END	  X86_EBDA_START
#define X86_MPTABLE_START X86_EBDA_START
/*
 * The MP config table may run past 640 KiB into the legacy VGA/ROM window,
 * which e820 never reports as RAM; stop before the BIOS area (0xf0000) the
 * kernel also scans for a floating pointer.
 */
#define X86_MPTABLE_END	  0xf0000ULL

/* Kernel: the protected-mode code of a bzImage goes at 1 MiB (boot.rst). */
#define X86_HIMEM_START		   X86_MiB
#define X86_KERNEL_LOAD		   X86_HIMEM_START
/* 64-bit entry of a bzImage's protected-mode code, relative to its load. */
#define X86_BZIMAGE_ENTRY64_OFFSET 0x200ULL

/* Initrd is page aligned (boot.rst: "should be page aligned"). */
#define X86_INITRD_ALIGN 0x1000ULL

/* ---------------------------------------------------------------- MMIO hole */

/*
 * virtio-mmio devices: one 4 KiB slot each, at the bottom of the hole, far
 * from the IOAPIC/LAPIC pages at its top.
 */
#define X86_VIRTIO_MMIO_BASE  0xd0000000ULL
#define X86_VIRTIO_MMIO_SLOT  0x1000ULL
/*
 * First GSI for devices: 0-4 are taken by the PIT, keyboard, cascade and
 * the two UARTs (COM2 IRQ 3, COM1 IRQ 4); devices get 5..X86_GSI_MAX.
 */
#define X86_DEVICE_GSI_FIRST  5
#define X86_GSI_MAX	      23 /* IOAPIC has 24 pins */
#define X86_VIRTIO_MMIO_SLOTS (X86_GSI_MAX - X86_DEVICE_GSI_FIRST + 1)

/* The architectural default IOAPIC and local APIC bases (MP spec, SDM). */
#define X86_IOAPIC_BASE 0xfec00000ULL
#define X86_LAPIC_BASE	0xfee00000ULL

/*
 * KVM_SET_TSS_ADDR needs three pages and KVM_SET_IDENTITY_MAP_ADDR one page
 * of guest-physical space that is not RAM, on Intel without unrestricted
 * guest; just below the 4 GiB BIOS area, inside the hole.
 */
#define X86_KVM_IDENTITY_MAP 0xfffbc000ULL
#define X86_KVM_TSS	     0xfffbd000ULL

/* ---------------------------------------------------------------- ports */

/*
 * The guest writes any value to this I/O port to say "boot complete"
 * (husk-init does it before running the workload); boot time is measured
 * to that write. 0x440 is unused by PC legacy devices.
 */
#define HUSK_BOOT_MARKER_PORT 0x440

#endif
