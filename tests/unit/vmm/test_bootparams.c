// SPDX-License-Identifier: Apache-2.0
/* test_bootparams.c - vmm/x86/bootparams.c: e820, command line, initrd, header fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/le.h"
#include "tests/lib/unit.h"
#include "vmm/x86/bootparams.h"
#include "vmm/base/layout.h"
#include "vmm/x86/zeropage.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static uint8_t zp[X86_ZERO_PAGE_SIZE];

static void e820_at(unsigned int i, uint64_t *addr, uint64_t *size, uint32_t *type)
{
	const uint8_t *e = zp + ZP_E820_TABLE + i * ZP_E820_ENTRY_SIZE;

	*addr = le64_get(e);
	*size = le64_get(e + 8);
	*type = le32_get(e + 16);
}

static void expect_e820(unsigned int i, uint64_t addr, uint64_t size)
{
	uint64_t a, s;
	uint32_t t;

	e820_at(i, &a, &s, &t);
	ck_assert_uint_eq(a, addr);
	ck_assert_uint_eq(s, size);
	ck_assert_uint_eq(t, E820_TYPE_RAM);
}

START_TEST(bp_e820_small)
{
	struct guest_mem gm;

	memset(zp, 0, sizeof(zp));
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_bootparams_e820(&gm, zp, NULL), 0);
	ck_assert_uint_eq(zp[ZP_E820_ENTRIES], 2);
	expect_e820(0, 0, 0x9fc00);
	expect_e820(1, MiB, 63 * MiB);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bp_e820_above_hole)
{
	struct guest_mem gm;

	memset(zp, 0, sizeof(zp));
	ck_assert_int_eq(guest_mem_init(&gm, 4 * GiB, 0, NULL), 0);
	ck_assert_int_eq(x86_bootparams_e820(&gm, zp, NULL), 0);
	ck_assert_uint_eq(zp[ZP_E820_ENTRIES], 3);
	expect_e820(0, 0, 0x9fc00);
	expect_e820(1, MiB, 3 * GiB - MiB);
	expect_e820(2, 4 * GiB, GiB);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bp_e820_too_small_ram)
{
	struct guest_mem gm;
	struct husk_error *e = NULL;

	memset(zp, 0, sizeof(zp));
	ck_assert_int_eq(guest_mem_init(&gm, MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_bootparams_e820(&gm, zp, &e), -EINVAL);
	husk_error_free(e);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bp_e820_full)
{
	struct husk_error *e = NULL;
	unsigned int i;

	memset(zp, 0, sizeof(zp));
	for (i = 0; i < ZP_E820_MAX; i++)
		ck_assert_int_eq(x86_e820_add(zp, i * 0x1000ULL, 0x1000, 1, NULL), 0);
	ck_assert_int_eq(x86_e820_add(zp, 0, 1, 1, &e), -ENOSPC);
	ck_assert_str_eq(husk_error_message(e), "e820: table full (128 entries): "
						"No space left on device");
	ck_assert_uint_eq(zp[ZP_E820_ENTRIES], ZP_E820_MAX);
	/* nothing written past the table, which ends at 0xcd0 */
	ck_assert_uint_eq(zp[ZP_E820_TABLE + ZP_E820_MAX * ZP_E820_ENTRY_SIZE], 0);
	husk_error_free(e);
}
END_TEST

START_TEST(bp_cmdline)
{
	struct guest_mem gm;
	struct husk_error *e = NULL;
	char *line;

	memset(zp, 0, sizeof(zp));
	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB, 0, NULL), 0);
	le32_put(zp + SH_CMDLINE_SIZE, 10);
	ck_assert_int_eq(x86_bootparams_cmdline(&gm, zp, "0123456789", NULL), 0);
	ck_assert_str_eq((char *)gm.base + X86_CMDLINE, "0123456789");
	ck_assert_uint_eq(le32_get(zp + SH_CMD_LINE_PTR), X86_CMDLINE);
	ck_assert_int_eq(x86_bootparams_cmdline(&gm, zp, "0123456789A", &e), -EINVAL);
	ck_assert_str_eq(husk_error_message(e),
			 "cmdline: 11 bytes, longer than the kernel's limit of 10");
	ck_assert_int_eq(x86_bootparams_cmdline(&gm, zp, NULL, NULL), 0);
	ck_assert_str_eq((char *)gm.base + X86_CMDLINE, "");
	/* the window bounds it even when the kernel claims more */
	le32_put(zp + SH_CMDLINE_SIZE, 0xffffffff);
	line = malloc(X86_CMDLINE_MAX + 1);
	memset(line, 'a', X86_CMDLINE_MAX);
	line[X86_CMDLINE_MAX] = 0;
	ck_assert_int_eq(x86_bootparams_cmdline(&gm, zp, line, &e), -EINVAL);
	line[X86_CMDLINE_MAX - 1] = 0;
	ck_assert_int_eq(x86_bootparams_cmdline(&gm, zp, line, NULL), 0);
	free(line);
	husk_error_free(e);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bp_minimal_and_loader_fields)
{
	memset(zp, 0, sizeof(zp));
	x86_bootparams_minimal_hdr(zp);
	x86_bootparams_loader(zp);
	ck_assert_uint_eq(le16_get(zp + SH_BOOT_FLAG), 0xaa55);
	ck_assert_uint_eq(le32_get(zp + SH_HEADER), SH_HDRS_MAGIC);
	ck_assert_uint_eq(le16_get(zp + SH_VERSION), 0x020f);
	ck_assert_uint_eq(zp[SH_TYPE_OF_LOADER], 0xff);
	ck_assert_uint_eq(zp[SH_LOADFLAGS], LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP);
	ck_assert_uint_eq(le16_get(zp + SH_HEAP_END_PTR), 0xfe00);
	ck_assert_uint_eq(le32_get(zp + SH_KERNEL_ALIGNMENT), 0x200000);
	ck_assert_uint_eq(le32_get(zp + SH_INITRD_ADDR_MAX), 0x7fffffff);
	ck_assert_uint_gt(le32_get(zp + SH_CMDLINE_SIZE), 2047);
}
END_TEST

