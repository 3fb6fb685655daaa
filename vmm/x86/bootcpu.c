// SPDX-License-Identifier: Apache-2.0
/*
 * bootcpu.c - the state Linux's 64-bit entry expects (boot.rst "64-bit
 * Boot Protocol"): long mode with paging, a GDT with __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) flat segments, identity-mapped low memory, RSI -> zero
 * page, interrupts off.
 */
#include <string.h>

#include "vmm/base/le.h"
#include "vmm/x86/bootcpu.h"
#include "vmm/base/layout.h"

#define CR0_PE	 (1ULL << 0)
#define CR0_ET	 (1ULL << 4)
#define CR0_PG	 (1ULL << 31)
#define CR4_PAE	 (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define PTE_P	   (1ULL << 0)
#define PTE_RW	   (1ULL << 1)
#define PTE_PS	   (1ULL << 7) /* in a PD entry: a 2 MiB page */
#define PAGE_2M	   (2ULL << 20)
#define PT_ENTRIES 512

#define RFLAGS_RESERVED 0x2 /* bit 1 always reads as 1 */

/* A GDT descriptor in the terms the SDM (vol. 3, 3.4.5) defines it. */
struct bootcpu_seg {
	uint16_t selector;
	uint8_t type; /* 4-bit type field */
	uint8_t s;    /* 1: code/data, 0: system */
	uint8_t l, db, g;
	uint32_t limit; /* 20-bit raw limit */
};

static const struct bootcpu_seg bootcpu_code = {
	.selector = X86_BOOT_CS,
	.type = 0xb,
	.s = 1,
	.l = 1,
	.g = 1,
	.limit = 0xfffff,
};
static const struct bootcpu_seg bootcpu_data = {
	.selector = X86_BOOT_DS,
	.type = 0x3,
	.s = 1,
	.db = 1,
	.g = 1,
	.limit = 0xfffff,
};
/* A busy 64-bit TSS: VM entry requires a usable TR even if never used. */
static const struct bootcpu_seg bootcpu_tss = {
	.selector = X86_BOOT_TSS,
	.type = 0xb,
	.limit = 0x67,
};

static uint64_t bootcpu_desc(const struct bootcpu_seg *sg)
{
	uint64_t access = 0x80 | (uint64_t)sg->s << 4 | sg->type; /* P=1, DPL 0 */
	uint64_t flags = (uint64_t)sg->g << 3 | (uint64_t)sg->db << 2 | (uint64_t)sg->l << 1;

	/* base is 0 for every boot segment */
	return (sg->limit & 0xffffULL) | access << 40 | (uint64_t)((sg->limit >> 16) & 0xf) << 48 |
	       flags << 52;
}

static void bootcpu_kvm_seg(const struct bootcpu_seg *sg, struct kvm_segment *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->base = 0;
	ks->limit = sg->g ? (sg->limit << 12) | 0xfff : sg->limit;
	ks->selector = sg->selector;
	ks->type = sg->type;
	ks->present = 1;
	ks->s = sg->s;
	ks->l = sg->l;
	ks->db = sg->db;
	ks->g = sg->g;
}

static int bootcpu_write_gdt(struct guest_mem *gm, struct husk_error **err)
{
	uint8_t gdt[X86_BOOT_GDT_ENTRIES * 8] = { 0 };

	le64_put(gdt + X86_BOOT_CS, bootcpu_desc(&bootcpu_code));
	le64_put(gdt + X86_BOOT_DS, bootcpu_desc(&bootcpu_data));
	le64_put(gdt + X86_BOOT_TSS, bootcpu_desc(&bootcpu_tss));
	/* the TSS's second half (base 63:32) stays zero */
	if (guest_mem_write(gm, X86_BOOT_GDT, gdt, sizeof(gdt)) < 0)
		return husk_err(err, 0, "boot cpu: GDT at 0x%llx not in guest RAM",
				(unsigned long long)X86_BOOT_GDT);
	return 0;
}

/* PML4[0] -> PDPT; PDPT[0..3] -> PDs; each PD maps 1 GiB with 2 MiB pages. */
static int bootcpu_write_pagetables(struct guest_mem *gm, struct husk_error **err)
{
	uint8_t *pt = guest_mem_ptr(gm, X86_BOOT_PML4, X86_BOOT_PT_END - X86_BOOT_PML4);
	uint8_t *pdpt, *pd;
	unsigned int i;

	if (!pt)
		return husk_err(err, 0, "boot cpu: page tables at 0x%llx not in guest RAM",
				(unsigned long long)X86_BOOT_PML4);
	memset(pt, 0, X86_BOOT_PT_END - X86_BOOT_PML4);
	pdpt = pt + (X86_BOOT_PDPT - X86_BOOT_PML4);
	pd = pt + (X86_BOOT_PD - X86_BOOT_PML4);
	le64_put(pt, X86_BOOT_PDPT | PTE_P | PTE_RW);
	for (i = 0; i < X86_BOOT_PD_COUNT; i++)
		le64_put(pdpt + i * 8, (X86_BOOT_PD + i * 0x1000ULL) | PTE_P | PTE_RW);
	for (i = 0; i < X86_BOOT_PD_COUNT * PT_ENTRIES; i++)
		le64_put(pd + i * 8, i * PAGE_2M | PTE_P | PTE_RW | PTE_PS);
	return 0;
}

int x86_bootcpu_write(struct guest_mem *gm, struct x86_boot_state *st, struct husk_error **err)
{
	int ret = bootcpu_write_gdt(gm, err);

	if (!ret)
		ret = bootcpu_write_pagetables(gm, err);
	if (ret < 0)
		return ret;
	st->gdt_base = X86_BOOT_GDT;
	st->gdt_limit = X86_BOOT_GDT_ENTRIES * 8 - 1;
	st->cr3 = X86_BOOT_PML4;
	st->rsp = X86_BOOT_STACK;
	return 0;
}

void x86_bootcpu_sregs(const struct x86_boot_state *st, struct kvm_sregs *sregs)
{
	struct kvm_segment data;

	bootcpu_kvm_seg(&bootcpu_code, &sregs->cs);
	bootcpu_kvm_seg(&bootcpu_data, &data);
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	bootcpu_kvm_seg(&bootcpu_tss, &sregs->tr);
	sregs->gdt.base = st->gdt_base;
	sregs->gdt.limit = st->gdt_limit;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	/* CD/NW from reset are cleared: caches on, as firmware would leave them. */
	sregs->cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs->cr3 = st->cr3;
	sregs->cr4 = CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;
}

void x86_bootcpu_regs(const struct x86_boot_state *st, struct kvm_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	regs->rip = st->rip;
	regs->rsi = st->rsi;
	regs->rsp = st->rsp;
	regs->rbp = st->rsp;
	regs->rflags = RFLAGS_RESERVED;
}
