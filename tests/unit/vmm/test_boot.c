// SPDX-License-Identifier: Apache-2.0
/* test_boot.c - vmm/x86/boot.c: x86_boot_load() end to end on synthetic kernels. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/images.h"
#include "vmm/base/le.h"
#include "tests/lib/unit.h"
#include "vmm/x86/boot.h"
#include "vmm/base/layout.h"
#include "vmm/x86/zeropage.h"

#define MiB (1ULL << 20)

static const uint8_t code[] = { 0xe6, 0x80, 0xf4 }; /* out 0x80, al; hlt */
static const uint8_t initrd[] = "070701 pretend cpio";

static struct guest_mem gm;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, 128 * MiB, 0, NULL), 0);
}

static void teardown(void)
{
	guest_mem_fini(&gm);
}

static void check_common(const struct x86_boot_state *st, const char *cmdline)
{
	const uint8_t *zp = gm.base + X86_ZERO_PAGE;

	ck_assert_uint_eq(st->rsi, X86_ZERO_PAGE);
	ck_assert_uint_eq(st->rsp, X86_BOOT_STACK);
	ck_assert_uint_eq(st->cr3, X86_BOOT_PML4);
	ck_assert_uint_eq(st->gdt_base, X86_BOOT_GDT);
	ck_assert_uint_eq(le32_get(zp + SH_HEADER), SH_HDRS_MAGIC);
	ck_assert_uint_eq(zp[SH_TYPE_OF_LOADER], 0xff);
	ck_assert(zp[SH_LOADFLAGS] & LOADFLAG_LOADED_HIGH);
	ck_assert_uint_eq(le32_get(zp + SH_CMD_LINE_PTR), X86_CMDLINE);
	ck_assert_str_eq((const char *)gm.base + X86_CMDLINE, cmdline);
	ck_assert_uint_eq(zp[ZP_E820_ENTRIES], 2);
	ck_assert_mem_eq(gm.base + X86_MPTABLE_START, "_MP_", 4);
	ck_assert_uint_eq(le32_get(zp + SH_RAMDISK_IMAGE), st->initrd_start);
	ck_assert_uint_eq(st->initrd_start % 4096, 0);
	ck_assert_uint_ge(st->initrd_start, st->kernel_end);
	ck_assert_uint_eq(st->initrd_size, sizeof(initrd));
	ck_assert_mem_eq(gm.base + st->initrd_start, initrd, sizeof(initrd));
}

static int boot(const uint8_t *k, size_t len, const char *cmdline, struct x86_boot_state *st,
		struct husk_error **e)
{
	struct x86_boot_cfg cfg = {
		.kernel = k,
		.kernel_len = len,
		.initrd = initrd,
		.initrd_len = sizeof(initrd),
		.cmdline = cmdline,
		.nr_cpus = 2,
	};

	return x86_boot_load(&gm, &cfg, st, e);
}

START_TEST(boot_elf)
{
	struct x86_boot_state st;
	size_t len;
	uint8_t *k = image_elf(code, sizeof(code), 16 * MiB, &len);
	struct husk_error *e = NULL;

	ck_assert_int_eq(boot(k, len, "console=ttyS0", &st, &e), 0);
	ck_assert_int_eq(st.kind, X86_KERNEL_ELF);
	ck_assert_uint_eq(st.rip, 16 * MiB);
	ck_assert_mem_eq(gm.base + 16 * MiB, code, sizeof(code));
	check_common(&st, "console=ttyS0");
	/* the header a vmlinux lacks was synthesised */
	ck_assert_uint_eq(le16_get(gm.base + X86_ZERO_PAGE + SH_VERSION), 0x020f);
	free(k);
}
END_TEST

START_TEST(boot_bzimage_gzip)
{
	struct x86_boot_state st;
	size_t len;
	uint8_t *k = image_bzimage(code, sizeof(code), 2 * MiB, &len);

	ck_assert_int_eq(boot(k, len, "quiet", &st, NULL), 0);
	ck_assert_int_eq(st.kind, X86_KERNEL_BZIMAGE_ELF);
	ck_assert_uint_eq(st.rip, 2 * MiB);
	check_common(&st, "quiet");
	ck_assert_uint_eq(le32_get(gm.base + X86_ZERO_PAGE + SH_CMDLINE_SIZE), 2047);
	free(k);
}
END_TEST

START_TEST(boot_bzimage_raw)
{
	struct x86_boot_state st;
	size_t len;
	uint8_t *k = image_bzimage_raw(code, sizeof(code), &len);

	ck_assert_int_eq(boot(k, len, "", &st, NULL), 0);
	ck_assert_int_eq(st.kind, X86_KERNEL_BZIMAGE);
	ck_assert_uint_eq(st.rip, X86_KERNEL_LOAD + 0x200);
	ck_assert_mem_eq(gm.base + st.rip, code, sizeof(code));
	check_common(&st, "");
	free(k);
}
END_TEST

START_TEST(boot_rejects)
{
	struct x86_boot_state st;
	struct husk_error *e = NULL;
	uint8_t junk[4096] = { 'M', 'Z' };
	size_t len;
	uint8_t *k = image_bzimage(code, sizeof(code), 2 * MiB, &len);
	char *longline = calloc(1, 4096);

	ck_assert_int_eq(boot(junk, sizeof(junk), "", &st, &e), -EINVAL);
	ck_assert_str_eq(husk_error_message(e), "kernel: not an ELF vmlinux or a bzImage");
	ck_assert_int_eq(boot(junk, 3, "", &st, &e), -EINVAL);
	ck_assert_int_eq(boot(NULL, 0, "", &st, &e), -EINVAL);
	memset(longline, 'x', 4095);
	ck_assert_int_eq(boot(k, len, longline, &st, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "cmdline: 4095 bytes"));
	k[SH_VERSION] = 0;
	ck_assert_int_eq(boot(k, len, "", &st, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "bzImage: boot protocol"));
	husk_error_free(e);
	free(longline);
	free(k);
}
END_TEST

START_TEST(boot_bad_cfg)
{
	struct x86_boot_state st;
	struct husk_error *e = NULL;
	size_t len;
	uint8_t *k = image_elf(code, sizeof(code), 16 * MiB, &len);
	struct x86_boot_cfg cfg = { .kernel = k, .kernel_len = len, .nr_cpus = 0 };
	struct guest_mem tiny;

	ck_assert_int_eq(x86_boot_load(&gm, &cfg, &st, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "vCPUs"));
	cfg.nr_cpus = 255;
	ck_assert_int_eq(x86_boot_load(&gm, &cfg, &st, &e), -EINVAL);
	cfg.nr_cpus = 254;
	ck_assert_int_eq(x86_boot_load(&gm, &cfg, &st, &e), 0);
	ck_assert_int_eq(guest_mem_init(&tiny, MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_boot_load(&tiny, &cfg, &st, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "at least"));
	guest_mem_fini(&tiny);
	husk_error_free(e);
	free(k);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, boot_elf);
	tcase_add_test(tc, boot_bzimage_gzip);
	tcase_add_test(tc, boot_bzimage_raw);
	tcase_add_test(tc, boot_rejects);
	tcase_add_test(tc, boot_bad_cfg);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
