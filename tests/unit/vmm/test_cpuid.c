// SPDX-License-Identifier: Apache-2.0
/* test_cpuid.c - vmm/x86/cpuid.c: patches applied to a synthetic host table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/x86/cpuid.h"
#include "tests/lib/unit.h"

static void add(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx, uint32_t flags, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	*e = (struct kvm_cpuid_entry2){ .function = fn,
					.index = idx,
					.flags = flags,
					.eax = eax,
					.ebx = ebx,
					.ecx = ecx,
					.edx = edx };
}

/* Shaped like an Intel host's KVM_GET_SUPPORTED_CPUID, trimmed. */
static struct kvm_cpuid2 *intel_table(void)
{
	const uint32_t si = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	struct kvm_cpuid2 *c = cpuid_alloc();

	ck_assert_ptr_nonnull(c);
	add(c, 0, 0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(c, 1, 0, 0, 0x806c1, 0x00ff0800, 0x7ffafbff, 0xbfebfbff);
	add(c, 4, 0, si, 0x1c004121, 0, 0, 0); /* L1d */
	add(c, 4, 1, si, 0x1c004122, 0, 0, 0); /* L1i */
	add(c, 4, 2, si, 0x1c004143, 0, 0, 0); /* L2 */
	add(c, 4, 3, si, 0x1c03c163, 0, 0, 0); /* L3 */
	add(c, 4, 4, si, 0, 0, 0, 0);	       /* end */
	add(c, 0xb, 0, si, 1, 2, 0x100, 7);
	add(c, 0x1f, 0, si, 1, 2, 0x100, 7);
	add(c, 0x40000001, 0, 0, 0x01007afb, 0, 0, 0);
	return c;
}

START_TEST(cpuid_hypervisor_bit_and_apic_id)
{
	struct kvm_cpuid2 *c = intel_table();
	struct kvm_cpuid_entry2 *e;

	ck_assert_int_eq(cpuid_patch(c, 3, 4), 0);
	e = cpuid_find(c, 1, 0);
	ck_assert_uint_eq(e->ecx & CPUID_1_ECX_HYPERVISOR, CPUID_1_ECX_HYPERVISOR);
	ck_assert_uint_eq(e->ebx >> 24, 3);
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 4);
	ck_assert_uint_eq(e->ebx & 0xffff, 0x0800); /* CLFLUSH size kept */
	ck_assert_uint_eq(e->edx & CPUID_1_EDX_HTT, CPUID_1_EDX_HTT);
	free(c);
}
END_TEST

START_TEST(cpuid_single_cpu_has_no_htt)
{
	struct kvm_cpuid2 *c = intel_table();
	struct kvm_cpuid_entry2 *e;

	ck_assert_int_eq(cpuid_patch(c, 0, 1), 0);
	e = cpuid_find(c, 1, 0);
	ck_assert_uint_eq(e->edx & CPUID_1_EDX_HTT, 0);
	ck_assert_uint_eq(e->ebx >> 16, 1);
	free(c);
}
END_TEST

START_TEST(cpuid_kvm_signature_leaves)
{
	struct kvm_cpuid2 *c = intel_table();
	struct kvm_cpuid_entry2 *e;
	char sig[13] = { 0 };

	ck_assert_ptr_null(cpuid_find(c, CPUID_LEAF_KVM_SIG, 0));
	ck_assert_int_eq(cpuid_patch(c, 0, 1), 0);
	e = cpuid_find(c, CPUID_LEAF_KVM_SIG, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->eax, CPUID_LEAF_KVM_FEATURES);
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	ck_assert_mem_eq(sig, "KVMKVMKVM\0\0\0", 12);
	/* The feature leaf is what KVM reported, untouched. */
	ck_assert_uint_eq(cpuid_find(c, CPUID_LEAF_KVM_FEATURES, 0)->eax, 0x01007afb);
	free(c);
}
END_TEST

START_TEST(cpuid_topology_leaves)
{
	struct kvm_cpuid2 *c = intel_table();
	struct kvm_cpuid_entry2 *e;
	uint32_t leaf;

	ck_assert_int_eq(cpuid_patch(c, 5, 6), 0);
	for (leaf = 0xb; leaf <= 0x1f; leaf += 0x1f - 0xb) {
		e = cpuid_find(c, leaf, 0);
		ck_assert_uint_eq(e->eax, 0);
		ck_assert_uint_eq(e->ebx, 1);
		ck_assert_uint_eq(e->ecx, (CPUID_TOPO_SMT << 8) | 0);
		ck_assert_uint_eq(e->edx, 5);
		e = cpuid_find(c, leaf, 1);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->eax, 3); /* 6 cores need 3 ID bits */
		ck_assert_uint_eq(e->ebx, 6);
		ck_assert_uint_eq(e->ecx, (CPUID_TOPO_CORE << 8) | 1);
		ck_assert_uint_eq(e->edx, 5);
		e = cpuid_find(c, leaf, 2);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq((e->ecx >> 8) & 0xff, CPUID_TOPO_INVALID);
	}
	/* Leaf 4: 8 addressable core IDs; L1/L2 private, L3 shared. */
	e = cpuid_find(c, 4, 0);
	ck_assert_uint_eq(e->eax >> 26, 7);
	ck_assert_uint_eq((e->eax >> 14) & 0xfff, 0);
	ck_assert_uint_eq(e->eax & 0x3fff, 0x0121);
	e = cpuid_find(c, 4, 3);
	ck_assert_uint_eq(e->eax >> 26, 7);
	ck_assert_uint_eq((e->eax >> 14) & 0xfff, 7);
	ck_assert_uint_eq(cpuid_find(c, 4, 4)->eax, 0);
	free(c);
}
END_TEST

START_TEST(cpuid_amd_core_count)
{
	struct kvm_cpuid2 *c = cpuid_alloc();
	struct kvm_cpuid_entry2 *e;

	add(c, 0, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
	add(c, 1, 0, 0, 0, 0, 0, 0);
	add(c, 0x80000008, 0, 0, 0x3030, 0, 0xf00f, 0);
	ck_assert_int_eq(cpuid_patch(c, 1, 3), 0);
	e = cpuid_find(c, 0x80000008, 0);
	ck_assert_uint_eq(e->ecx & 0xff, 2);
	ck_assert_uint_eq((e->ecx >> 12) & 0xf, 2);
	/* No 0xB on this host: none invented. */
	ck_assert_ptr_null(cpuid_find(c, 0xb, 0));
	free(c);
}
END_TEST

START_TEST(cpuid_full_table_is_enospc)
{
	struct kvm_cpuid2 *c = cpuid_alloc();

	while (c->nent < CPUID_MAX_ENTRIES)
		add(c, 0x80000000 + c->nent, 0, 0, 0, 0, 0, 0);
	ck_assert_int_eq(cpuid_patch(c, 0, 1), -ENOSPC);
	free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, cpuid_hypervisor_bit_and_apic_id);
	tcase_add_test(tc, cpuid_single_cpu_has_no_htt);
	tcase_add_test(tc, cpuid_kvm_signature_leaves);
	tcase_add_test(tc, cpuid_topology_leaves);
	tcase_add_test(tc, cpuid_amd_core_count);
	tcase_add_test(tc, cpuid_full_table_is_enospc);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
