// SPDX-License-Identifier: Apache-2.0
/* test_elf.c - vmm/x86/elf.c: vmlinux loading and every rejection path. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/images.h"
#include "tests/lib/unit.h"
#include "vmm/x86/elf.h"
#include "vmm/base/layout.h"

#define MiB (1ULL << 20)

static const uint8_t code[] = { 0x90, 0x90, 0xf4, 0xeb, 0xfd }; /* nop nop hlt jmp */

static struct guest_mem gm;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB, 0, NULL), 0);
}

static void teardown(void)
{
	guest_mem_fini(&gm);
}

static Elf64_Ehdr get_eh(const uint8_t *img)
{
	Elf64_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	return eh;
}

static Elf64_Phdr get_ph(const uint8_t *img)
{
	Elf64_Phdr ph;

	memcpy(&ph, img + sizeof(Elf64_Ehdr), sizeof(ph));
	return ph;
}

/* Load @img and expect failure with a message containing @want. */
static void expect_fail(const uint8_t *img, size_t len, const char *want)
{
	struct x86_kernel_span ks;
	struct husk_error *e = NULL;

	ck_assert_int_eq(x86_elf_load(&gm, img, len, &ks, &e), -EINVAL);
	ck_assert_msg(strncmp(husk_error_message(e), "elf: ", 5) == 0, "%s", husk_error_message(e));
	ck_assert_msg(strstr(husk_error_message(e), want), "'%s' lacks '%s'", husk_error_message(e),
		      want);
	husk_error_free(e);
}

START_TEST(elf_loads_at_paddr)
{
	struct image_elf_opts o = { .paddr = 2 * MiB, .bss = 0x100 };
	struct x86_kernel_span ks;
	size_t len;
	uint8_t *img = image_elf_ex(code, sizeof(code), &o, &len);

	memset(gm.base + 2 * MiB, 0xcc, 0x1000);
	ck_assert_int_eq(x86_elf_load(&gm, img, len, &ks, NULL), 0);
	ck_assert_uint_eq(ks.entry, 2 * MiB);
	ck_assert_uint_eq(ks.start, 2 * MiB);
	ck_assert_uint_eq(ks.end, 2 * MiB + sizeof(code) + 0x100);
	ck_assert_mem_eq(gm.base + 2 * MiB, code, sizeof(code));
	ck_assert_uint_eq(gm.base[2 * MiB + sizeof(code)], 0); /* bss zeroed */
	ck_assert_uint_eq(gm.base[2 * MiB + sizeof(code) + 0xff], 0);
	ck_assert_uint_eq(gm.base[2 * MiB + sizeof(code) + 0x100], 0xcc); /* untouched */
	free(img);
}
END_TEST

START_TEST(elf_virtual_entry_translated)
{
	/* A vmlinux links at 0xffffffff81000000 and loads at 16 MiB. */
	struct image_elf_opts o = {
		.paddr = 16 * MiB,
		.vaddr = 0xffffffff81000000ULL,
		.entry_off = 2,
	};
	struct x86_kernel_span ks;
	size_t len;
	uint8_t *img = image_elf_ex(code, sizeof(code), &o, &len);

	ck_assert_int_eq(x86_elf_load(&gm, img, len, &ks, NULL), 0);
	ck_assert_uint_eq(ks.entry, 16 * MiB + 2);
	free(img);
}
END_TEST

START_TEST(elf_physical_entry_kept)
{
	/* vmlinux's ENTRY(phys_startup_64): e_entry is already physical. */
	struct image_elf_opts o = { .paddr = 16 * MiB, .vaddr = 0xffffffff81000000ULL };
	struct x86_kernel_span ks;
	size_t len;
	uint8_t *img = image_elf_ex(code, sizeof(code), &o, &len);
	Elf64_Ehdr eh = get_eh(img);

	eh.e_entry = 16 * MiB + 1;
	memcpy(img, &eh, sizeof(eh));
	ck_assert_int_eq(x86_elf_load(&gm, img, len, &ks, NULL), 0);
	ck_assert_uint_eq(ks.entry, 16 * MiB + 1);
	free(img);
}
END_TEST

START_TEST(elf_bad_headers)
{
	size_t len;
	uint8_t *img = image_elf(code, sizeof(code), 2 * MiB, &len);
	uint8_t *t = malloc(len);
	Elf64_Ehdr eh;

	for (size_t n = 0; n < sizeof(Elf64_Ehdr); n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, img, n);
		expect_fail(cut, n, "too small");
		free(cut);
	}
