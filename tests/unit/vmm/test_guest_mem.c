// SPDX-License-Identifier: Apache-2.0
/* test_guest_mem.c - vmm/base/guest_mem.c: regions, bounds, overflow, copies, alignment. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/base/guest_mem.h"
#include "tests/lib/unit.h"
#include "vmm/base/layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

START_TEST(gm_small_is_one_region)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB, 0, NULL), 0);
	ck_assert_uint_eq(gm.nr_regions, 1);
	ck_assert_uint_eq(gm.regions[0].gpa, 0);
	ck_assert_uint_eq(gm.regions[0].size, 64 * MiB);
	ck_assert_uint_eq(gm.ram_size, 64 * MiB);
	ck_assert_int_eq(gm.memfd, -1);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_large_splits_at_hole)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 4 * GiB, 0, NULL), 0);
	ck_assert_uint_eq(gm.nr_regions, 2);
	ck_assert_uint_eq(gm.regions[0].size, X86_MMIO_HOLE_START);
	ck_assert_uint_eq(gm.regions[1].gpa, 4 * GiB);
	ck_assert_uint_eq(gm.regions[1].size, 1 * GiB);
	ck_assert_uint_eq(gm.regions[1].fd_offset, X86_MMIO_HOLE_START);
	ck_assert_ptr_eq(gm.regions[1].hva, gm.base + X86_MMIO_HOLE_START);
	/* the hole itself is not RAM */
	ck_assert(!guest_mem_valid(&gm, X86_MMIO_HOLE_START, 1));
	ck_assert(!guest_mem_valid(&gm, X86_IOAPIC_BASE, 4));
	ck_assert(guest_mem_valid(&gm, 5 * GiB - 4096, 4096));
	ck_assert(!guest_mem_valid(&gm, 5 * GiB - 4096, 4097));
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_exactly_hole_is_one_region)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, X86_MMIO_HOLE_START, 0, NULL), 0);
	ck_assert_uint_eq(gm.nr_regions, 1);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_bounds)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 2 * MiB, 0, NULL), 0);
	ck_assert_ptr_eq(guest_mem_ptr(&gm, 0, 2 * MiB), gm.base);
	ck_assert_ptr_eq(guest_mem_ptr(&gm, 0x1000, 8), gm.base + 0x1000);
	ck_assert_ptr_nonnull(guest_mem_ptr(&gm, 2 * MiB, 0)); /* empty, at the end */
	ck_assert_ptr_null(guest_mem_ptr(&gm, 2 * MiB, 1));
	ck_assert_ptr_null(guest_mem_ptr(&gm, 2 * MiB + 1, 0));
	ck_assert_ptr_null(guest_mem_ptr(&gm, 0, 2 * MiB + 1));
	ck_assert_ptr_null(guest_mem_ptr(&gm, 2 * MiB - 1, 2));
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_overflow)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 4 * GiB, 0, NULL), 0);
	ck_assert_ptr_null(guest_mem_ptr(&gm, 0x1000, UINT64_MAX));
	ck_assert_ptr_null(guest_mem_ptr(&gm, UINT64_MAX, 1));
	ck_assert_ptr_null(guest_mem_ptr(&gm, UINT64_MAX - 0xfff, 0x2000));
	ck_assert_ptr_null(guest_mem_ptr(&gm, 4 * GiB + 8, UINT64_MAX - 4));
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_crossing_regions_refused)
{
	struct guest_mem gm;
	uint8_t buf[16];

	ck_assert_int_eq(guest_mem_init(&gm, 4 * GiB, 0, NULL), 0);
	/* contiguous in the host mapping, but not in guest-physical space */
	ck_assert_ptr_null(guest_mem_ptr(&gm, X86_MMIO_HOLE_START - 8, 16));
	ck_assert_int_eq(guest_mem_read(&gm, X86_MMIO_HOLE_START - 8, buf, 16), -EFAULT);
	ck_assert_ptr_null(guest_mem_ptr(&gm, 4 * GiB - 8, 16));
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_copy_roundtrip)
{
	struct guest_mem gm;
	const char msg[] = "husk";
	char back[sizeof(msg)];

	ck_assert_int_eq(guest_mem_init(&gm, 4 * GiB, 0, NULL), 0);
	ck_assert_int_eq(guest_mem_write(&gm, 4 * GiB + 123, msg, sizeof(msg)), 0);
	ck_assert_int_eq(guest_mem_read(&gm, 4 * GiB + 123, back, sizeof(back)), 0);
	ck_assert_str_eq(back, msg);
	ck_assert_mem_eq(gm.base + X86_MMIO_HOLE_START + 123, msg, sizeof(msg));
	ck_assert_int_eq(guest_mem_write(&gm, 5 * GiB - 2, msg, sizeof(msg)), -EFAULT);
	ck_assert_int_eq(guest_mem_read(&gm, 5 * GiB, back, 0), 0);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(gm_memfd)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 8 * MiB, GUEST_MEM_MEMFD, NULL), 0);
	ck_assert_int_ge(gm.memfd, 0);
	ck_assert_int_eq(guest_mem_write(&gm, 0x1000, "x", 1), 0);
	guest_mem_fini(&gm);
	ck_assert_int_eq(gm.memfd, -1);
	ck_assert_ptr_null(gm.base);
}
END_TEST

