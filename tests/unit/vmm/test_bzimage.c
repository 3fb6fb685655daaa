// SPDX-License-Identifier: Apache-2.0
/*
 * test_bzimage.c - vmm/x86/bzimage.c: header validation on truncated and
 * hostile images, gzip payload handling, and both load paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/gunzip.h"
#include "tests/lib/images.h"
#include "vmm/base/le.h"
#include "tests/lib/unit.h"
#include "vmm/x86/bzimage.h"
#include "vmm/base/layout.h"
#include "vmm/x86/zeropage.h"

#define MiB (1ULL << 20)

static const uint8_t code[] = { 0x48, 0x31, 0xc0, 0xf4 }; /* xor rax,rax; hlt */

static struct guest_mem gm;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB, 0, NULL), 0);
}

static void teardown(void)
{
	guest_mem_fini(&gm);
}

/* Parse a private, exact-size copy so ASan sees any read past @len. */
static int parse_copy(const uint8_t *img, size_t len, struct husk_error **e)
{
	uint8_t *c = malloc(len ? len : 1);
	struct x86_bzimage bz;
	int ret;

	memcpy(c, img, len);
	ret = x86_bzimage_parse(c, len, &bz, e);
	free(c);
	return ret;
}

static void expect_parse_fail(const uint8_t *img, size_t len, const char *want)
{
	struct husk_error *e = NULL;

	ck_assert_int_eq(parse_copy(img, len, &e), -EINVAL);
	ck_assert_msg(!strncmp(husk_error_message(e), "bzImage: ", 9), "%s", husk_error_message(e));
	ck_assert_msg(strstr(husk_error_message(e), want), "'%s' lacks '%s'", husk_error_message(e),
		      want);
	husk_error_free(e);
}

/* Load a full image; returns the error (caller frees) or NULL. */
static struct husk_error *load(const uint8_t *img, size_t len, uint8_t *zp,
			       struct x86_kernel_span *ks, enum x86_kernel_kind *kind)
{
	struct husk_error *e = NULL;
	struct x86_bzimage bz;

	if (x86_bzimage_parse(img, len, &bz, &e) < 0)
		return e;
	x86_bzimage_load(&gm, &bz, zp, ks, kind, &e);
	return e;
}

START_TEST(bz_truncated_everywhere)
{
	size_t len, n;
	uint8_t *img = image_bzimage(code, sizeof(code), 2 * MiB, &len);

	ck_assert_int_eq(parse_copy(img, len, NULL), 0);
	expect_parse_fail(img, 0, "too small");
	expect_parse_fail(img, 0x1ff, "too small");
	expect_parse_fail(img, 0x207, "too small");
	expect_parse_fail(img, 0x208, "truncated inside its setup header");
	expect_parse_fail(img, 0x26b, "truncated inside its setup header");
	expect_parse_fail(img, IMAGE_BZ_SETUP_SIZE, "no protected-mode kernel");
	expect_parse_fail(img, IMAGE_BZ_SETUP_SIZE + 1, "payload");
	expect_parse_fail(img, len - 1, "payload");
	/* and every other length: an error, never a read past the end */
	for (n = 0; n < len; n++) {
		struct husk_error *e = NULL;

		ck_assert_int_eq(parse_copy(img, n, &e), -EINVAL);
		husk_error_free(e);
	}
	free(img);
}
END_TEST

START_TEST(bz_bad_header_fields)
{
	size_t len;
	uint8_t *img = image_bzimage(code, sizeof(code), 2 * MiB, &len);
	uint8_t *t = malloc(len);

#define MUTATE(stmt, want) \
	do { \
		memcpy(t, img, len); \
		stmt; \
		expect_parse_fail(t, len, want); \
	} while (0)
	MUTATE(le16_put(t + SH_BOOT_FLAG, 0x55aa), "boot flag");
	MUTATE(t[SH_HEADER] = 'h', "magic missing");
	MUTATE(le16_put(t + SH_VERSION, 0x020b), "older than 2.12");
	MUTATE(le16_put(t + SH_VERSION, 0x0100), "older than 2.12");
	MUTATE(le16_put(t + SH_XLOADFLAGS, 0x2), "XLF_KERNEL_64");
	MUTATE(t[SH_JUMP + 1] = 0x40, "before the protocol 2.12 fields");
	MUTATE(le32_put(t + SH_INIT_SIZE, 0), "init_size is zero");
	MUTATE(t[SH_SETUP_SECTS] = 255, "no protected-mode kernel");
	MUTATE(le32_put(t + SH_PAYLOAD_OFFSET, 0xffffffff), "payload");
	MUTATE(le32_put(t + SH_PAYLOAD_LENGTH, 0xffffffff), "payload");
	MUTATE((le32_put(t + SH_PAYLOAD_OFFSET, 0xfffffff0), le32_put(t + SH_PAYLOAD_LENGTH, 0x20)),
	       "payload");
	MUTATE(le32_put(t + SH_PAYLOAD_LENGTH, (uint32_t)(len - IMAGE_BZ_SETUP_SIZE)), "payload");
#undef MUTATE
	free(t);
	free(img);
}
END_TEST