static uint8_t *initrd_buf(size_t len)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7);
	return p;
}

START_TEST(bp_initrd_high_and_aligned)
{
	struct guest_mem gm;
	size_t len = 300 * 1000; /* not a page multiple */
	uint8_t *rd = initrd_buf(len);
	uint64_t a = 0;

	memset(zp, 0, sizeof(zp));
	x86_bootparams_minimal_hdr(zp);
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_bootparams_initrd(&gm, zp, rd, len, MiB, 8 * MiB, &a, NULL), 0);
	ck_assert_uint_eq(a % 4096, 0);
	ck_assert_uint_le(a + len, 64 * MiB);
	ck_assert_uint_gt(a + len + 4096, 64 * MiB); /* as high as possible */
	ck_assert_mem_eq(gm.base + a, rd, len);
	ck_assert_uint_eq(le32_get(zp + SH_RAMDISK_IMAGE), a);
	ck_assert_uint_eq(le32_get(zp + SH_RAMDISK_SIZE), len);
	ck_assert_uint_eq(le32_get(zp + ZP_EXT_RAMDISK_IMAGE), 0);
	free(rd);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bp_initrd_below_addr_max)
{
	struct guest_mem gm;
	size_t len = 1 * MiB;
	uint8_t *rd = initrd_buf(len);
	uint64_t a = 0;

	memset(zp, 0, sizeof(zp));
	le32_put(zp + SH_INITRD_ADDR_MAX, 32 * MiB - 1); /* last usable byte */
	ck_assert_int_eq(guest_mem_init(&gm, 256 * MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_bootparams_initrd(&gm, zp, rd, len, MiB, 2 * MiB, &a, NULL), 0);
	ck_assert_uint_eq(a, 31 * MiB);
	free(rd);
	guest_mem_fini(&gm);
}
END_TEST

START_TEST(bp_initrd_avoids_kernel)
{
	struct guest_mem gm;
	size_t len = 2 * MiB;
	uint8_t *rd = initrd_buf(len);
	struct husk_error *e = NULL;
	uint64_t a = 0;

	memset(zp, 0, sizeof(zp));
	x86_bootparams_minimal_hdr(zp);
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB, 0, NULL), 0);
	/* kernel takes the top half: the initrd goes right below it */
	ck_assert_int_eq(x86_bootparams_initrd(&gm, zp, rd, len, 32 * MiB, 64 * MiB, &a, NULL), 0);
	ck_assert_uint_eq(a, 30 * MiB);
	/* kernel everywhere: no room */
	ck_assert_int_eq(x86_bootparams_initrd(&gm, zp, rd, len, MiB, 63 * MiB, &a, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "initrd: "));
	/* larger than RAM */
	ck_assert_int_eq(x86_bootparams_initrd(&gm, zp, rd, 128 * MiB, MiB, 2 * MiB, &a, &e),
			 -EINVAL);
	/* initrd_addr_max below 1 MiB + size */
	le32_put(zp + SH_INITRD_ADDR_MAX, 2 * MiB);
	ck_assert_int_eq(x86_bootparams_initrd(&gm, zp, rd, len, 4 * MiB, 8 * MiB, &a, &e),
			 -EINVAL);
	husk_error_free(e);
	free(rd);
	guest_mem_fini(&gm);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bootparams");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, bp_e820_small);
	tcase_add_test(tc, bp_e820_above_hole);
	tcase_add_test(tc, bp_e820_too_small_ram);
	tcase_add_test(tc, bp_e820_full);
	tcase_add_test(tc, bp_cmdline);
	tcase_add_test(tc, bp_minimal_and_loader_fields);
	tcase_add_test(tc, bp_initrd_high_and_aligned);
	tcase_add_test(tc, bp_initrd_below_addr_max);
	tcase_add_test(tc, bp_initrd_avoids_kernel);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