/*
 * Guest RAM starts on a 2 MiB boundary (KVM can then map it to the guest
 * with 2 MiB pages), anonymous or memfd-backed, and nothing of the
 * alignment slop stays mapped after it.
 */
START_TEST(gm_base_is_2mib_aligned)
{
	const uint64_t sizes[] = { 1 * MiB, 8 * MiB + 4096, 256 * MiB };
	const unsigned int flags[] = { 0, GUEST_MEM_MEMFD, GUEST_MEM_HUGEPAGES };
	struct guest_mem gm;
	char back = 0;
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizeof(flags) / sizeof(flags[0]); j++) {
			ck_assert_int_eq(guest_mem_init(&gm, sizes[i], flags[j], NULL), 0);
			ck_assert_uint_eq((uintptr_t)gm.base % (2 * MiB), 0);
			ck_assert_int_eq(guest_mem_write(&gm, sizes[i] - 1, "y", 1), 0);
			/* The page after guest RAM was reservation slop: unmapped now. */
			errno = 0;
			ck_assert_int_eq(msync(gm.base + sizes[i], 4096, MS_ASYNC), -1);
			ck_assert_int_eq(errno, ENOMEM);
			if (flags[j] & GUEST_MEM_MEMFD) {
				/* The mapping is the memfd's, not the reservation's. */
				ck_assert_int_eq(pread(gm.memfd, &back, 1, (off_t)sizes[i] - 1), 1);
				ck_assert_int_eq(back, 'y');
			}
			guest_mem_fini(&gm);
		}
	}
}
END_TEST

START_TEST(gm_bad_sizes)
{
	struct guest_mem gm;
	struct husk_error *e = NULL;

	ck_assert_int_eq(guest_mem_init(&gm, 0, 0, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "guest memory"));
	ck_assert_int_eq(guest_mem_init(&gm, MiB - 4096, 0, &e), -EINVAL);
	ck_assert_int_eq(guest_mem_init(&gm, 2 * MiB + 1, 0, &e), -EINVAL);
	ck_assert_int_eq(guest_mem_init(&gm, UINT64_MAX & ~0xfffULL, 0, &e), -EINVAL);
	ck_assert_int_eq(guest_mem_init(&gm, 2 * MiB, 1u << 7, &e), -EINVAL);
	ck_assert_ptr_null(gm.base);
	guest_mem_fini(&gm);
	husk_error_free(e);
}
END_TEST

START_TEST(gm_fini_zeroed)
{
	struct guest_mem gm;

	memset(&gm, 0, sizeof(gm));
	guest_mem_fini(&gm);
	guest_mem_fini(&gm);
	ck_assert_ptr_null(guest_mem_ptr(&gm, 0, 0));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("guest_mem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, gm_small_is_one_region);
	tcase_add_test(tc, gm_large_splits_at_hole);
	tcase_add_test(tc, gm_exactly_hole_is_one_region);
	tcase_add_test(tc, gm_bounds);
	tcase_add_test(tc, gm_overflow);
	tcase_add_test(tc, gm_crossing_regions_refused);
	tcase_add_test(tc, gm_copy_roundtrip);
	tcase_add_test(tc, gm_memfd);
	tcase_add_test(tc, gm_base_is_2mib_aligned);
	tcase_add_test(tc, gm_bad_sizes);
	tcase_add_test(tc, gm_fini_zeroed);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
