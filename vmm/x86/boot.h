/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot.h - load a Linux x86-64 kernel into guest memory and describe the
 * vCPU 0 state that enters it (64-bit boot protocol, Documentation/x86/boot.rst
 * "64-bit Boot Protocol").
 *
 * The caller reads the files; this module only sees bytes. Nothing here
 * needs /dev/kvm: x86_boot_load() writes guest RAM (kernel, initrd, command
 * line, zero page with e820, MP table, GDT, identity page tables) and fills
 * a plain struct; x86_bootcpu_regs()/x86_bootcpu_sregs() (x86/bootcpu.h)
 * turn that struct into KVM register state.
 *
 * Typical use by the runtime:
 *
 *	struct x86_boot_state st;
 *	if (x86_boot_load(gm, &cfg, &st, err) < 0)
 *		return -1;		// *err says why
 *	KVM_GET_SREGS; x86_bootcpu_sregs(&st, &sregs); KVM_SET_SREGS;
 *	x86_bootcpu_regs(&st, &regs); KVM_SET_REGS;
 */
#ifndef HUSK_VMM_X86_BOOT_H
#define HUSK_VMM_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"
#include "vmm/x86/boot_state.h"

struct x86_boot_cfg {
	const void *kernel; /* vmlinux or bzImage bytes (required) */
	size_t kernel_len;
	const void *initrd; /* optional; NULL or initrd_len 0 for none */
	size_t initrd_len;
	const char *cmdline;  /* NUL-terminated; NULL means "" */
	unsigned int nr_cpus; /* 1..X86_MAX_CPUS (x86/mptable.h) */
};

/*
 * x86_boot_load - validate @cfg->kernel (an ELF64 x86-64 vmlinux or a
 * bzImage with protocol >= 2.12 and XLF_KERNEL_64) and load everything the
 * 64-bit entry point needs into @gm. Validation happens before any copy; a
 * rejected image leaves @gm's contents unspecified but never touches memory
 * outside it.
 *
 * @gm must be at least X86_MIN_RAM (vmm/base/layout.h) and should be freshly zeroed
 * (guest_mem_init() gives zeroed memory).
 *
 * Returns 0 and fills @out, or -errno with *@err set ("bzImage: ...",
 * "elf: ...", "initrd: ...", "cmdline: ...", "mptable: ...", or
 * "kernel: not an ELF vmlinux or a bzImage").
 */
int x86_boot_load(struct guest_mem *gm, const struct x86_boot_cfg *cfg, struct x86_boot_state *out,
		  struct husk_error **err);

#endif
