/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootcpu.h - long-mode boot state for vCPU 0: the boot GDT and identity
 * page tables in guest RAM, and the KVM register values that use them.
 */
#ifndef HUSK_VMM_X86_BOOTCPU_H
#define HUSK_VMM_X86_BOOTCPU_H

#include <linux/kvm.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"
#include "vmm/x86/boot_state.h"

/* GDT selectors Linux expects at its 64-bit entry (__BOOT_CS, __BOOT_DS). */
#define X86_BOOT_CS  0x10
#define X86_BOOT_DS  0x18
#define X86_BOOT_TSS 0x20

/*
 * x86_bootcpu_write - write the boot GDT (X86_BOOT_GDT) and the identity
 * page tables (X86_BOOT_PML4..) into @gm and record gdt/cr3 in @st.
 */
int x86_bootcpu_write(struct guest_mem *gm, struct x86_boot_state *st, struct husk_error **err);

/*
 * x86_bootcpu_sregs - set long-mode state in @sregs (read from the vCPU
 * with KVM_GET_SREGS first, so fields not listed keep KVM's values): CR0
 * PE|ET|PG, CR3, CR4 PAE, EFER LME|LMA, flat 64-bit CS and data segments,
 * TR, GDT; the IDT is left empty (limit 0) until the kernel loads its own.
 */
void x86_bootcpu_sregs(const struct x86_boot_state *st, struct kvm_sregs *sregs);

/* x86_bootcpu_regs - zero @regs, then RIP, RSI (zero page), RSP, RFLAGS 0x2. */
void x86_bootcpu_regs(const struct x86_boot_state *st, struct kvm_regs *regs);

#endif
