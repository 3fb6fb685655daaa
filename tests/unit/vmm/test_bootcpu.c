// SPDX-License-Identifier: Apache-2.0
/* test_bootcpu.c - vmm/x86/bootcpu.c: GDT, identity map, register values. */
#include <string.h>

#include "vmm/base/le.h"
#include "tests/lib/unit.h"
#include "vmm/x86/bootcpu.h"
#include "vmm/base/layout.h"

#define MiB (1ULL << 20)

START_TEST(bootcpu_gdt_and_pagetables)
{
	struct guest_mem gm;
	struct x86_boot_state st = { 0 };
	const uint8_t *gdt, *pd;
	unsigned int i;

	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_bootcpu_write(&gm, &st, NULL), 0);
	gdt = gm.base + X86_BOOT_GDT;
	ck_assert_uint_eq(le64_get(gdt), 0);
	ck_assert_uint_eq(le64_get(gdt + 8), 0);
	ck_assert_uint_eq(le64_get(gdt + 0x10), 0x00af9b000000ffffULL); /* code64 */
	ck_assert_uint_eq(le64_get(gdt + 0x18), 0x00cf93000000ffffULL); /* data */
	ck_assert_uint_eq(le64_get(gdt + 0x20), 0x00008b0000000067ULL); /* busy TSS */
	ck_assert_uint_eq(st.gdt_limit, 6 * 8 - 1);
	ck_assert_uint_eq(le64_get(gm.base + X86_BOOT_PML4), X86_BOOT_PDPT | 3);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(le64_get(gm.base + X86_BOOT_PDPT + i * 8),
				  (X86_BOOT_PD + i * 0x1000ULL) | 3);
	ck_assert_uint_eq(le64_get(gm.base + X86_BOOT_PDPT + 32), 0);
	pd = gm.base + X86_BOOT_PD;
	ck_assert_uint_eq(le64_get(pd), 0x83);
	ck_assert_uint_eq(le64_get(pd + 8), 2 * MiB | 0x83);
	/* the last 2 MiB page below 4 GiB */
	ck_assert_uint_eq(le64_get(pd + (4 * 512 - 1) * 8), (4ULL << 30) - 2 * MiB + 0x83);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bootcpu_registers)
{
	struct x86_boot_state st = {
		.rip = 0x1000000,
		.rsi = X86_ZERO_PAGE,
		.rsp = X86_BOOT_STACK,
		.cr3 = X86_BOOT_PML4,
		.gdt_base = X86_BOOT_GDT,
		.gdt_limit = 47,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memset(&sregs, 0xa5, sizeof(sregs));
	memset(&regs, 0xa5, sizeof(regs));
	x86_bootcpu_sregs(&st, &sregs);
	x86_bootcpu_regs(&st, &regs);
	ck_assert_uint_eq(sregs.cr0, 0x80000011ULL);
	ck_assert_uint_eq(sregs.cr3, X86_BOOT_PML4);
	ck_assert_uint_eq(sregs.cr4, 0x20);
	ck_assert_uint_eq(sregs.efer, 0x500);
	ck_assert_uint_eq(sregs.cs.selector, 0x10);
	ck_assert_uint_eq(sregs.cs.l, 1);
	ck_assert_uint_eq(sregs.cs.db, 0);
	ck_assert_uint_eq(sregs.cs.type, 0xb);
	ck_assert_uint_eq(sregs.cs.limit, 0xffffffff);
	ck_assert_uint_eq(sregs.ds.selector, 0x18);
	ck_assert_uint_eq(sregs.ss.selector, 0x18);
	ck_assert_uint_eq(sregs.ss.db, 1);
	ck_assert_uint_eq(sregs.tr.selector, 0x20);
	ck_assert_uint_eq(sregs.tr.type, 0xb);
	ck_assert_uint_eq(sregs.tr.s, 0);
	ck_assert_uint_eq(sregs.gdt.base, X86_BOOT_GDT);
	ck_assert_uint_eq(sregs.gdt.limit, 47);
	ck_assert_uint_eq(regs.rip, 0x1000000);
	ck_assert_uint_eq(regs.rsi, X86_ZERO_PAGE);
	ck_assert_uint_eq(regs.rsp, X86_BOOT_STACK);
	ck_assert_uint_eq(regs.rflags, 2);
	ck_assert_uint_eq(regs.rax, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bootcpu");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, bootcpu_gdt_and_pagetables);
	tcase_add_test(tc, bootcpu_registers);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