START_TEST(bz_setup_sects_zero_means_four)
{
	size_t len;
	uint8_t *img = image_bzimage(code, sizeof(code), 2 * MiB, &len);
	struct x86_bzimage bz;

	img[SH_SETUP_SECTS] = 0;
	ck_assert_int_eq(x86_bzimage_parse(img, len, &bz, NULL), 0);
	ck_assert_uint_eq(bz.setup_size, 5 * 512);
	ck_assert_uint_eq(bz.hdr_end, 0x26c);
	ck_assert_uint_eq(bz.version, 0x020f);
	free(img);
}
END_TEST

START_TEST(bz_gzip_elf_loaded)
{
	uint8_t zp[X86_ZERO_PAGE_SIZE] = { 0 };
	struct x86_kernel_span ks;
	enum x86_kernel_kind kind = 0;
	size_t len;
	uint8_t *img = image_bzimage(code, sizeof(code), 3 * MiB, &len);
	struct husk_error *e = load(img, len, zp, &ks, &kind);

	ck_assert_msg(!e, "%s", husk_error_message(e));
	ck_assert_int_eq(kind, X86_KERNEL_BZIMAGE_ELF);
	ck_assert_uint_eq(ks.entry, 3 * MiB);
	ck_assert_uint_eq(ks.start, 3 * MiB);
	ck_assert_mem_eq(gm.base + 3 * MiB, code, sizeof(code));
	/* the zero page's setup header is the image's own */
	ck_assert_mem_eq(zp + SH_SETUP_SECTS, img + SH_SETUP_SECTS, 0x26c - SH_SETUP_SECTS);
	ck_assert_uint_eq(le32_get(zp + SH_HEADER), SH_HDRS_MAGIC);
	ck_assert_uint_eq(zp[0x26c], 0); /* nothing past the header end */
	free(img);
}
END_TEST

START_TEST(bz_raw_loaded_at_1mib)
{
	uint8_t zp[X86_ZERO_PAGE_SIZE] = { 0 };
	struct x86_kernel_span ks;
	enum x86_kernel_kind kind = 0;
	size_t len;
	uint8_t *img = image_bzimage_raw(code, sizeof(code), &len);
	struct husk_error *e = load(img, len, zp, &ks, &kind);

	ck_assert_msg(!e, "%s", husk_error_message(e));
	ck_assert_int_eq(kind, X86_KERNEL_BZIMAGE);
	ck_assert_uint_eq(ks.entry, X86_KERNEL_LOAD + 0x200);
	ck_assert_uint_eq(ks.start, X86_KERNEL_LOAD);
	ck_assert_uint_ge(ks.end, X86_KERNEL_LOAD + le32_get(img + SH_INIT_SIZE));
	ck_assert_mem_eq(gm.base + X86_KERNEL_LOAD + 0x200, code, sizeof(code));
	ck_assert_mem_eq(gm.base + X86_KERNEL_LOAD, img + IMAGE_BZ_SETUP_SIZE,
			 len - IMAGE_BZ_SETUP_SIZE);
	free(img);
}
END_TEST

START_TEST(bz_raw_init_size_beyond_ram)
{
	uint8_t zp[X86_ZERO_PAGE_SIZE] = { 0 };
	struct x86_kernel_span ks;
	enum x86_kernel_kind kind;
	size_t len;
	uint8_t *img = image_bzimage_raw(code, sizeof(code), &len);
	struct husk_error *e;

	le32_put(img + SH_INIT_SIZE, 64 * MiB);
	e = load(img, len, zp, &ks, &kind);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "init_size"));
	husk_error_free(e);
	/* a hostile pref_address cannot move it outside RAM either */
	le32_put(img + SH_INIT_SIZE, 0x10000);
	le64_put(img + SH_PREF_ADDRESS, 64 * MiB - 0x1000);
	e = load(img, len, zp, &ks, &kind);
	ck_assert_ptr_nonnull(e);
	husk_error_free(e);
	le64_put(img + SH_PREF_ADDRESS, UINT64_MAX);
	e = load(img, len, zp, &ks, &kind);
	ck_assert_msg(!e, "%s", husk_error_message(e));
	free(img);
}
END_TEST

