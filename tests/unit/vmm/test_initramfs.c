// SPDX-License-Identifier: Apache-2.0
/*
 * test_initramfs.c - vmm/base/initramfs.c: the archive is parsed back with an
 * independent newc reader (below) and every field the kernel's unpacker
 * looks at is checked: magic, names, modes, the device node, sizes,
 * 4-byte alignment of headers and bodies, the trailer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/base/initramfs.h"
#include "tests/lib/unit.h"

struct newc_entry {
	char name[64];
	unsigned long ino, mode, uid, gid, nlink, size, rmaj, rmin, namesize;
	const uint8_t *body;
	size_t hdr_off; /* offset of the header in the archive */
};

static unsigned long newc_field(const uint8_t *hdr, int i)
{
	char f[9];

	memcpy(f, hdr + 6 + 8 * i, 8);
	f[8] = 0;
	return strtoul(f, NULL, 16);
}

/* Parse the entry at *@off; advance past it. */
static void newc_next(const uint8_t *a, size_t len, size_t *off, struct newc_entry *e)
{
	const uint8_t *h = a + *off;

	ck_assert_uint_le(*off + INITRAMFS_HDR_LEN, len);
	ck_assert_uint_eq(*off % 4, 0);
	ck_assert_msg(!memcmp(h, "070701", 6), "bad magic at %zu", *off);
	e->hdr_off = *off;
	e->ino = newc_field(h, 0);
	e->mode = newc_field(h, 1);
	e->uid = newc_field(h, 2);
	e->gid = newc_field(h, 3);
	e->nlink = newc_field(h, 4);
	e->size = newc_field(h, 6);
	e->rmaj = newc_field(h, 9);
	e->rmin = newc_field(h, 10);
	e->namesize = newc_field(h, 11);
	ck_assert_uint_lt(e->namesize, sizeof(e->name));
	ck_assert_uint_le(*off + INITRAMFS_HDR_LEN + e->namesize, len);
	memcpy(e->name, h + INITRAMFS_HDR_LEN, e->namesize);
	ck_assert_int_eq(e->name[e->namesize - 1], 0); /* namesize counts the NUL */
	*off = (*off + INITRAMFS_HDR_LEN + e->namesize + 3) & ~(size_t)3;
	ck_assert_uint_eq(*off % 4, 0);
	e->body = a + *off;
	ck_assert_uint_le(*off + e->size, len);
	*off = (*off + e->size + 3) & ~(size_t)3;
}

static const struct {
	const char *name;
	unsigned long mode;
} expected[] = {
	{ "dev", S_IFDIR | 0755 }, { "dev/console", S_IFCHR | 0600 }, { "proc", S_IFDIR | 0755 },
	{ "sys", S_IFDIR | 0755 }, { "tmp", S_IFDIR | 01777 },	      { "init", S_IFREG | 0755 },
};

#define NR_EXPECTED (sizeof(expected) / sizeof(expected[0]))

static void check_archive(const uint8_t *init, size_t init_len)
{
	struct newc_entry e;
	uint8_t *a = NULL;
	size_t len = 0, off = 0, i;

	ck_assert_int_eq(initramfs_build(init, init_len, &a, &len, NULL), 0);
	ck_assert_uint_eq(len % 4, 0);
	for (i = 0; i < NR_EXPECTED; i++) {
		newc_next(a, len, &off, &e);
		ck_assert_str_eq(e.name, expected[i].name);
		ck_assert_uint_eq(e.mode, expected[i].mode);
		ck_assert_uint_eq(e.uid, 0);
		ck_assert_uint_eq(e.gid, 0);
		ck_assert_uint_ne(e.ino, 0);
		ck_assert_uint_eq(e.nlink, S_ISDIR(e.mode) ? 2 : 1);
		if (S_ISCHR(e.mode)) {
			ck_assert_uint_eq(e.rmaj, 5);
			ck_assert_uint_eq(e.rmin, 1);
		} else {
			ck_assert_uint_eq(e.rmaj, 0);
			ck_assert_uint_eq(e.rmin, 0);
		}
		if (S_ISREG(e.mode)) {
			ck_assert_uint_eq(e.size, init_len);
			ck_assert(init_len == 0 || !memcmp(e.body, init, init_len));
		} else {
			ck_assert_uint_eq(e.size, 0);
		}
	}
	newc_next(a, len, &off, &e);
	ck_assert_str_eq(e.name, "TRAILER!!!");
	ck_assert_uint_eq(e.size, 0);
	ck_assert_uint_eq(off, len); /* nothing after the trailer */
	free(a);
}

/* Every body length modulo 4, so each padding case is parsed back. */
START_TEST(initramfs_layout_and_padding)
{
	uint8_t init[4096 + 3];
	size_t i;

	for (i = 0; i < sizeof(init); i++)
		init[i] = (uint8_t)(i * 7 + 1);
	check_archive(init, 4096);
	check_archive(init, 4097);
	check_archive(init, 4098);
	check_archive(init, 4099);
	check_archive(init, 1);
	check_archive(init, 0);
}
END_TEST

/* Padding bytes are zero: the kernel skips zeros between archives. */
START_TEST(initramfs_padding_is_zero)
{
	uint8_t init[5] = { 0xff, 0xff, 0xff, 0xff, 0xff }, *a;
	struct newc_entry e;
	size_t len, off = 0, i, end;

	ck_assert_int_eq(initramfs_build(init, sizeof(init), &a, &len, NULL), 0);
	for (i = 0; i < NR_EXPECTED; i++)
		newc_next(a, len, &off, &e);
	/* /init's body is 5 bytes: 3 zero bytes follow it. */
	end = (size_t)(e.body - a) + e.size;
	ck_assert_uint_eq(off - end, 3);
	for (i = end; i < off; i++)
		ck_assert_uint_eq(a[i], 0);
	free(a);
}
END_TEST

/* Same input, same bytes: no timestamps or host ids leak in. */
START_TEST(initramfs_reproducible)
{
	uint8_t init[100] = { 1, 2, 3 }, *a, *b;
	size_t la, lb;

	ck_assert_int_eq(initramfs_build(init, sizeof(init), &a, &la, NULL), 0);
	ck_assert_int_eq(initramfs_build(init, sizeof(init), &b, &lb, NULL), 0);
	ck_assert_uint_eq(la, lb);
	ck_assert(!memcmp(a, b, la));
	free(a);
	free(b);
}
END_TEST

START_TEST(initramfs_too_big)
{
	struct husk_error *err = NULL;
	uint8_t *a = NULL;
	size_t len;

	if (sizeof(size_t) <= 4)
		return;
	ck_assert_int_eq(initramfs_build("", (size_t)UINT32_MAX + 1, &a, &len, &err), -EFBIG);
	ck_assert_ptr_null(a);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "initramfs: init is"));
	husk_error_free(err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("initramfs");
	TCase *tc = tcase_create("newc");

	tcase_add_test(tc, initramfs_layout_and_padding);
	tcase_add_test(tc, initramfs_padding_is_zero);
	tcase_add_test(tc, initramfs_reproducible);
	tcase_add_test(tc, initramfs_too_big);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