#define MUTATE(stmt, want) \
	do { \
		memcpy(t, img, len); \
		eh = get_eh(t); \
		stmt; \
		memcpy(t, &eh, sizeof(eh)); \
		expect_fail(t, len, want); \
	} while (0)
	MUTATE(eh.e_ident[1] = 'X', "bad magic");
	MUTATE(eh.e_ident[EI_CLASS] = ELFCLASS32, "64-bit");
	MUTATE(eh.e_ident[EI_DATA] = ELFDATA2MSB, "little-endian");
	MUTATE(eh.e_ident[EI_VERSION] = 0, "ELF version");
	MUTATE(eh.e_type = ET_DYN, "not an executable");
	MUTATE(eh.e_machine = EM_386, "x86-64");
	MUTATE(eh.e_phentsize = 32, "program header size");
	MUTATE(eh.e_phnum = 0, "program headers");
	MUTATE(eh.e_phnum = 0xffff, "program headers");
	MUTATE(eh.e_phnum = 2, "outside");
	MUTATE(eh.e_phoff = UINT64_MAX - 8, "outside");
	MUTATE(eh.e_phoff = len, "outside");
	MUTATE(eh.e_entry = 0x12345, "entry point");
#undef MUTATE
	free(t);
	free(img);
}
END_TEST

START_TEST(elf_bad_segments)
{
	size_t len;
	uint8_t *img = image_elf(code, sizeof(code), 2 * MiB, &len);
	uint8_t *t = malloc(len);
	Elf64_Phdr ph;

#define MUTATE(stmt, want) \
	do { \
		memcpy(t, img, len); \
		ph = get_ph(t); \
		stmt; \
		memcpy(t + sizeof(Elf64_Ehdr), &ph, sizeof(ph)); \
		expect_fail(t, len, want); \
	} while (0)
	MUTATE(ph.p_offset = len - 1, "outside the");
	MUTATE(ph.p_offset = UINT64_MAX, "outside the");
	MUTATE(ph.p_filesz = UINT64_MAX, "outside the");
	MUTATE(ph.p_memsz = 1, "p_filesz");
	MUTATE(ph.p_paddr = 0x7000, "between 1 MiB"); /* zero page */
	MUTATE(ph.p_paddr = 1 * MiB - 1, "between 1 MiB");
	MUTATE(ph.p_paddr = 64 * MiB - 2, "between 1 MiB");   /* past RAM end */
	MUTATE(ph.p_paddr = UINT64_MAX - 1, "between 1 MiB"); /* wraps */
	MUTATE(ph.p_memsz = UINT64_MAX, "between 1 MiB");
	MUTATE(ph.p_paddr = X86_MMIO_HOLE_START, "between 1 MiB");
	MUTATE(ph.p_type = PT_NOTE, "no loadable segment");
	MUTATE((ph.p_memsz = 0, ph.p_filesz = 0), "no loadable segment");
#undef MUTATE
	free(t);
	free(img);
}
END_TEST

START_TEST(elf_validates_all_before_copy)
{
	/* Two PT_LOADs: the first fine, the second outside RAM. */
	uint8_t img[0x200] = { 0 };
	size_t len;
	uint8_t *one = image_elf(code, sizeof(code), 2 * MiB, &len);
	Elf64_Ehdr eh = get_eh(one);
	Elf64_Phdr ph = get_ph(one), bad;

	eh.e_phnum = 2;
	ph.p_offset = 0x100;
	bad = ph;
	bad.p_paddr = 1ULL << 40;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	memcpy(img + sizeof(eh) + sizeof(ph), &bad, sizeof(bad));
	memcpy(img + 0x100, code, sizeof(code));
	expect_fail(img, sizeof(img), "segment 1");
	ck_assert_uint_eq(gm.base[2 * MiB], 0);
	free(one);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, elf_loads_at_paddr);
	tcase_add_test(tc, elf_virtual_entry_translated);
	tcase_add_test(tc, elf_physical_entry_kept);
	tcase_add_test(tc, elf_bad_headers);
	tcase_add_test(tc, elf_bad_segments);
	tcase_add_test(tc, elf_validates_all_before_copy);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