static void expect_load_fail(const uint8_t *payload, size_t plen, uint32_t init_size, int err,
			     const char *want)
{
	uint8_t zp[X86_ZERO_PAGE_SIZE] = { 0 };
	struct x86_kernel_span ks;
	enum x86_kernel_kind kind;
	size_t len;
	uint8_t *img = image_bzimage_payload(payload, plen, init_size, &len);
	struct husk_error *e = load(img, len, zp, &ks, &kind);

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(husk_error_errno(e), err);
	ck_assert_msg(strstr(husk_error_message(e), want), "'%s' lacks '%s'", husk_error_message(e),
		      want);
	ck_assert_msg(!strncmp(husk_error_message(e), "bzImage: ", 9), "%s", husk_error_message(e));
	husk_error_free(e);
	free(img);
}

START_TEST(bz_gzip_garbage)
{
	uint8_t junk[64];
	size_t n, gzlen;
	uint8_t *gz = image_gzip(code, sizeof(code), &gzlen);

	for (n = 0; n < sizeof(junk); n++)
		junk[n] = (uint8_t)(n * 37 + 11);
	junk[0] = 0x1f;
	junk[1] = 0x8b;
	expect_load_fail(junk, sizeof(junk), MiB, EINVAL, "corrupt gzip data");
	expect_load_fail(gz, gzlen - 6, MiB, EINVAL, "truncated");
	expect_load_fail(gz, 2, MiB, EINVAL, "truncated");
	/* valid gzip, but not an ELF inside */
	expect_load_fail(gz, gzlen, MiB, EINVAL, "inflated payload: elf: ");
	free(gz);
}
END_TEST

START_TEST(bz_gzip_bomb_bounded)
{
	size_t big = 8 * MiB, gzlen;
	uint8_t *zeros = calloc(1, big);
	uint8_t *gz = image_gzip(zeros, big, &gzlen);

	ck_assert_uint_lt(gzlen, 64 * 1024);
	/* init_size says 1 MiB: stop there */
	expect_load_fail(gz, gzlen, MiB, EFBIG, "exceeds the 1048576-byte bound");
	/* init_size says 4 GiB - 1: guest RAM (64 MiB) is still the bound */
	free(gz);
	free(zeros);
	big = 80 * MiB;
	zeros = calloc(1, big);
	gz = image_gzip(zeros, big, &gzlen);
	expect_load_fail(gz, gzlen, 0xffffffff, EFBIG, "exceeds the 67108864-byte bound");
	free(gz);
	free(zeros);
}
END_TEST

START_TEST(bz_gunzip_direct)
{
	size_t gzlen, outlen = 0;
	uint8_t *gz = image_gzip(code, sizeof(code), &gzlen);
	uint8_t *trail = malloc(gzlen + 4), *out = NULL;
	struct husk_error *e = NULL;

	/* trailing bytes after the member (a kernel's size word) are ignored */
	memcpy(trail, gz, gzlen);
	memset(trail + gzlen, 0xee, 4);
	ck_assert_int_eq(gunzip(trail, gzlen + 4, 1024, "t", &out, &outlen, NULL), 0);
	ck_assert_uint_eq(outlen, sizeof(code));
	ck_assert_mem_eq(out, code, sizeof(code));
	free(out);
	ck_assert_int_eq(gunzip(gz, gzlen, 0, "t", &out, &outlen, &e), -EFBIG);
	ck_assert_int_eq(gunzip(gz, 0, 1024, "t", &out, &outlen, &e), -EINVAL);
	husk_error_free(e);
	free(trail);
	free(gz);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bz_truncated_everywhere);
	tcase_add_test(tc, bz_bad_header_fields);
	tcase_add_test(tc, bz_setup_sects_zero_means_four);
	tcase_add_test(tc, bz_gzip_elf_loaded);
	tcase_add_test(tc, bz_raw_loaded_at_1mib);
	tcase_add_test(tc, bz_raw_init_size_beyond_ram);
	tcase_add_test(tc, bz_gzip_garbage);
	tcase_add_test(tc, bz_gzip_bomb_bounded);
	tcase_add_test(tc, bz_gunzip_direct);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
